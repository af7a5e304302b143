"""A handoff's own life: open with a brief and a route, reassign, reject, and its end when
the lead leaves sales. Claiming is in ``claims``; who is told what, in ``news``."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alignment import events, notifications
from alignment.business_hours import WorkingCalendar, add_working_minutes
from alignment.exceptions import Conflict, Forbidden
from alignment.models import AgreementVersion, Event
from alignment.notifications import Reader, person
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import (
    NoAgreementInForce,
    agreement_in_force,
    notify,
    team_time_zone,
    working_calendar,
)
from campaigns.models import company_size_label
from handoffs.models import Handoff, HandoffStep, RejectionReason
from handoffs.routing.services import route
from handoffs.services.news import (
    _announce,
    _tell_campaign_owner_rejected,
    _tell_campaign_owner_won,
    _withdraw,
)
from leads import lifecycle
from leads.models import Lead, Stage, StageChange, Touchpoint, TouchpointKind

INTENT_KINDS: dict[str, str] = {
    TouchpointKind.DEMO_REQUESTED: "asked for a demo",
    TouchpointKind.PRICING_PAGE_VIEW: "looked at pricing",
    TouchpointKind.WEBINAR_ATTENDED: "attended a webinar",
    TouchpointKind.EVENT_VISIT: "met us at an event",
    TouchpointKind.CONTENT_DOWNLOAD: "downloaded content",
}


class AlreadyClaimed(Conflict):
    """Someone else claimed the handoff first (or it is no longer open)."""


class NotAllowed(Forbidden):
    """The caller's role or ownership does not allow this change."""


class HandoffClosed(Conflict):
    """The handoff is not in a state that allows this action."""


class OfferedToAnother(AlreadyClaimed):
    """The lead is offered to its routed rep until its claim clock runs out."""


#: The share of an SLA's working time after which its holder is warned.
WARNING_SHARE = 0.75


#: Stages that take a lead out of sales' hands; its live handoff ends with the move.
LEAVES_SALES = (Stage.RECYCLED, Stage.DISQUALIFIED)
#: Stages at which sales has accepted and worked the lead, not just claimed it.
WORKED = (Stage.SQL, Stage.WON, Stage.LOST)


def on_lead_stage_changed(*, event: Event, lead: Lead, change: StageChange, **_: object) -> None:
    """Subscriber: an MQL opens a handoff; a lead leaving sales ends its live one; a won
    lead is news for its campaign's owner.

    All happen in the transaction of the stage change, whichever door moved the lead.
    """
    if change.to_stage == Stage.MQL:
        open_handoff(lead, now=change.changed_at)
    elif change.to_stage in LEAVES_SALES:
        _end_live_handoff(lead, change=change)
    elif change.to_stage == Stage.WON:
        _tell_campaign_owner_won(lead, change=change)


