"""KPI queries: every number is computed from the data with aggregate SQL.

The dashboard, the CSV export, the goals and ``/api/v1/kpis/`` all call these functions,
so the numbers are the same everywhere. Funnel counts read the stage history
(``StageChange``): a lead counts as an MQL in a period if it became one in that period.

- ``base``: ``Period``, ``Scope`` and the arithmetic of ratios and money;
- ``figures`` and ``handoff_figures``: the raw figures, one grouped query per table
  (``buckets`` says how rows fall into periods, ``percentile`` computes medians and p90s
  in the database);
- ``metrics``: every KPI by name (``METRICS``) and ``values``; ``comparison``: ``compare``
  (against the period before), ``summary``, ``funnel``, ``speed_to_lead``,
  ``time_in_stage``;
- ``campaigns``: the campaign table with attribution; ``reps``: the rep table;
  ``series``: any KPI by week or month (``trend``); ``outcomes``: the score calibration.
"""

from kpis.queries.base import MONEY, Period, Scope
from kpis.queries.campaigns import (
    ATTRIBUTION_LABELS,
    ATTRIBUTIONS,
    NO_CAMPAIGN,
    Attribution,
    CampaignRow,
    Credit,
    campaign_rows,
    credit_by_campaign,
)
from kpis.queries.comparison import (
    Comparison,
    Summary,
    compare,
    funnel,
    speed_to_lead,
    summary,
    time_in_stage,
)
from kpis.queries.handoff_figures import STEPS
from kpis.queries.metrics import (
    DEFAULT_METRICS,
    METRICS,
    Metric,
    Value,
    currency,
    trend_metrics,
    values,
)
from kpis.queries.outcomes import (
    calibration,
    calibration_bands,
    decision_counts,
    handoff_outcomes,
    outcome_counts,
    score_at_handoff,
)
from kpis.queries.reps import RepRow, rep_rows
from kpis.queries.series import MAX_BUCKETS, TrendPoint, check_trend, trend, trends

__all__ = [
    "ATTRIBUTIONS",
    "ATTRIBUTION_LABELS",
    "DEFAULT_METRICS",
    "MAX_BUCKETS",
    "METRICS",
    "MONEY",
    "NO_CAMPAIGN",
    "STEPS",
    "Attribution",
    "CampaignRow",
    "Comparison",
    "Credit",
    "Metric",
    "Period",
    "RepRow",
    "Scope",
    "Summary",
    "TrendPoint",
    "Value",
    "calibration",
    "calibration_bands",
    "campaign_rows",
    "check_trend",
    "compare",
    "credit_by_campaign",
    "currency",
    "decision_counts",
    "funnel",
    "handoff_outcomes",
    "outcome_counts",
    "rep_rows",
    "score_at_handoff",
    "speed_to_lead",
    "summary",
    "time_in_stage",
    "trend",
    "trend_metrics",
    "trends",
    "values",
]
