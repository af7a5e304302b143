"""The raw figures behind the KPIs: one grouped query per table, per set of buckets.

Each source reads one table once, with conditional aggregation (``Count(filter=…)``) for
its several numbers and a bucket expression in its ``GROUP BY`` (see ``buckets``; the
stages over a few periods take a filtered aggregate per period instead), and answers
``{bucket key: {figure: value}}`` with every bucket present (the handoffs' own source is
in ``handoff_figures``). The KPIs in ``metrics`` are arithmetic over these figures, so
the summary, a goal, a trend and a table row all compute a number the same way.
"""

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from campaigns.models import CostEntry
from handoffs.models import Handoff
from kpis.queries import rollups
from kpis.queries.base import Scope, days_of, money_of
from kpis.queries.buckets import Buckets, ByBucket, Figures, PeriodBuckets, fill
from kpis.queries.handoff_figures import HANDOFF_FIGURES, duration, handoff_figures
from kpis.queries.percentile import Percentile
from leads.models import Lead, Stage, StageChange

#: The stages the funnel counts, and the figure each one's count is called.
FUNNEL: dict[str, str] = {
    Stage.MQL: "mqls",
    Stage.SAL: "sals",
    Stage.SQL: "sqls",
    Stage.WON: "won",
    Stage.LOST: "lost",
}
#: Every stage a change can lead to: naming them all lets the database walk the
#: ``(to_stage, changed_at)`` index for a time range.
ANY_STAGE = [stage.value for stage in Stage]
#: The stages a lead waits in before the next one, for time in stage.
STAY_STAGES = (Stage.NEW, Stage.MQL, Stage.SAL, Stage.SQL)
#: The median of a stay.
MEDIAN = 0.5


def lead_figures(buckets: Buckets, scope: Scope, *, rolled_up: bool = False) -> ByBucket:
    """``leads``: leads created in each bucket (from the daily rollup if ``rolled_up``)."""
    result = fill(buckets, {"leads": 0})
    if rolled_up:
        for rolled in rollups.lead_rows(buckets, scope):
            result[buckets.key(rolled["bucket"])]["leads"] = rolled["leads"]
        return result
    rows = (
        Lead.objects.filter(
            scope.leads_q(), created_at__gte=buckets.start, created_at__lt=buckets.end
        )
        .values(bucket=buckets.of("created_at"))
        # ``*`` rather than the id: counting rows lets PostgreSQL answer from the
        # ``created_at`` index alone (an index-only scan) instead of reading the table.
        .annotate(leads=Count("*"))
        .order_by()
    )
    for row in rows:
        result[buckets.key(row["bucket"])]["leads"] = row["leads"]
    return result


#: The stage whose entries each stage figure counts.
STAGE_OF: dict[str, str] = {
    **{figure: stage for stage, figure in FUNNEL.items()},
    "won_amount": Stage.WON,
    "previous_mqls": Stage.MQL,
}


def stage_figures(
    buckets: Buckets, scope: Scope, needs: set[str], *, rolled_up: bool = False
) -> ByBucket:
    """``mqls, sals, sqls, won, lost``: distinct leads that entered each stage in the
    bucket; ``won_amount``: the deals won in it; ``previous_mqls``: the MQLs of the
    bucket before each (the same query over one more bucket). Only the stages ``needs``
    asks about are read (from the daily rollup if ``rolled_up``)."""
    lead_in = "previous_mqls" in needs
    span = buckets.lead_in() if lead_in else buckets
    counts = fill(span, {**dict.fromkeys(FUNNEL.values(), 0), "won_amount": money_of(0)})
    # Only the MQLs are counted in the lead-in bucket: the other stages start with the
    # buckets asked for, which spares the distinct count (a sort) a third of its rows.
    # The condition is on the indexed columns, so it filters the index range scan.
    stages = sorted({STAGE_OF[need] for need in needs if need in STAGE_OF})
    mqls_only_before = Q(to_stage=Stage.MQL) | Q(changed_at__gte=buckets.start) if lead_in else Q()
    changes = StageChange.objects.filter(
        scope.leads_q("lead__"),
        mqls_only_before,
        to_stage__in=stages,
        changed_at__gte=span.start,
        changed_at__lt=span.end,
    ).order_by()
    rows: list[Figures]
    if rolled_up:
        rows = rollups.stage_rows(span, scope, stages)
    elif isinstance(span, PeriodBuckets):
        rows = _stage_rows_by_period(changes, span)
    else:
        grouped = changes.values("to_stage", bucket=span.of("changed_at")).annotate(
            n=Count("lead", distinct=True), amount=Sum("amount")
        )
        rows = [dict(row) for row in grouped]
    for row in rows:
        figures = counts[span.key(row["bucket"])]
        figures[FUNNEL[row["to_stage"]]] = row["n"]
        if row["to_stage"] == Stage.WON:
            figures["won_amount"] = money_of(row["amount"])
    if not lead_in:
        return counts
    # The lead-in bucket is first: each bucket asked for is one further along in ``span``.
    return {
        key: {**counts[same], "previous_mqls": counts[before]["mqls"]}
        for key, before, same in zip(buckets.keys, span.keys[:-1], span.keys[1:], strict=True)
    }


