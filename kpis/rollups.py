"""Rebuilding the KPI rollups: the daily sums the dashboard, ``kpis/summary`` and
``kpis/campaigns`` read instead of a million leads (``kpis.queries.rollups`` reads them).

Every table is rebuilt whole, in one transaction, from the events themselves: a lead that
changes campaign, a merge, a handoff claimed weeks after it opened are all in the next
rebuild, with nothing to keep in step between two rebuilds. Readers see the previous
rollups until it commits. Beat runs it every ``KPI_ROLLUP_MINUTES``; how long it takes at
a million leads is in ``bench/README.md``.
"""

import time
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from alignment.bulk import insert_select
from handoffs.models import Handoff
from kpis.models import DailyCredit, DailyDecisions, DailyLeads, DailyStageEntries, Rollup
from kpis.queries.base import kpi_time_zone
from kpis.queries.campaigns import ATTRIBUTIONS, credit_sql
from kpis.queries.figures import FUNNEL
from kpis.queries.handoff_figures import ACCEPTED
from kpis.queries.rollups import remember
from leads.models import Lead, Stage, StageChange

#: The advisory lock a rebuild holds on PostgreSQL (any number no other code uses).
ROLLUP_LOCK = 7_311_001


def _stage_entries_sql(day: TruncDate) -> tuple[str, list]:
    """Each lead's entries into a funnel stage, one row per lead, stage and day, with the
    day it last entered that stage before, grouped by day, the lead's campaign, stage and
    that previous day."""
    per_day, params = (
        StageChange.objects.filter(to_stage__in=list(FUNNEL))
        .annotate(day=day, stage=F("to_stage"), lead_ref=F("lead_id"))
        .values("lead_ref", "stage", "day")
        .annotate(amount=Sum("amount"))
        .order_by()
        .query.sql_with_params()
    )
    quote = connection.ops.quote_name
    lead = Lead._meta
    sql = f"""
        SELECT e.day, lead_row.{quote("campaign_id")}, e.stage, e.previous_day,
            COUNT(*), SUM(e.amount)
        FROM (
            SELECT g.lead_ref, g.stage, g.day, g.amount,
                LAG(g.day) OVER (PARTITION BY g.lead_ref, g.stage ORDER BY g.day)
                    AS previous_day
            FROM ({per_day}) g
        ) e
        JOIN {quote(lead.db_table)} lead_row ON lead_row.{quote("id")} = e.lead_ref
        GROUP BY e.day, lead_row.{quote("campaign_id")}, e.stage, e.previous_day
    """
    return sql, list(params)


@transaction.atomic
def refresh_rollups(*, now: datetime | None = None) -> Rollup:
    """Rebuild every daily rollup from the events, with days cut in the team's zone."""
    started = time.monotonic()
    now = now or timezone.now()
    zone = kpi_time_zone()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One rebuild at a time: a second one's DELETE would not see the rows the
            # first inserted, and both sets would stay. It waits, then rebuilds again.
            # (SQLite's write transactions already wait for each other.)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
        for table in (DailyLeads, DailyStageEntries, DailyDecisions, DailyCredit):
            # DELETE, not TRUNCATE: its lock would make readers wait for the rebuild.
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table._meta.db_table)}")
    insert_select(
        DailyLeads,
        {"day": "day", "campaign": "campaign_ref", "leads": "leads"},
        Lead.objects.annotate(day=TruncDate("created_at", tzinfo=zone), campaign_ref=F("campaign"))
        .values("day", "campaign_ref")
        .annotate(leads=Count("*"))
        .order_by(),
    )
    insert_select(
        DailyStageEntries,
        ["day", "campaign", "stage", "previous_day", "leads", "amount"],
        _stage_entries_sql(TruncDate("changed_at", tzinfo=zone)),
    )
    insert_select(
        DailyStageEntries,
        {
            "day": "day",
            "stage": "stage",
            "previous_day": "previous_day",
            "leads": "total",
            "amount": "total_amount",
            "company": "company",
        },
        DailyStageEntries.objects.values("day", "stage", "previous_day")
        .annotate(total=Sum("leads"), total_amount=Sum("amount"), company=Value(True))
        .order_by(),
    )
    insert_select(
        DailyDecisions,
        {
            "day": "day",
            "campaign": "campaign_ref",
            "rejection_reason": "reason",
            "accepted": "accepted",
            "rejected": "rejected",
        },
        Handoff.objects.filter(status__in=[*ACCEPTED, Handoff.Status.REJECTED])
        .annotate(
            day=TruncDate("created_at", tzinfo=zone),
            campaign_ref=F("lead__campaign"),
            reason=F("rejection_reason"),
        )
        .values("day", "campaign_ref", "reason")
        .annotate(
            accepted=Count("pk", filter=Q(status__in=ACCEPTED)),
            rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        )
        .order_by(),
    )
    reached = StageChange.objects.filter(to_stage__in=[Stage.SQL, Stage.WON]).annotate(
        day=TruncDate("changed_at", tzinfo=zone)
    )
    for model in ATTRIBUTIONS:
        sql, params = credit_sql(reached, model)
        insert_select(
            DailyCredit,
            ["campaign", "stage", "share", "amount", "day", "model"],
            (f"SELECT c.*, %s FROM ({sql}) c", [model, *params]),
        )
    Rollup.objects.all().delete()
    rollup = Rollup.objects.create(
        refreshed_at=now, time_zone=str(zone), seconds=round(time.monotonic() - started, 3)
    )
    transaction.on_commit(lambda: remember(rollup))
    return rollup


@transaction.atomic
def forget_rollups() -> None:
    """Drop the rollups: every KPI is computed live from now on (small data sets)."""
    with connection.cursor() as cursor:
        for table in (DailyLeads, DailyStageEntries, DailyDecisions, DailyCredit, Rollup):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table._meta.db_table)}")
    transaction.on_commit(lambda: remember(None))
