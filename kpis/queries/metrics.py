"""Every KPI by name: ``METRICS``, and the summary, comparison and funnel built on it.

A ``Metric`` names the figures it needs (``figures.SOURCES``) and derives its value from
them, so the same arithmetic answers for one period (a goal), two (the summary against
the period before) or fifty-two weeks (a trend), each in one query per table. Ratios with
nothing to divide by are ``None`` (shown "—"), never 0.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.utils import timezone

from kpis.queries.base import Period, Scope, change, per, rate, roi
from kpis.queries.buckets import Buckets, Figures, PeriodBuckets
from kpis.queries.figures import FIGURES, STAY_STAGES, gather
from kpis.queries.handoff_figures import PERCENTILES, STEPS
from leads.models import Stage

Kind = Literal["count", "rate", "money", "minutes", "days"]
Value = int | float | Decimal | None


@dataclass(frozen=True)
class Metric:
    """One KPI: its name, label, kind (how to show it), which way is better, the figures
    it is worked out from (``figures.FIGURES``) and how.

    ``metric(period, scope)`` (or ``metric.function(...)``) computes it for one period.
    A snapshot metric (``snapshot``) is about now, whatever the period: it has no trend
    and no previous value.
    """

    name: str
    label: str
    kind: Kind
    needs: frozenset[str]
    derive: Callable[[Figures], Value] = field(repr=False)
    better: Literal["higher", "lower"] = "higher"
    description: str = ""

    @property
    def sources(self) -> frozenset[str]:
        """The tables (``figures.SOURCES``) it reads."""
        return frozenset(FIGURES[need] for need in self.needs)

    @property
    def snapshot(self) -> bool:
        return "unowned" in self.sources

    @property
    def nullable(self) -> bool:
        """Whether the value can be None ("—"): a ratio, median or cost per unit with
        nothing to divide; counts and sums are 0 at worst."""
        return self.kind in ("rate", "minutes", "days") or self.name.startswith("cost_per_")

    def function(
        self, period: Period, scope: Scope | None = None, *, now: datetime | None = None
    ) -> Value:
        return values(period, scope, [self.name], now=now)[self.name]

    __call__ = function


METRICS: dict[str, Metric] = {}


def _ratio(part: str, whole: str) -> Callable[[Figures], Value]:
    return lambda f: rate(f[part], f[whole])


def _cost_per(count: str) -> Callable[[Figures], Value]:
    return lambda f: per(f["spend"], f[count])


def _figure(key: str) -> Callable[[Figures], Value]:
    return lambda f: f[key]


def _metric(
    name: str,
    label: str,
    kind: Kind,
    needs: Iterable[str] | None = None,
    derive: Callable[[Figures], Value] | None = None,
    *,
    better: Literal["higher", "lower"] = "higher",
    description: str = "",
) -> None:
    """Register a metric; by default it is the figure of the same name."""
    METRICS[name] = Metric(
        name=name,
        label=label,
        kind=kind,
        needs=frozenset(needs or [name]),
        derive=derive or _figure(name),
        better=better,
        description=description,
    )


# The funnel: leads created, and distinct leads that entered each stage, in the period.
_metric("leads", "Leads", "count", description="Leads created in the period.")
for _name, _label in [("mqls", "MQLs"), ("sals", "SALs"), ("sqls", "SQLs"), ("won", "Won")]:
    _metric(_name, _label, "count", description=f"Leads that became {_label} in the period.")
_metric("lost", "Lost", "count", better="lower", description="Leads lost in the period.")

# Conversion between each pair of consecutive stages: entries into the later stage over
# entries into the earlier one in the same period (not a cohort: a lead that became an
# MQL last month and an SQL this month counts in this month's SQLs).
for _name, _label, _part, _whole in [
    ("lead_to_mql_rate", "Lead → MQL", "mqls", "leads"),
    ("mql_to_sal_rate", "MQL → SAL", "sals", "mqls"),
    ("sal_to_sql_rate", "SAL → SQL", "sqls", "sals"),
    ("sql_to_won_rate", "SQL → won", "won", "sqls"),
    ("mql_to_sql_rate", "MQL → SQL", "sqls", "mqls"),
]:
    _metric(
        _name,
        _label,
        "rate",
        [_part, _whole],
        _ratio(_part, _whole),
        description=f"{_label}: {_part} ÷ {_whole} in the period.",
    )
_metric(
    "win_rate",
    "Win rate",
    "rate",
    ["won", "lost"],
    lambda f: rate(f["won"], f["won"] + f["lost"]),
    description="Won ÷ (won + lost) in the period.",
)
_metric(
    "lead_velocity",
    "Lead velocity",
    "rate",
    ["mqls", "previous_mqls"],
    lambda f: change(f["mqls"], f["previous_mqls"]),
    description="MQLs against the period of equal length before: +0.25 is a quarter more.",
)

# Money.
_metric("won_amount", "Won revenue", "money", description="Deals won in the period.")
_metric("spend", "Spend", "money", better="lower", description="Cost entries in the period.")
for _name, _label, _count in [
    ("cost_per_lead", "Cost per lead", "leads"),
    ("cost_per_mql", "Cost per MQL", "mqls"),
    ("cost_per_sql", "Cost per SQL", "sqls"),
    ("cost_per_won", "Cost per won deal", "won"),
]:
    _metric(
        _name,
        _label,
        "money",
        ["spend", _count],
        _cost_per(_count),
        better="lower",
        description=f"Spend ÷ {_count}.",
    )
_metric(
    "roi",
    "ROI",
    "rate",
    ["won_amount", "spend"],
    lambda f: roi(f["won_amount"], f["spend"]),
    description="(Won revenue − spend) ÷ spend.",
)

# The handoff: sales' decisions, the SLA clocks, speed to lead, the brief.
_metric("handoffs", "Handoffs", "count", description="Handoffs opened in the period.")
_metric(
    "rejected",
    "Rejections",
    "count",
    better="lower",
    description="Handoffs opened in the period that sales sent back.",
)
_metric(
    "acceptance_rate",
    "Sales acceptance",
    "rate",
    ["accepted", "rejected"],
    lambda f: rate(f["accepted"], f["accepted"] + f["rejected"]),
    description="Of the handoffs sales decided on, the share accepted (withdrawn ones "
    "are not sales' decision).",
)
for _name, _label, _clock in [
    ("sla_compliance_rate", "SLA compliance", "sla"),
    ("claim_sla_rate", "Claimed in time", "claim"),
    ("contact_sla_rate", "Contacted in time", "contact"),
]:
    _metric(
        _name,
        _label,
        "rate",
        [f"{_clock}_met", f"{_clock}_due"],
        _ratio(f"{_clock}_met", f"{_clock}_due"),
        description="Of the handoffs due, the share answered by the due times of the "
        "agreement in force when each opened.",
    )
for _step, _label, _start, _end in STEPS:
    for _which in PERCENTILES:
        _metric(
            f"speed_to_{_step}_minutes_{_which}",
            f"{_label} ({_which}, minutes)",
            "minutes",
            [f"{_step}_{_which}"],
            _figure(f"{_step}_{_which}"),
            better="lower",
            description=f"From {_start} to {_end} of the handoffs opened in the period.",
        )
_metric(
    "brief_completeness_rate",
    "Complete briefs",
    "rate",
    ["briefs_complete", "handoffs"],
    _ratio("briefs_complete", "handoffs"),
    description="Handoffs whose brief had every field the agreement of the time required.",
)

# Time in stage.
for _stage in STAY_STAGES:
    _metric(
        f"days_in_{_stage}_median",
        f"Days as {Stage(_stage).label} (median)",
        "days",
        [f"days_in_{_stage}"],
        _figure(f"days_in_{_stage}"),
        better="lower",
        description=f"Median days in {Stage(_stage).label} of the stays that ended in the period.",
    )

# Right now: work nobody owns (the target is zero).
_metric(
    "unowned_leads",
    "SAL/SQL with no owner",
    "count",
    better="lower",
    description="Leads at SAL or SQL with no owner, now.",
)
_metric(
    "mqls_waiting",
    "MQLs with no handoff",
    "count",
    better="lower",
    description="MQLs with no open or claimed handoff, now.",
)

#: What ``compare`` (and the summary API) answers by default: every metric but time in
#: stage, which reads the stage history one lead at a time (``figures.stay_figures``);
#: ask for it by name, or call ``time_in_stage``.
DEFAULT_METRICS = [name for name, metric in METRICS.items() if "stays" not in metric.sources]


#: The figures of speed to lead: each a percentile, a sort of the period's handoffs.
SPEED_FIGURES = frozenset(f"{name}_{which}" for name, *_ in STEPS for which in PERCENTILES)
#: The metrics compared with the period before (``compare``'s ``previous_names`` in the
#: summary API, the dashboard and its CSV): all of ``DEFAULT_METRICS`` but speed to lead,
#: read for the period asked only.
PREVIOUS_METRICS = [name for name in DEFAULT_METRICS if not METRICS[name].needs & SPEED_FIGURES]


def trend_metrics() -> list[str]:
    """The metrics a trend can draw: all but the snapshots of now."""
    return [name for name, metric in METRICS.items() if not metric.snapshot]


def currency() -> str:
    return settings.CURRENCY


def _names(names: Iterable[str] | None) -> list[str]:
    chosen = list(DEFAULT_METRICS) if names is None else list(names)
    unknown = [name for name in chosen if name not in METRICS]
    if unknown:
        raise KeyError(f"Unknown metrics: {', '.join(unknown)}.")
    return chosen


def derive(names: Iterable[str], figures: Figures) -> dict[str, Value]:
    return {name: METRICS[name].derive(figures) for name in names}


def per_bucket(
    buckets: Buckets,
    scope: Scope | None,
    names: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    earlier_names: Iterable[str] | None = None,
) -> dict:
    """``{bucket key: {metric: value}}`` for the ``names`` (default ``DEFAULT_METRICS``),
    in one query per table the metrics read. ``earlier_names``: the metrics of the
    buckets before the last, if fewer (leaving out speed to lead spares a sort each)."""
    chosen = _names(names)
    earlier = chosen if earlier_names is None else [n for n in chosen if n in set(earlier_names)]
    needs = set().union(*(METRICS[name].needs for name in chosen))
    speed_last_only = not (set().union(*(METRICS[n].needs for n in earlier)) & SPEED_FIGURES)
    by_bucket = gather(
        needs,
        buckets,
        scope or Scope(),
        now=now or timezone.now(),
        speed_last_only=speed_last_only,
    )
    last = buckets.keys[-1]
    return {
        key: derive(chosen if key == last else earlier, figures)
        for key, figures in by_bucket.items()
    }


def values(
    period: Period,
    scope: Scope | None = None,
    names: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Value]:
    """The metrics ``names`` (default ``DEFAULT_METRICS``) for one period and scope;
    ``now`` decides which SLA deadlines have passed. One query per table they read."""
    return per_bucket(PeriodBuckets([period]), scope, names, now=now)[0]