def _stage_rows_by_period(changes: QuerySet, span: PeriodBuckets) -> list[Figures]:
    """The rows of ``stage_figures`` (``to_stage, bucket, n, amount``) for a few periods,
    grouped by stage alone with a filtered aggregate per period: the changes come out of
    the ``(to_stage, changed_at)`` index already in stage order, so nothing is sorted but
    each period's leads for its distinct count (grouping by the bucket too sorted every
    change, on disk at a million leads)."""
    aggregates: dict[str, Any] = {}
    for key, period in zip(span.keys, span.periods, strict=True):
        within = Q(changed_at__gte=period.start, changed_at__lt=period.end)
        aggregates[f"n_{key}"] = Count("lead", distinct=True, filter=within)
        aggregates[f"amount_{key}"] = Sum("amount", filter=within)
    return [
        {
            "to_stage": row["to_stage"],
            "bucket": key,
            "n": row[f"n_{key}"],
            "amount": row[f"amount_{key}"],
        }
        for row in changes.values("to_stage").annotate(**aggregates)
        for key in span.keys
    ]


def spend_figures(buckets: Buckets, scope: Scope) -> ByBucket:
    """``spend``: the cost entries dated in each bucket."""
    result = fill(buckets, {"spend": money_of(0)})
    rows = (
        CostEntry.objects.filter(
            scope.costs_q(), date__gte=buckets.first_day, date__lt=buckets.end_day
        )
        .values(bucket=buckets.of_date("date"))
        .annotate(spend=Sum("amount"))
        .order_by()
    )
    for row in rows:
        result[buckets.key(row["bucket"])]["spend"] = money_of(row["spend"])
    return result


