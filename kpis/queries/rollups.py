"""Reading the daily rollups (``kpis.rollups`` rebuilds them; the tables are in
``kpis.models``): the same figures as the live queries of ``figures`` and ``campaigns``,
from a few thousand daily rows instead of a million leads.

A query reads them when ``fresh_rollup`` finds a rebuild younger than
``KPI_ROLLUP_STALE_MINUTES`` whose days are the query's (every period starts and ends at
a midnight of the rollup's zone) and no owner is chosen (a rep's or a marketer's own
leads are few, and read live); otherwise it reads the events live. The figures are then
those of the rebuild's time, which pages and the API say (``as_of``).
"""

from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone

from kpis.models import DailyCredit, DailyDecisions, DailyLeads, DailyStageEntries, Rollup
from kpis.queries.base import Period, Scope
from kpis.queries.buckets import Buckets, Figures

#: The shared cache's copy of the last rebuild's row (``kpis.rollups`` sets it when a
#: rebuild commits), so a page asks the database about it at most once a minute.
CACHE_KEY = "kpis:rollup"
CACHE_SECONDS = 60


def remember(rollup: Rollup | None) -> None:
    """Put the last rebuild (or that there is none) in the shared cache."""
    about = None
    if rollup is not None:
        about = {"refreshed_at": rollup.refreshed_at, "time_zone": rollup.time_zone}
    cache.set(CACHE_KEY, {"rollup": about}, CACHE_SECONDS)


def latest_rollup() -> Rollup | None:
    """The last rebuild if it is recent enough to be read: from the shared cache, else
    one query. A process whose cache is its own (no Redis) learns of a rebuild by
    another within ``CACHE_SECONDS``; until then it reads the rebuild before, or live."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        rollup = Rollup.objects.order_by("-refreshed_at").first()
        remember(rollup)
    else:
        about = cached["rollup"]
        rollup = Rollup(**about, seconds=0) if about else None
    oldest = timezone.now() - timedelta(minutes=settings.KPI_ROLLUP_STALE_MINUTES)
    if rollup is None or rollup.refreshed_at < oldest:
        return None
    return rollup


def _same_days(period: Period, zone: ZoneInfo) -> bool:
    """Whether the period is whole days of ``zone``, and the same days it names in its own
    zone (Apia and Pago Pago share their midnights a day apart)."""
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    return (
        start.time() == time.min
        and end.time() == time.min
        and start.date() == period.first_day
        and end.date() == period.last_day + timedelta(days=1)
    )


def fits(rollup: Rollup | None, periods: list[Period], scope: Scope) -> bool:
    """Whether ``rollup`` answers for these periods and scope: no owner chosen, and whole
    days of its zone (a zone with the same midnights and dates is as good as its own)."""
    if rollup is None or scope.owner is not None:
        return False
    try:
        zone = ZoneInfo(rollup.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return all(_same_days(period, zone) for period in periods)


def fresh_rollup(periods: list[Period], scope: Scope) -> Rollup | None:
    """The rollup to read for these periods and scope, or None to read live."""
    if scope.owner is not None:
        return None
    rollup = latest_rollup()
    return rollup if fits(rollup, periods, scope) else None


def _first_entries(start_of_day: object) -> Q:
    """The rows that count a lead once in a bucket: its first entry into the stage there
    (it had not entered it on an earlier day of the same bucket)."""
    return Q(previous_day__isnull=True) | Q(previous_day__lt=start_of_day)


def lead_rows(buckets: Buckets, scope: Scope) -> list[Figures]:
    """``{bucket, leads}``: leads created per bucket."""
    rows = (
        DailyLeads.objects.filter(
            scope.campaigns_q("campaign__"), day__gte=buckets.first_day, day__lt=buckets.end_day
        )
        .values(bucket=buckets.of_date("day"))
        .annotate(leads=Sum("leads"))
        .order_by()
    )
    return [dict(row) for row in rows]


def _campaigns_or_company(scope: Scope) -> Q:
    """A campaign's or a channel's stage rows, or the company's sums when none is chosen."""
    if scope.narrows_campaigns:
        return scope.campaigns_q("campaign__") & Q(company=False)
    return Q(company=True)


def stage_rows(buckets: Buckets, scope: Scope, stages: list[str]) -> list[Figures]:
    """``{to_stage, bucket, n, amount}``: distinct leads entering each stage per bucket
    and the amounts of all those entries, as ``figures.stage_figures`` reads them."""
    rows = (
        DailyStageEntries.objects.filter(
            _campaigns_or_company(scope),
            stage__in=stages,
            day__gte=buckets.first_day,
            day__lt=buckets.end_day,
        )
        .values("stage", bucket=buckets.of_date("day"))
        .annotate(
            n=Sum("leads", filter=_first_entries(buckets.start_of_date("day"))),
            amount=Sum("amount"),
        )
        .order_by()
    )
    return [{**row, "to_stage": row["stage"], "n": row["n"] or 0} for row in rows]


def campaign_lead_rows(period: Period, scope: Scope) -> list[tuple]:
    """``(campaign, leads)`` created in the period."""
    return list(
        DailyLeads.objects.filter(
            scope.campaigns_q("campaign__"), day__gte=period.first_day, day__lte=period.last_day
        )
        .values("campaign")
        .annotate(n=Sum("leads"))
        .order_by()
        .values_list("campaign", "n")
    )


def campaign_entry_rows(period: Period, scope: Scope, stages: list[str]) -> list[tuple]:
    """``(campaign, stage, leads, amount)``: distinct leads of each campaign entering
    each stage in the period, and the amounts of those entries."""
    return [
        (campaign, stage, n or 0, amount)
        for campaign, stage, n, amount in DailyStageEntries.objects.filter(
            scope.campaigns_q("campaign__"),
            company=False,
            stage__in=stages,
            day__gte=period.first_day,
            day__lte=period.last_day,
        )
        .values("campaign", "stage")
        .annotate(n=Sum("leads", filter=_first_entries(period.first_day)), amount=Sum("amount"))
        .order_by()
        .values_list("campaign", "stage", "n", "amount")
    ]


def campaign_decision_rows(period: Period, scope: Scope) -> list[Figures]:
    """``{campaign, rejection_reason, accepted, rejected}`` of the handoffs opened in the
    period."""
    rows = (
        DailyDecisions.objects.filter(
            scope.campaigns_q("campaign__"), day__gte=period.first_day, day__lte=period.last_day
        )
        .values("campaign", "rejection_reason")
        .annotate(accepted=Sum("accepted"), rejected=Sum("rejected"))
        .order_by()
    )
    return [dict(row) for row in rows]


def credit_rows(period: Period, model: str) -> list[tuple]:
    """``(campaign, stage, share, amount)`` credited under ``model`` in the period."""
    return list(
        DailyCredit.objects.filter(model=model, day__gte=period.first_day, day__lte=period.last_day)
        .values("campaign", "stage")
        .annotate(share=Sum("share"), amount=Sum("amount"))
        .order_by()
        .values_list("campaign", "stage", "share", "amount")
    )
