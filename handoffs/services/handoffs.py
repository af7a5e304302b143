"""A handoff's own life: open with a brief and a route, claim (one winner), reject."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alignment import events
from alignment.models import Event
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import agreement_in_force, notify, notify_sales
from handoffs.models import Handoff, RejectionReason
from leads import lifecycle
from leads.models import Lead, Stage, StageChange, Touchpoint, TouchpointKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

INTENT_KINDS: dict[str, str] = {
    TouchpointKind.DEMO_REQUESTED: "asked for a demo",
    TouchpointKind.PRICING_PAGE_VIEW: "looked at pricing",
    TouchpointKind.WEBINAR_ATTENDED: "attended a webinar",
    TouchpointKind.EVENT_VISIT: "met us at an event",
    TouchpointKind.CONTENT_DOWNLOAD: "downloaded content",
}


class AlreadyClaimed(Exception):
    """Someone else claimed the handoff first (or it is no longer open)."""


class NotAllowed(Exception):
    """The caller's role or ownership does not allow this change."""


class HandoffClosed(Exception):
    """The handoff is not in a state that allows this action."""


@dataclass(frozen=True)
class Route:
    rep: "User | None"
    reason: str


#: Stages that take a lead out of sales' hands; its live handoff ends with the move.
LEAVES_SALES = (Stage.RECYCLED, Stage.DISQUALIFIED)
#: Stages at which sales has accepted and worked the lead, not just claimed it.
WORKED = (Stage.SQL, Stage.WON, Stage.LOST)


def on_lead_stage_changed(*, event: Event, lead: Lead, change: StageChange, **_: object) -> None:
    """Subscriber: an MQL opens a handoff; a lead leaving sales ends its live one.

    Both happen in the transaction of the stage change, whichever door moved the lead.
    """
    if change.to_stage == Stage.MQL:
        open_handoff(lead, now=change.changed_at)
    elif change.to_stage in LEAVES_SALES:
        _end_live_handoff(lead, change=change)


def _end_live_handoff(lead: Lead, *, change: StageChange) -> None:
    """Close the lead's live handoff: sent back before it was worked counts as rejected.

    ``reject_handoff`` marks its handoff rejected before it moves the lead, so there is no
    live one left here and its reason code is kept.
    """
    live = Handoff.objects.filter(
        lead=lead, status__in=[Handoff.Status.OPEN, Handoff.Status.CLAIMED]
    )
    if change.from_stage in WORKED:
        live.update(status=Handoff.Status.CLOSED)
        return
    live.update(
        status=Handoff.Status.REJECTED,
        rejected_by=change.changed_by,
        rejected_at=change.changed_at,
        rejection_reason=RejectionReason.OTHER,
        rejection_note=change.reason,
    )


def build_brief(lead: Lead) -> dict:
    """Who they are, what they are looking for, and the touchpoints that led here."""
    touchpoints = list(
        Touchpoint.objects.filter(lead=lead).select_related("campaign").order_by("occurred_at")
    )
    intent = []
    for touchpoint in touchpoints:
        phrase = INTENT_KINDS.get(touchpoint.kind)
        if phrase and phrase not in intent:
            intent.append(phrase)
    return {
        **_when_and_budget(lead, touchpoints),
        "who": {
            "name": lead.full_name,
            "email": lead.email,
            "job_title": lead.job_title,
            "company": lead.company,
            "company_size": lead.company_size,
            "industry": lead.industry,
            "country": lead.country,
            "phone": lead.phone,
        },
        "looking_for": intent,
        "score": lead.score,
        "fit_score": lead.fit_score,
        "engagement_score": lead.engagement_score,
        "top_reasons": sorted(lead.score_breakdown, key=lambda row: -abs(row["points"]))[:5],
        "first_touch_campaign": lead.campaign.name if lead.campaign else None,
        "touchpoints": [
            {
                "kind": touchpoint.kind,
                "label": touchpoint.get_kind_display(),
                "campaign": touchpoint.campaign.name if touchpoint.campaign else None,
                "occurred_at": touchpoint.occurred_at.isoformat(),
            }
            for touchpoint in touchpoints[-10:]
        ],
        "touchpoint_count": len(touchpoints),
    }


def _when_and_budget(lead: Lead, touchpoints: list[Touchpoint]) -> dict:
    """When they were last active, and what hints at money to spend."""
    signals = []
    pricing_views = sum(1 for t in touchpoints if t.kind == TouchpointKind.PRICING_PAGE_VIEW)
    if pricing_views:
        signals.append(f"Viewed pricing {pricing_views} time{'s' if pricing_views > 1 else ''}")
    if any(t.kind == TouchpointKind.DEMO_REQUESTED for t in touchpoints):
        signals.append("Asked for a demo")
    if lead.company_size:
        signals.append(f"Company of {lead.company_size} people")
    return {
        "last_active_at": touchpoints[-1].occurred_at.isoformat() if touchpoints else None,
        "budget_signals": signals,
    }


