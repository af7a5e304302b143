"""KPIs are computed from the other apps' tables (see ``queries.py``); no tables yet."""
