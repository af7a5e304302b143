"""Qualification: everything that turns a lead's facts into a score, in one place.

- ``maths``: scoring as pure functions (rules and facts in, points and their
  explanation out) and the rules' validation; re-exported here, so
  ``from leads import scoring`` then ``scoring.score(...)`` reads as it always did.
- ``rules/``: the rule sets: versions and their history (``models``), drafting,
  activation and the words they are shown in (``services``, ``forms``, ``wording``,
  ``views``), the preview over real leads, the backtest against past handoffs, and the
  batch that rescores every lead in chunks (``batch``).
- ``rescoring``: scoring leads in the database (one lead after a capture, the sweep of
  stale scores, the nightly rescore) with the rule set in force.
- ``calibration``: how well scores foretold sales' decisions, and the threshold that
  would meet a target (pure maths; ``kpis.queries`` counts the handoffs it reads).
- ``api`` and ``api_calibration``: ``/api/v1/scoring/rulesets/`` (versions, preview,
  backtest, activation) and ``/api/v1/scoring/calibration/``.
"""

from leads.scoring.maths import (
    DAY_SECONDS,
    FIT_FIELDS,
    KINDS,
    LEAD_COLUMNS,
    MAX_LABEL_LENGTH,
    MAX_POINTS,
    MAX_VALUE_LENGTH,
    NUMERIC_FIELDS,
    OPERATORS,
    Rule,
    Scorer,
    ScoreResult,
    TouchpointFact,
    decay_factor,
    facts_from,
    fit_matches,
    normalised,
    parse_range,
    rule_errors,
    rule_label,
    score,
    times_by_kind,
    value_errors,
)

__all__ = [
    "DAY_SECONDS",
    "FIT_FIELDS",
    "KINDS",
    "LEAD_COLUMNS",
    "MAX_LABEL_LENGTH",
    "MAX_POINTS",
    "MAX_VALUE_LENGTH",
    "NUMERIC_FIELDS",
    "OPERATORS",
    "Rule",
    "ScoreResult",
    "Scorer",
    "TouchpointFact",
    "decay_factor",
    "facts_from",
    "fit_matches",
    "normalised",
    "parse_range",
    "rule_errors",
    "rule_label",
    "score",
    "times_by_kind",
    "value_errors",
]