def route(lead: Lead) -> Route:
    """Where a new handoff goes, and why. Until routing rules exist: the team queue."""
    return Route(rep=None, reason="Team queue: first rep to claim it wins.")


def open_handoff(lead: Lead, *, note: str = "", now: datetime | None = None) -> Handoff:
    """Open the handoff for a new MQL: brief, route, SLA due time, notifications."""
    now = now or timezone.now()
    agreement = agreement_in_force()
    destination = route(lead)
    with transaction.atomic():
        handoff = Handoff.objects.create(
            lead=lead,
            agreement=agreement,
            brief=build_brief(lead),
            note=note,
            routed_to=destination.rep,
            routing_reason=destination.reason,
            created_at=now,
            claim_due_at=now + timedelta(minutes=agreement.claim_sla_minutes),
        )
        message = {
            "kind": "handoff.opened",
            "title": f"New MQL: {lead}" + (f" ({lead.company})" if lead.company else ""),
            "body": f"Score {lead.score}. Claim it within {agreement.claim_sla_minutes} minutes.",
            "url": reverse("handoffs:queue"),
        }
        if destination.rep is not None:
            notify([destination.rep], **message)
        else:
            notify_sales(**message)
        events.publish(
            events.HANDOFF_OPENED,
            subject=f"handoff:{handoff.pk}",
            payload={
                "handoff": handoff.pk,
                "lead": lead.pk,
                "routed_to": getattr(destination.rep, "username", None),
                "claim_due_at": handoff.claim_due_at.isoformat(),
            },
            handoff=handoff,
        )
    return handoff


def claim_handoff(handoff: Handoff, *, rep, now: datetime | None = None) -> Handoff:
    """Give the handoff to ``rep`` if it is still open; exactly one claimer wins.

    The conditional UPDATE ... WHERE status = 'open' is decided by the database: of two
    concurrent claims, one updates a row and the other updates none and gets
    ``AlreadyClaimed``.
    """
    if not has_role(rep, SALES, MANAGER):
        raise NotAllowed("Only sales can claim a lead.")
    now = now or timezone.now()
    with transaction.atomic():
        agreement = handoff.agreement
        won = Handoff.objects.filter(pk=handoff.pk, status=Handoff.Status.OPEN).update(
            status=Handoff.Status.CLAIMED,
            claimed_by=rep,
            claimed_at=now,
            first_contact_due_at=now + timedelta(minutes=agreement.first_contact_sla_minutes),
        )
        if not won:
            raise AlreadyClaimed("This lead has already been claimed.")
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


def reject_handoff(
    handoff: Handoff, *, rep, reason: str, note: str = "", now: datetime | None = None
) -> Handoff:
    """Send the lead back to marketing with a reason; the lead becomes ``recycled``.

    The handoff row is locked: a reject racing a claim or another reject sees the state
    the other one left.
    """
    if not has_role(rep, SALES, MANAGER):
        raise NotAllowed("Only sales can reject a lead.")
    if reason not in RejectionReason.values:
        raise ValidationError({"reason": [f"Unknown rejection reason {reason!r}."]})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().get(pk=handoff.pk)
        if locked.status not in (Handoff.Status.OPEN, Handoff.Status.CLAIMED):
            raise HandoffClosed(f"This handoff is already {locked.get_status_display().lower()}.")
        if (
            locked.status == Handoff.Status.CLAIMED
            and locked.claimed_by_id != rep.pk
            and not has_role(rep, MANAGER)
        ):
            raise NotAllowed("Only the rep who claimed it (or a manager) can reject it.")
        before = locked.status
        locked.status = Handoff.Status.REJECTED
        locked.rejected_by, locked.rejected_at = rep, now
        locked.rejection_reason, locked.rejection_note = reason, note
        locked.save(
            update_fields=[
                "status",
                "rejected_by",
                "rejected_at",
                "rejection_reason",
                "rejection_note",
            ]
        )
        label = RejectionReason(reason).label
        lifecycle.advance(
            locked.lead,
            Stage.RECYCLED,
            by=rep,
            reason=f"Rejected: {label}. {note}".strip(),
            at=now,
        )
        events.publish(
            events.HANDOFF_REJECTED,
            subject=f"handoff:{locked.pk}",
            payload={
                "handoff": locked.pk,
                "lead": locked.lead_id,
                "reason": reason,
                "note": note,
                "before": {"status": before},
                "after": {"status": "rejected"},
            },
            handoff=locked,
        )
    return locked


def live_handoff(lead: Lead) -> Handoff | None:
    return (
        Handoff.objects.filter(lead=lead, status__in=[Handoff.Status.OPEN, Handoff.Status.CLAIMED])
        .order_by("-created_at")
        .first()
    )