def _end_live_handoff(lead: Lead, *, change: StageChange) -> None:
    """End the lead's live handoff. Taken back before anyone claimed it, it is withdrawn
    (not sales' decision); sent back after a claim but before it was worked, rejected;
    after it was worked, closed.

    ``reject_handoff`` marks its handoff rejected before it moves the lead, so there is no
    live one left here and its reason code is kept.
    """
    live = Handoff.objects.select_for_update().filter(
        lead=lead, status__in=[Handoff.Status.OPEN, Handoff.Status.CLAIMED]
    )
    handoff = live.first()
    if handoff is None:
        return
    if change.from_stage in WORKED:
        live.update(status=Handoff.Status.CLOSED)
        return
    if handoff.status == Handoff.Status.OPEN:
        _withdraw(handoff, change=change)
        return
    live.update(
        status=Handoff.Status.REJECTED,
        rejected_by=change.changed_by,
        rejected_at=change.changed_at,
        rejection_reason=RejectionReason.OTHER,
        rejection_note=change.reason,
    )
    _tell_campaign_owner_rejected(
        lead, by=change.changed_by, reason="", note=change.reason, now=change.changed_at
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
        "messages": _latest_messages(touchpoints),
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


#: How many of the visitor's latest messages the brief quotes, and how much of each.
BRIEF_MESSAGES = 2
BRIEF_MESSAGE_LENGTH = 1000


def _latest_messages(touchpoints: list[Touchpoint]) -> list[dict]:
    """What the person wrote (a web form's message and answers), newest first: the first
    thing a rep wants to read, in the person's own words."""
    written = [touchpoint for touchpoint in touchpoints if touchpoint.note.strip()]
    messages = []
    for touchpoint in reversed(written[-BRIEF_MESSAGES:]):
        text = touchpoint.note.strip()
        if len(text) > BRIEF_MESSAGE_LENGTH:
            text = text[: BRIEF_MESSAGE_LENGTH - 1].rstrip() + "…"
        messages.append(
            {
                "text": text,
                "label": touchpoint.get_kind_display(),
                "campaign": touchpoint.campaign.name if touchpoint.campaign else None,
                "occurred_at": touchpoint.occurred_at.isoformat(),
            }
        )
    return messages


def _when_and_budget(lead: Lead, touchpoints: list[Touchpoint]) -> dict:
    """When they were last active, and what hints at money to spend."""
    signals = []
    pricing_views = sum(1 for t in touchpoints if t.kind == TouchpointKind.PRICING_PAGE_VIEW)
    if pricing_views:
        signals.append(f"Viewed pricing {pricing_views} time{'s' if pricing_views > 1 else ''}")
    if any(t.kind == TouchpointKind.DEMO_REQUESTED for t in touchpoints):
        signals.append("Asked for a demo")
    if lead.company_size:
        signals.append(f"Company of {company_size_label(lead.company_size)}")
    return {
        "last_active_at": touchpoints[-1].occurred_at.isoformat() if touchpoints else None,
        "budget_signals": signals,
    }


def due_times(
    calendar: WorkingCalendar, start: datetime, minutes: int
) -> tuple[datetime, datetime]:
    """When an SLA of ``minutes`` working minutes from ``start`` is due, and when its
    holder is warned."""
    return (
        add_working_minutes(calendar, start, minutes),
        add_working_minutes(calendar, start, minutes * WARNING_SHARE),
    )


def _targets(handoff: Handoff) -> tuple[AgreementVersion, int]:
    """The agreement a handoff is judged by and the score it opened with."""
    score = handoff.brief.get("score", handoff.lead.score) if handoff.brief else handoff.lead.score
    return handoff.agreement, int(score or 0)


def open_handoff(lead: Lead, *, note: str = "", now: datetime | None = None) -> Handoff:
    """Open the handoff for a new MQL: brief, route, SLA due times, notifications.

    The claim clock counts working minutes of the team calendar, from the agreement in
    force (the segment the lead's score falls in, if it defines segments).
    """
    now = now or timezone.now()
    agreement = agreement_in_force()
    targets = agreement.sla_for(lead.score)
    calendar = working_calendar()
    claim_due, claim_warning = due_times(calendar, now, targets.claim_minutes)
    # Read before routing: a round robin holds its rule's lock from ``route`` to the commit,
    # and every other MQL routed by that rule waits for it.
    brief = build_brief(lead)
    with transaction.atomic():
        destination = route(lead, now=now)
        handoff = Handoff.objects.create(
            lead=lead,
            agreement=agreement,
            brief=brief,
            note=note,
            routed_to=destination.rep,
            routing_reason=destination.reason[:500],
            routing_rule_id=destination.rule_id,
            routed_at=now,
            sla_segment=targets.segment,
            created_at=now,
            claim_due_at=claim_due,
            claim_warning_at=claim_warning,
        )
        _announce(handoff, lead=lead, destination=destination, minutes=targets.claim_minutes)
        events.publish(
            events.HANDOFF_OPENED,
            subject=f"handoff:{handoff.pk}",
            payload={
                "handoff": handoff.pk,
                "lead": lead.pk,
                "routed_to": getattr(destination.rep, "username", None),
                "routing_reason": handoff.routing_reason,
                "sla_segment": targets.segment,
                "claim_due_at": handoff.claim_due_at.isoformat(),
            },
            handoff=handoff,
        )
    return handoff


def lock_lead(lead_id: int, *, skip_locked: bool = False) -> bool:
    """Lock a lead's row before its handoff's. Every write that touches both takes them in
    this order (a stage change locks the lead, then ends its handoff), so two of them on
    one lead wait for each other instead of deadlocking. False: skipped, as it is locked."""
    found = (
        Lead.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=lead_id)
        .values_list("pk", flat=True)
        .first()
    )
    return found is not None


def _team_time(when: datetime, *, now: datetime) -> str:
    return notifications.local_time(when, notifications.zone_of("", team_time_zone()), now=now)


