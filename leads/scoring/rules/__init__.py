"""Scoring rule sets: their versions, the score history, preview, backtest and rescoring."""
