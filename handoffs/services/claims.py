"""Claiming a handoff: exactly one winner, and "Claim next" for the most urgent one a rep
may take."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alignment import events
from alignment.notifications import person
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import working_calendar
from handoffs.models import Handoff
from handoffs.services.handoffs import (
    AlreadyClaimed,
    NotAllowed,
    OfferedToAnother,
    _targets,
    _team_time,
    due_times,
    lock_lead,
)
from leads import lifecycle
from leads.models import Lead, Stage

#: How many busy leads "Claim next" passes over before it gives up.
CLAIM_NEXT_TRIES = 10


def _claimable_by(rep, now: datetime) -> Q:
    """Open handoffs ``rep`` may claim: the team's, the rep's own, and any whose claim
    clock ran out (a routed lead is offered first to its rep); a manager may claim any."""
    open_now = Q(status=Handoff.Status.OPEN)
    if has_role(rep, MANAGER):
        return open_now
    return open_now & (Q(routed_to__isnull=True) | Q(routed_to=rep) | Q(claim_due_at__lte=now))


def claim_handoff(handoff: Handoff, *, rep, now: datetime | None = None) -> Handoff:
    """Give the handoff to ``rep`` if it is still open to them; exactly one claimer wins.

    The conditional UPDATE ... WHERE status = 'open' (and, for a lead offered to another
    rep, its claim clock run out) is decided by the database: of two concurrent claims,
    one updates a row and the other updates none and gets ``AlreadyClaimed``.
    """
    if not has_role(rep, SALES, MANAGER):
        raise NotAllowed("Only sales can claim a lead.")
    now = now or timezone.now()
    agreement, score = _targets(handoff)
    contact_due, contact_warning = due_times(
        working_calendar(), now, agreement.sla_for(score).first_contact_minutes
    )
    with transaction.atomic():
        lock_lead(handoff.lead_id)
        won = (
            Handoff.objects.filter(pk=handoff.pk)
            .filter(_claimable_by(rep, now))
            .update(
                status=Handoff.Status.CLAIMED,
                claimed_by=rep,
                claimed_at=now,
                first_contact_due_at=contact_due,
                contact_warning_at=contact_warning,
            )
        )
        if not won:
            raise _why_not_claimed(handoff.pk, rep=rep, now=now)
        handoff.refresh_from_db()
        lead = handoff.lead
        Lead.objects.filter(pk=lead.pk).update(owner=rep)
        lead.owner = rep
        lifecycle.advance(lead, Stage.SAL, by=rep, reason="Claimed from the queue.", at=now)
        events.publish(
            events.HANDOFF_CLAIMED,
            subject=f"handoff:{handoff.pk}",
            payload={
                "handoff": handoff.pk,
                "lead": lead.pk,
                "claimed_by": rep.username,
                "before": {"status": "open"},
                "after": {"status": "claimed"},
            },
            handoff=handoff,
        )
    return handoff


def _why_not_claimed(pk: int, *, rep, now: datetime) -> AlreadyClaimed:
    current = Handoff.objects.select_related("routed_to", "claimed_by").filter(pk=pk).first()
    if current is None or current.status != Handoff.Status.OPEN:
        holder = f" by {person(current.claimed_by)}" if current and current.claimed_by else ""
        return AlreadyClaimed(f"This lead has already been claimed{holder}.")
    return OfferedToAnother(
        f"This lead is offered to {person(current.routed_to)} until "
        f"{_team_time(current.claim_due_at, now=now)}; the team may claim it after that."
    )


def claim_next(rep, *, now: datetime | None = None) -> Handoff | None:
    """Claim the most urgent open handoff ``rep`` may take; None when there is none.

    ``FOR UPDATE SKIP LOCKED``: two reps pressing "Claim next" at once lock two different
    rows, so each gets a lead and neither waits for the other. The handoff is locked
    before its lead here (the other writes take the lead first), so the lead is taken
    with SKIP LOCKED too: a lead busy elsewhere is passed over, never waited for.
    """
    if not has_role(rep, SALES, MANAGER):
        raise NotAllowed("Only sales can claim a lead.")
    now = now or timezone.now()
    passed: list[int] = []
    with transaction.atomic():
        for _attempt in range(CLAIM_NEXT_TRIES):
            candidate = (
                Handoff.objects.filter(_claimable_by(rep, now))
                .exclude(pk__in=passed)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("claim_due_at", "id")
                .first()
            )
            if candidate is None:
                return None
            if lock_lead(candidate.lead_id, skip_locked=True):
                return claim_handoff(candidate, rep=rep, now=now)
            passed.append(candidate.pk)
    return None
