"""KPI queries: every number is computed from the data with aggregate SQL.

The dashboard, the CSV export and ``/api/v1/kpis/`` all call these functions, so the
numbers are the same everywhere. Funnel counts read the stage history (``StageChange``):
a lead counts as an MQL in a period if it became one in that period.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from campaigns.models import CostEntry
from handoffs.models import Handoff
from kpis.calibration import (
    BAND_WIDTH,
    DEFAULT_TARGET,
    CalibrationReport,
    acceptance_at,
    bands,
    roc_auc,
    suggest_threshold,
)
from leads.models import Lead, ScoreChange, Stage, StageChange

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


# Calibration: how well the score foretold what sales did with each handoff.
# Each handoff counts once, with the score the lead had when it was handed off, and its
# outcome is what happened to the lead between that handoff and the next one (if the
# lead came back). The maths over the counts is in ``kpis.calibration``.

#: The end of an open window: later than any stage change will ever be.
_NO_LATER_HANDOFF = datetime(9999, 12, 31, tzinfo=UTC)
ACCEPTED = (Handoff.Status.CLAIMED, Handoff.Status.CLOSED)


def score_at_handoff() -> Coalesce:
    """The lead's score when the handoff opened.

    The score history's last row at or before that moment; for a handoff older than the
    history, the score written into the brief; for a handoff without one, the lead's
    score now.
    """
    history = ScoreChange.objects.filter(
        lead=OuterRef("lead"), scored_at__lte=OuterRef("created_at")
    ).order_by("-scored_at", "-id")
    return Coalesce(
        Subquery(history.values("score")[:1]),
        Cast(KT("brief__score"), IntegerField()),
        F("lead__score"),
        output_field=IntegerField(),
    )


def _reached(*stages: str) -> Exists:
    """Whether the lead entered one of ``stages`` in the handoff's window."""
    return Exists(
        StageChange.objects.filter(
            lead=OuterRef("lead"),
            to_stage__in=stages,
            changed_at__gte=OuterRef("created_at"),
            changed_at__lt=OuterRef("window_end"),
        )
    )


def handoff_outcomes() -> QuerySet[Handoff]:
    """Handoffs with an outcome, annotated ``score_at``, ``reached_sql`` and ``won``.

    Positive: the lead reached SQL before it was handed off again (won leads passed
    through SQL). Negative: it did not, and left sales' hands: the handoff was rejected,
    or the lead was lost, disqualified or recycled. Handoffs still being worked have no
    outcome yet and are left out.
    """
    later = Handoff.objects.filter(lead=OuterRef("lead"), created_at__gt=OuterRef("created_at"))
    return (
        Handoff.objects.annotate(
            score_at=score_at_handoff(),
            window_end=Coalesce(
                Subquery(later.order_by("created_at").values("created_at")[:1]),
                Value(_NO_LATER_HANDOFF, output_field=DateTimeField()),
            ),
        )
        .annotate(
            reached_sql=_reached(Stage.SQL, Stage.WON),
            won=_reached(Stage.WON),
            left=_reached(Stage.LOST, Stage.DISQUALIFIED, Stage.RECYCLED),
        )
        .filter(Q(reached_sql=True) | Q(left=True) | Q(status=Handoff.Status.REJECTED))
    )


def _band(width: int) -> Case:
    """``floor(score_at / width) * width`` with integer division, which truncates
    towards zero in SQL: negative scores take the other branch to round down.
    """
    return Case(
        When(score_at__gte=0, then=F("score_at") / width * width),
        default=-((Value(width - 1) - F("score_at")) / width) * width,
        output_field=IntegerField(),
    )


def calibration_bands(width: int = BAND_WIDTH) -> list[tuple[int, int, int, int]]:
    """``(low, handoffs, sqls, won)`` per score band with outcomes (one query)."""
    rows = (
        handoff_outcomes()
        .annotate(band=_band(width))
        .values("band")
        .annotate(
            n=Count("pk"),
            sqls=Count("pk", filter=Q(reached_sql=True)),
            wins=Count("pk", filter=Q(won=True)),
        )
        .order_by("band")
    )
    return [(row["band"], row["n"], row["sqls"], row["wins"]) for row in rows]


def outcome_counts() -> list[tuple[int, int, int]]:
    """``(score, positives, negatives)`` per distinct score at handoff (one query)."""
    rows = (
        handoff_outcomes()
        .values(score=F("score_at"))
        .annotate(
            positives=Count("pk", filter=Q(reached_sql=True)),
            negatives=Count("pk", filter=Q(reached_sql=False)),
        )
        .order_by("score")
    )
    return [(row["score"], row["positives"], row["negatives"]) for row in rows]


def decision_counts() -> list[tuple[int, int, int]]:
    """``(score, accepted, rejected)`` per distinct score at handoff, over the handoffs
    sales decided on: claimed and kept (or worked until the lead left: closed) is
    accepted, sent back before or after a claim is rejected, as in ``handoff_numbers``.
    """
    rows = (
        Handoff.objects.filter(status__in=[*ACCEPTED, Handoff.Status.REJECTED])
        .annotate(score_at=score_at_handoff())
        .values("score_at")
        .annotate(
            accepted=Count("pk", filter=Q(status__in=ACCEPTED)),
            rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        )
        .order_by("score_at")
    )
    return [(row["score_at"], row["accepted"], row["rejected"]) for row in rows]


def calibration(
    target: float = DEFAULT_TARGET, *, current_threshold: int | None = None
) -> CalibrationReport:
    """The calibration report over every handoff so far (three queries).

    ``current_threshold`` (the agreement's) adds what sales accepted at it today.
    """
    outcomes = outcome_counts()
    decisions = decision_counts()
    return CalibrationReport(
        bands=bands(calibration_bands()),
        auc=roc_auc(outcomes),
        outcomes=sum(pos + neg for _, pos, neg in outcomes),
        positives=sum(pos for _, pos, _ in outcomes),
        target_acceptance_rate=target,
        suggested=suggest_threshold(decisions, target),
        current_threshold=current_threshold,
        current=acceptance_at(decisions, current_threshold)
        if current_threshold is not None
        else None,
    )
