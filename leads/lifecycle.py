"""The only code that changes a lead's stage, with the transition table of the product.

``advance`` locks the lead row, checks the table, writes the ``StageChange`` and
publishes ``lead.stage_changed`` in the same transaction.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alignment import events
from alignment.exceptions import Conflict
from leads.models import Lead, Stage, StageChange

TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NEW: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    Stage.MQL: frozenset({Stage.SAL, Stage.RECYCLED, Stage.DISQUALIFIED}),
    Stage.SAL: frozenset({Stage.SQL, Stage.LOST, Stage.RECYCLED, Stage.DISQUALIFIED}),
    Stage.SQL: frozenset({Stage.WON, Stage.LOST, Stage.RECYCLED}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset({Stage.RECYCLED}),
    Stage.RECYCLED: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    Stage.DISQUALIFIED: frozenset({Stage.MQL}),
}


def stage_label(stage: str) -> str:
    """The label of a stage; an unknown value (bad input from a door) is shown as given."""
    return Stage(stage).label if stage in Stage.values else repr(stage)


class IllegalTransition(Conflict):
    """The lead cannot move from its current stage to the one asked for."""

    def __init__(self, lead: Lead, to_stage: str):
        self.from_stage = lead.stage
        self.to_stage = to_stage
        super().__init__(
            f"A lead cannot move from {stage_label(lead.stage)} to {stage_label(to_stage)}."
        )


def can_advance(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def advance(
    lead: Lead,
    to_stage: str,
    *,
    by=None,
    reason: str = "",
    amount: Decimal | None = None,
    automatic: bool = False,
    at: datetime | None = None,
) -> StageChange:
    """Move ``lead`` to ``to_stage`` or raise ``IllegalTransition``.

    The row is locked first: two requests moving the same lead serialise, and the second
    sees the stage the first left. ``at`` back-dates the change (imports, demo data).
    """
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        if not can_advance(current.stage, to_stage):
            lead.stage = current.stage
            raise IllegalTransition(current, to_stage)
        now = at or timezone.now()
        change = StageChange.objects.create(
            lead=current,
            from_stage=current.stage,
            to_stage=to_stage,
            changed_by=by,
            reason=reason,
            amount=amount if to_stage == Stage.WON else None,
            automatic=automatic,
            changed_at=now,
        )
        Lead.objects.filter(pk=lead.pk).update(stage=to_stage, updated_at=now)
        lead.stage = to_stage
        lead.updated_at = now
        events.publish(
            events.LEAD_STAGE_CHANGED,
            subject=f"lead:{lead.pk}",
            payload={
                "lead": lead.pk,
                "before": {"stage": change.from_stage},
                "after": {"stage": change.to_stage},
                "reason": reason,
                "by": getattr(by, "username", None),
                "automatic": automatic,
            },
            lead=lead,
            change=change,
        )
    return change
