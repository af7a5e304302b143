"""Calibration: how well the score foretold what sales did with each handoff.

Each handoff counts once, with the score the lead had when it was handed off, and its
outcome is what happened to the lead between that handoff and the next one (if the lead
came back). The maths over the counts is in ``leads.scoring.calibration``.
"""

from datetime import UTC, datetime

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from handoffs.models import Handoff
from kpis.queries.handoff_figures import ACCEPTED
from leads.models import ScoreChange, Stage, StageChange
from leads.scoring.calibration import (
    BAND_WIDTH,
    DEFAULT_TARGET,
    CalibrationReport,
    acceptance_at,
    bands,
    roc_auc,
    suggest_threshold,
)

#: The end of an open window: later than any stage change will ever be.
_NO_LATER_HANDOFF = datetime(9999, 12, 31, tzinfo=UTC)


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
    accepted, sent back before or after a claim is rejected, as in ``handoff_figures``.
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