def stay_figures(buckets: Buckets, scope: Scope) -> ByBucket:
    """``days_in_{stage}``: the median days a lead spent in each stage (``STAY_STAGES``),
    over the stays that ended in the bucket: from the change that brought the lead into
    the stage (for ``new``, its creation) to the change that took it out."""
    # The change before: at most as late (the index range), and among changes at the
    # same instant, an earlier one.
    earlier = StageChange.objects.filter(
        Q(changed_at__lt=OuterRef("changed_at")) | Q(pk__lt=OuterRef("pk")),
        lead=OuterRef("lead"),
        changed_at__lte=OuterRef("changed_at"),
    ).order_by("-changed_at", "-pk")
    # A subquery rather than a join to the lead: only the first change of a lead (from
    # new) needs its creation, and a join would read every lead.
    created = Lead.objects.filter(pk=OuterRef("lead")).order_by().values("created_at")
    entered = Coalesce(
        Subquery(earlier.values("changed_at")[:1]), Subquery(created), output_field=DateTimeField()
    )
    aggregates = {
        f"days_in_{stage}": Percentile(
            duration("entered_at", "changed_at"), MEDIAN, filter=Q(from_stage=stage)
        )
        for stage in STAY_STAGES
    }
    result = fill(buckets, dict.fromkeys(aggregates))
    rows = (
        StageChange.objects.filter(
            scope.leads_q("lead__"),
            to_stage__in=ANY_STAGE,
            from_stage__in=list(STAY_STAGES),
            changed_at__gte=buckets.start,
            changed_at__lt=buckets.end,
        )
        .annotate(entered_at=entered)
        .values(bucket=buckets.of("changed_at"))
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        found: Figures = dict(row)
        result[buckets.key(found["bucket"])] = {name: days_of(found[name]) for name in aggregates}
    return result


def _counts(**querysets: QuerySet) -> dict[str, int]:
    """The number of rows of each queryset, in one statement of scalar subqueries: each
    count walks its own index, which one query over the union of their rows could not."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets.values():
        sql, more = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")
        params.extend(more)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def unowned_figures(buckets: Buckets, scope: Scope) -> ByBucket:
    """Right now (not per bucket: given to the last one, ``None`` in the others):
    ``unowned_leads``, leads at SAL or SQL with no owner (the target is zero), and
    ``mqls_waiting``, MQLs with no live (open or claimed) handoff: the MQLs less those
    with one, as a lead has at most one live handoff."""
    counts = _counts(
        unowned=Lead.objects.filter(
            scope.leads_q(), stage__in=[Stage.SAL, Stage.SQL], owner__isnull=True
        ),
        mqls=Lead.objects.filter(scope.leads_q(), stage=Stage.MQL),
        handed_off=Handoff.objects.filter(
            scope.leads_q("lead__"),
            status__in=[Handoff.Status.OPEN, Handoff.Status.CLAIMED],
            lead__stage=Stage.MQL,
        ),
    )
    result = fill(buckets, {"unowned_leads": None, "mqls_waiting": None})
    result[buckets.keys[-1]] = {
        "unowned_leads": counts["unowned"],
        "mqls_waiting": counts["mqls"] - counts["handed_off"],
    }
    return result


#: The source (table) of each figure; ``briefs_complete`` widens the handoffs query.
FIGURES: dict[str, str] = {
    "leads": "leads",
    **dict.fromkeys(STAGE_OF, "stages"),
    "spend": "spend",
    **dict.fromkeys(HANDOFF_FIGURES, "handoffs"),
    **{f"days_in_{stage}": "stays" for stage in STAY_STAGES},
    "unowned_leads": "unowned",
    "mqls_waiting": "unowned",
}
SOURCES = ("leads", "stages", "spend", "handoffs", "stays", "unowned")


def gather(
    needs: Iterable[str],
    buckets: Buckets,
    scope: Scope,
    *,
    now: datetime,
    speed_last_only: bool = False,
) -> dict[Hashable, Figures]:
    """The figures ``needs`` (names of ``FIGURES``) per bucket, in one query per table
    (two for the briefs: which fields each agreement asked for); speed to lead's
    percentiles in the last bucket only if ``speed_last_only``."""
    wanted = set(needs)
    unknown = wanted - set(FIGURES)
    if unknown:
        raise ValueError(f"Unknown KPI figures: {', '.join(sorted(unknown))}.")
    sources = {FIGURES[need] for need in wanted}
    queries: list[Callable[[], ByBucket]] = []
    rolled_up = (
        bool(sources & {"leads", "stages"})
        and rollups.fresh_rollup(
            buckets.lead_in().periods if "previous_mqls" in wanted else buckets.periods, scope
        )
        is not None
    )
    if "leads" in sources:
        queries.append(lambda: lead_figures(buckets, scope, rolled_up=rolled_up))
    if "stages" in sources:
        queries.append(lambda: stage_figures(buckets, scope, wanted, rolled_up=rolled_up))
    if "spend" in sources:
        queries.append(lambda: spend_figures(buckets, scope))
    if "handoffs" in sources:
        queries.append(
            lambda: handoff_figures(
                buckets, scope, wanted, now=now, speed_last_only=speed_last_only
            )
        )
    if "stays" in sources:
        queries.append(lambda: stay_figures(buckets, scope))
    if "unowned" in sources:
        queries.append(lambda: unowned_figures(buckets, scope))
    merged: dict[Hashable, Figures] = {key: {} for key in buckets.keys}
    for query in queries:
        for key, figures in query().items():
            merged[key].update(figures)
    return merged
