"""Sales at work on a lead: activities and stage changes with their role rules."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alignment import events
from alignment.roles import MANAGER, MARKETING, SALES, has_role
from handoffs.models import Activity, Handoff
from handoffs.services.handoffs import NotAllowed, live_handoff
from leads import services as lead_services
from leads.lifecycle import stage_label
from leads.models import Lead, Stage, StageChange


def log_activity(
    lead: Lead,
    *,
    rep,
    kind: str,
    outcome: str = "",
    note: str = "",
    occurred_at: datetime | None = None,
) -> Activity:
    """Record what sales did; the first activity after a claim stops the contact clock."""
    if not has_role(rep, SALES, MANAGER):
        raise NotAllowed("Only sales logs activities.")
    errors = {}
    if kind not in Activity.Kind.values:
        errors["kind"] = [f"Unknown activity kind {kind!r}."]
    if outcome and outcome not in Activity.Outcome.values:
        errors["outcome"] = [f"Unknown outcome {outcome!r}."]
    if errors:
        raise ValidationError(errors)
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        if not has_role(rep, MANAGER):
            _require_owner(lead, rep=rep)
        handoff = live_handoff(lead)
        activity = Activity.objects.create(
            lead=lead,
            handoff=handoff,
            rep=rep,
            kind=kind,
            outcome=outcome,
            note=note,
            occurred_at=occurred_at,
        )
        if handoff is not None and handoff.status == Handoff.Status.CLAIMED:
            Handoff.objects.filter(pk=handoff.pk, first_contact_at__isnull=True).update(
                first_contact_at=max(occurred_at, handoff.claimed_at or occurred_at)
            )
        events.publish(
            events.ACTIVITY_LOGGED,
            subject=f"lead:{lead.pk}",
            payload={"activity": activity.pk, "lead": lead.pk, "kind": kind, "outcome": outcome},
        )
    return activity


def _require_owner(lead: Lead, *, rep) -> None:
    """Refuse unless ``rep`` owns the lead. The owner is read from the locked row, not the
    caller's copy: a claim or a reassignment may have happened since it was read, and one
    happening now waits for this transaction."""
    owner_id = Lead.objects.select_for_update().values_list("owner_id", flat=True).get(pk=lead.pk)
    if owner_id is None:
        raise NotAllowed("Claim the lead before you work it.")
    if owner_id != rep.pk:
        raise NotAllowed("This lead belongs to another rep.")


#: Who may move a lead to each stage by hand. Sales may move only leads they own.
STAGE_ROLES: dict[str, tuple[str, ...]] = {
    Stage.MQL: (MARKETING, MANAGER),
    Stage.DISQUALIFIED: (MARKETING, SALES, MANAGER),
    Stage.SQL: (SALES, MANAGER),
    Stage.WON: (SALES, MANAGER),
    Stage.LOST: (SALES, MANAGER),
    # Marketing takes an unclaimed MQL back to nurture; sales sends its own leads back.
    Stage.RECYCLED: (MARKETING, SALES, MANAGER),
}
#: Stages in which sales is responsible for the lead (the agreement's RACI): marketing
#: no longer moves it.
SALES_STAGES = (Stage.SAL, Stage.SQL, Stage.WON, Stage.LOST)


def move_refusal(lead: Lead, *, to_stage: str, by) -> str | None:
    """Why ``by`` may not move ``lead`` to ``to_stage`` by hand, or None if they may.

    Role and ownership only; whether the stage table allows the move is
    ``lifecycle.can_advance``. Pages use this to show only the buttons that will work.
    """
    allowed = STAGE_ROLES.get(to_stage)
    if allowed is None or not has_role(by, *allowed):
        return f"Your role cannot move a lead to {stage_label(to_stage)}."
    if has_role(by, MANAGER):
        return None
    if has_role(by, MARKETING) and not has_role(by, SALES):
        if lead.stage in SALES_STAGES:
            return "Sales owns this lead now."
        return None
    if lead.owner_id is None:
        return "Claim the lead before you work it."
    if lead.owner_id != by.pk:
        return "This lead belongs to another rep."
    return None


def move_lead(
    lead: Lead,
    *,
    to_stage: str,
    by,
    reason: str = "",
    amount: Decimal | None = None,
    at: datetime | None = None,
) -> StageChange:
    """A person changes a lead's stage: role and ownership checked, then ``advance``."""
    with transaction.atomic():
        # Judged on the locked row: a reassignment or a claim committed since the caller
        # read the lead counts, and one happening now waits for this move.
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        refusal = move_refusal(current, to_stage=to_stage, by=by)
        if refusal:
            raise NotAllowed(refusal)
        return lead_services.change_stage(
            lead, to_stage=to_stage, by=by, reason=reason, amount=amount, at=at
        )