def reassign_handoff(
    handoff: Handoff, *, to, by, reason: str = "", now: datetime | None = None
) -> Handoff:
    """A manager gives a live handoff to another rep: an open one is offered to them, a
    claimed one (and its lead) becomes theirs. The reason goes on the timeline."""
    if not has_role(by, MANAGER):
        raise NotAllowed("Only a manager can reassign a lead.")
    if to is None or not (to.is_active and has_role(to, SALES)):
        raise ValidationError({"to": [f"{person(to)} is not an active sales rep."]})
    now = now or timezone.now()
    with transaction.atomic():
        lock_lead(handoff.lead_id)
        locked = Handoff.objects.select_for_update().select_related("lead").get(pk=handoff.pk)
        if locked.status not in (Handoff.Status.OPEN, Handoff.Status.CLAIMED):
            raise HandoffClosed(f"This handoff is already {locked.get_status_display().lower()}.")
        claimed = locked.status == Handoff.Status.CLAIMED
        previous = locked.claimed_by if claimed else locked.routed_to
        if previous is not None and previous.pk == to.pk:
            raise ValidationError({"to": [f"The lead is already with {person(to)}."]})
        if claimed:
            locked.claimed_by = to
            Lead.objects.filter(pk=locked.lead_id).update(owner=to, updated_at=now)
        else:
            locked.routed_to = to
        locked.save(update_fields=["claimed_by" if claimed else "routed_to"])
        detail = f"{person(previous) if previous else 'Team queue'} → {person(to)}"
        if reason:
            detail += f": {reason}"
        HandoffStep.objects.create(
            handoff=locked,
            kind=HandoffStep.Kind.REASSIGNED,
            at=now,
            actor=by,
            detail=detail[:500],
            previous=previous,
        )
        lead = locked.lead
        url = reverse("leads:detail", args=[lead.pk])
        due = locked.first_contact_due_at if claimed else locked.claim_due_at
        step = "make first contact" if claimed else "claim it"

        def body(reader: Reader) -> str:
            text = f"{person(by)}: {reason.rstrip('.')}." if reason else f"By {person(by)}."
            if due is not None and not (claimed and locked.first_contact_at):
                if due <= now:
                    text += f" It is overdue (due {reader.time(due)}): please {step} now."
                else:
                    text += f" Please {step} by {reader.time(due)}."
            return text

        notify(
            [to],
            kind=notifications.ROUTED,
            title=f"{lead} is reassigned to you",
            body=body,
            url=url,
            subject=f"handoff:{locked.pk}",
            now=now,
        )
        if previous is not None and previous.pk != by.pk:
            notify(
                [previous],
                kind=notifications.ROUTED,
                title=f"{lead} is reassigned to {person(to)}",
                body=f"By {person(by)}." + (f" {reason}" if reason else ""),
                url=url,
                subject=f"handoff:{locked.pk}",
                now=now,
            )
        events.publish(
            events.HANDOFF_REASSIGNED,
            subject=f"handoff:{locked.pk}",
            payload={
                "handoff": locked.pk,
                "lead": lead.pk,
                "by": by.username,
                "reason": reason,
                "before": {"assignee": getattr(previous, "username", None)},
                "after": {"assignee": to.username},
            },
        )
    return locked


def rejection_reasons() -> list[tuple[str, str]]:
    """The reasons sales may give when sending a lead back: the agreement in force's codes
    (every code when no agreement is in force or it names none), in the catalogue's order."""
    try:
        agreed = set(agreement_in_force().rejection_reasons)
    except NoAgreementInForce:
        agreed = set()
    return [
        (code, label) for code, label in RejectionReason.choices if not agreed or code in agreed
    ]


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
    allowed = [code for code, _label in rejection_reasons()]
    if reason not in allowed:
        raise ValidationError(
            {
                "reason": [
                    f"{RejectionReason(reason).label} is not a reason the agreement in force "
                    f"allows; use one of: {', '.join(allowed)}."
                ]
            }
        )
    now = now or timezone.now()
    with transaction.atomic():
        lock_lead(handoff.lead_id)
        locked = Handoff.objects.select_for_update().get(pk=handoff.pk)
        if locked.status not in (Handoff.Status.OPEN, Handoff.Status.CLAIMED):
            raise HandoffClosed(f"This handoff is already {locked.get_status_display().lower()}.")
        if (
            locked.status == Handoff.Status.CLAIMED
            and locked.claimed_by_id != rep.pk
            and not has_role(rep, MANAGER)
        ):
            raise NotAllowed("Only the rep who claimed it (or a manager) can reject it.")
        if (
            locked.status == Handoff.Status.OPEN
            and locked.routed_to_id not in (None, rep.pk)
            and locked.claim_due_at > now
            and not has_role(rep, MANAGER)
        ):
            # The offer to the routed rep holds for sending back as it does for claiming.
            raise NotAllowed(
                f"This lead is offered to {person(locked.routed_to)} until "
                f"{_team_time(locked.claim_due_at, now=now)}; only they (or a manager) can "
                "send it back before then."
            )
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
        _tell_campaign_owner_rejected(locked.lead, by=rep, reason=reason, note=note, now=now)
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
