"""KPI queries: every number is computed from the data with aggregate SQL.

The dashboard, the CSV export and ``/api/v1/kpis/`` all call these functions, so the
numbers are the same everywhere. Funnel counts read the stage history (``StageChange``):
a lead counts as an MQL in a period if it became one in that period.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from campaigns.models import CostEntry
from handoffs.models import Handoff
from leads.models import Lead, Stage, StageChange

MONEY = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes, from inclusive dates."""

    start: datetime
    end: datetime

    @classmethod
    def from_dates(cls, start: date, end: date) -> "Period":
        tz = timezone.get_current_timezone()
        return cls(
            start=datetime.combine(start, time.min, tzinfo=tz),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        )

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls.from_dates(today - timedelta(days=days - 1), today)


@dataclass(frozen=True)
class Scope:
    """Which leads count: all, one campaign's, or one channel's (by first touch)."""

    campaign: int | None = None
    channel: str | None = None

    def leads_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.campaign is not None:
            q &= Q(**{f"{prefix}campaign_id": self.campaign})
        if self.channel:
            q &= Q(**{f"{prefix}campaign__channel": self.channel})
        return q

    def costs_q(self) -> Q:
        q = Q()
        if self.campaign is not None:
            q &= Q(campaign_id=self.campaign)
        if self.channel:
            q &= Q(campaign__channel=self.channel)
        return q


@dataclass(frozen=True)
class Summary:
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


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _per(money: Decimal, count: int) -> Decimal | None:
    return (money / count).quantize(MONEY) if count else None


def stage_counts(period: Period, scope: Scope) -> dict[str, int]:
    """Distinct leads that entered each stage in the period (one query)."""
    rows = (
        StageChange.objects.filter(
            scope.leads_q("lead__"), changed_at__gte=period.start, changed_at__lt=period.end
        )
        .values("to_stage")
        .annotate(n=Count("lead", distinct=True))
    )
    return {row["to_stage"]: row["n"] for row in rows}


def won_amount(period: Period, scope: Scope) -> Decimal:
    total = StageChange.objects.filter(
        scope.leads_q("lead__"),
        to_stage=Stage.WON,
        changed_at__gte=period.start,
        changed_at__lt=period.end,
    ).aggregate(total=Sum("amount"))["total"]
    return (total or Decimal("0")).quantize(MONEY)


def spend(period: Period, scope: Scope) -> Decimal:
    total = CostEntry.objects.filter(
        scope.costs_q(), date__gte=period.start.date(), date__lt=period.end.date()
    ).aggregate(total=Sum("amount"))["total"]
    return (total or Decimal("0")).quantize(MONEY)


def _handoffs(period: Period, scope: Scope) -> QuerySet[Handoff]:
    return Handoff.objects.filter(
        scope.leads_q("lead__"), created_at__gte=period.start, created_at__lt=period.end
    )


def median_minutes(queryset: QuerySet, start_field: str, end_field: str) -> float | None:
    """The median of ``end - start`` in minutes, computed by the database (two queries)."""
    duration = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    rows = queryset.filter(**{f"{end_field}__isnull": False}).annotate(took=duration)
    count = rows.count()
    if not count:
        return None
    ordered = rows.order_by("took").values_list("took", flat=True)
    middle = list(ordered[(count - 1) // 2 : count // 2 + 1])
    seconds = sum(d.total_seconds() for d in middle) / len(middle)
    return round(seconds / 60, 1)


def handoff_numbers(period: Period, scope: Scope, *, now: datetime | None = None) -> dict:
    """Acceptance, SLA compliance and speed to lead for handoffs opened in the period.

    - acceptance rate: accepted ÷ (accepted + rejected), where a handoff sales claimed
      and kept (or worked until its lead left the funnel: ``closed``) is accepted and one
      sent back (before or after a claim) is rejected;
    - SLA compliance: of the handoffs sales has answered or whose claim deadline has
      passed, the share answered in time: claimed by the claim deadline and (once due)
      first contacted by the first-contact deadline, or rejected unclaimed by the claim
      deadline. It is the complement of what ``escalate_overdue`` escalates.
    """
    now = now or timezone.now()
    handoffs = _handoffs(period, scope)
    claimed_on_time = Q(claimed_at__isnull=False, claimed_at__lte=F("claim_due_at"))
    contact_ok = (
        Q(first_contact_due_at__isnull=True)
        | Q(first_contact_at__isnull=False, first_contact_at__lte=F("first_contact_due_at"))
        | Q(first_contact_at__isnull=True, first_contact_due_at__gt=now)
    )
    rejected_unclaimed = Q(status=Handoff.Status.REJECTED, claimed_at__isnull=True)
    rejected_on_time = rejected_unclaimed & Q(rejected_at__lte=F("claim_due_at"))
    due = Q(claimed_at__isnull=False) | Q(claim_due_at__lte=now) | rejected_unclaimed
    counts = handoffs.aggregate(
        accepted=Count("pk", filter=Q(status__in=[Handoff.Status.CLAIMED, Handoff.Status.CLOSED])),
        rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        due=Count("pk", filter=due),
        compliant=Count("pk", filter=(claimed_on_time & contact_ok) | rejected_on_time),
    )
    return {
        "acceptance_rate": _rate(counts["accepted"], counts["accepted"] + counts["rejected"]),
        "sla_compliance_rate": _rate(counts["compliant"], counts["due"]),
        "speed_to_claim_minutes_median": median_minutes(handoffs, "created_at", "claimed_at"),
        "speed_to_contact_minutes_median": median_minutes(
            handoffs, "claimed_at", "first_contact_at"
        ),
    }


def summary(period: Period, scope: Scope | None = None, *, now: datetime | None = None) -> Summary:
    """The shared numbers for one period and scope; ``now`` decides which SLAs are due."""
    scope = scope or Scope()
    leads = Lead.objects.filter(
        scope.leads_q(), created_at__gte=period.start, created_at__lt=period.end
    ).count()
    stages = stage_counts(period, scope)
    mqls, sqls = stages.get(Stage.MQL, 0), stages.get(Stage.SQL, 0)
    won = stages.get(Stage.WON, 0)
    revenue = won_amount(period, scope)
    money_spent = spend(period, scope)
    return Summary(
        leads=leads,
        mqls=mqls,
        sals=stages.get(Stage.SAL, 0),
        sqls=sqls,
        won=won,
        lost=stages.get(Stage.LOST, 0),
        won_amount=revenue,
        mql_to_sql_rate=_rate(sqls, mqls),
        sql_to_won_rate=_rate(won, sqls),
        spend=money_spent,
        cost_per_lead=_per(money_spent, leads),
        cost_per_mql=_per(money_spent, mqls),
        cost_per_sql=_per(money_spent, sqls),
        roi=round(float((revenue - money_spent) / money_spent), 4) if money_spent else None,
        **handoff_numbers(period, scope, now=now),
    )


def funnel(period: Period, scope: Scope | None = None) -> list[dict]:
    """The funnel as rows a chart can draw: stage, label, count."""
    numbers = summary(period, scope)
    return [
        {"stage": "leads", "label": "Leads", "count": numbers.leads},
        {"stage": Stage.MQL.value, "label": "MQL", "count": numbers.mqls},
        {"stage": Stage.SAL.value, "label": "SAL", "count": numbers.sals},
        {"stage": Stage.SQL.value, "label": "SQL", "count": numbers.sqls},
        {"stage": Stage.WON.value, "label": "Won", "count": numbers.won},
    ]
