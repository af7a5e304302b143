"""The summary and its parts for the dashboard: every KPI against the period before
(``compare``), the numbers of the first API contract (``summary``), the funnel, speed to
lead in its steps and time in stage."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from kpis.queries.base import Period, Scope, change, rate
from kpis.queries.buckets import PeriodBuckets
from kpis.queries.figures import STAY_STAGES
from kpis.queries.handoff_figures import PERCENTILES, STEPS
from kpis.queries.metrics import Value, currency, per_bucket, values
from leads.models import Stage


@dataclass(frozen=True)
class Comparison:
    """The metrics for a period (``current``) and for the period of equal length just
    before it (``previous``; snapshot metrics have no previous value)."""

    period: Period
    previous_period: Period
    current: dict[str, Value]
    previous: dict[str, Value]
    currency: str

    def change(self, name: str) -> float | None:
        """The relative change of a count or money metric (rates: the difference in
        points is clearer, ``current - previous``); None without a previous value."""
        now, before = self.current.get(name), self.previous.get(name)
        if now is None or before is None:
            return None
        return change(float(now), float(before))


def compare(
    period: Period,
    scope: Scope | None = None,
    names: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    previous_names: Iterable[str] | None = None,
) -> Comparison:
    """The metrics ``names`` (default ``DEFAULT_METRICS``) for the period and the one
    before it (only ``previous_names`` of them, if given: ``PREVIOUS_METRICS`` leaves out
    speed to lead), in one query per table (each query covers both periods)."""
    previous = period.previous()
    both = per_bucket(
        PeriodBuckets([previous, period]), scope, names, now=now, earlier_names=previous_names
    )
    return Comparison(
        period=period,
        previous_period=previous,
        current=both[1],
        previous=both[0],
        currency=currency(),
    )


@dataclass(frozen=True)
class Summary:
    """The numbers of ``kpis/summary`` as the API contract first promised them."""

    leads: int
    mqls: int
    sals: int
    sqls: int
    won: int
    lost: int
    won_amount: Decimal
    mql_to_sql_rate: float | None
    sql_to_won_rate: float | None
    acceptance_rate: float | None
    speed_to_claim_minutes_median: float | None
    speed_to_contact_minutes_median: float | None
    sla_compliance_rate: float | None
    spend: Decimal
    cost_per_lead: Decimal | None
    cost_per_mql: Decimal | None
    cost_per_sql: Decimal | None
    roi: float | None

    def as_dict(self) -> dict:
        return asdict(self)


SUMMARY_FIELDS = list(Summary.__dataclass_fields__)


def summary(period: Period, scope: Scope | None = None, *, now: datetime | None = None) -> Summary:
    """The shared numbers for one period and scope (four queries); ``now`` decides which
    SLAs are due. Every other KPI is in ``values``/``compare``."""
    return Summary(**values(period, scope, SUMMARY_FIELDS, now=now))  # type: ignore[arg-type]


FUNNEL_ROWS = [
    ("leads", "Leads", "leads"),
    (Stage.MQL.value, "MQL", "mqls"),
    (Stage.SAL.value, "SAL", "sals"),
    (Stage.SQL.value, "SQL", "sqls"),
    (Stage.WON.value, "Won", "won"),
]


def funnel(period: Period, scope: Scope | None = None) -> list[dict]:
    """The funnel as rows a chart can draw: stage, label, count, and ``rate``, the
    conversion from the row above (two queries)."""
    numbers = values(period, scope, [name for _, _, name in FUNNEL_ROWS])
    rows: list[dict] = []
    for stage, label, name in FUNNEL_ROWS:
        count = int(numbers[name] or 0)
        above = rows[-1]["count"] if rows else None
        rows.append(
            {
                "stage": stage,
                "label": label,
                "count": count,
                "rate": rate(count, above) if above is not None else None,
            }
        )
    return rows


def speed_to_lead(
    period: Period, scope: Scope | None = None, *, now: datetime | None = None
) -> list[dict]:
    """Speed to lead in its steps: ``[{step, label, median, p90}]`` minutes (one query)."""
    names = [f"speed_to_{step}_minutes_{which}" for step, *_ in STEPS for which in PERCENTILES]
    numbers = values(period, scope, names, now=now)
    return [
        {
            "step": step,
            "label": label,
            **{which: numbers[f"speed_to_{step}_minutes_{which}"] for which in PERCENTILES},
        }
        for step, label, *_ in STEPS
    ]


def time_in_stage(period: Period, scope: Scope | None = None) -> list[dict]:
    """Median days in each stage, over the stays that ended in the period:
    ``[{stage, label, days_median}]`` (one query)."""
    names = [f"days_in_{stage}_median" for stage in STAY_STAGES]
    numbers = values(period, scope, names)
    return [
        {
            "stage": str(stage),
            "label": Stage(stage).label,
            "days_median": numbers[f"days_in_{stage}_median"],
        }
        for stage in STAY_STAGES
    ]
