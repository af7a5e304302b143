"""Who is told what about a handoff: the rep or the team it is routed to, its holder when
marketing takes it back, and the campaign's owner when sales sends the lead back or wins it."""

from datetime import datetime
from decimal import Decimal

from django.urls import reverse

from alignment import events, notifications
from alignment.humane import duration_text
from alignment.models import Notification
from alignment.notifications import Reader, person
from alignment.services import notify
from handoffs.models import Handoff, HandoffStep, RejectionReason
from handoffs.routing.services import Route, available_reps
from leads.models import Lead, Stage, StageChange


def _announce(handoff: Handoff, *, lead: Lead, destination: Route, minutes: int) -> None:
    """Tell the rep a lead is routed to, or the reps at work when it waits for the team."""
    company = f" ({lead.company})" if lead.company else ""
    due = handoff.claim_due_at

    def body(reader: Reader) -> str:
        return (
            f"Score {lead.score}. Claim it by {reader.time(due)} "
            f"({duration_text(minutes)} of working time). {destination.reason}"
        )

    url, subject = reverse("leads:detail", args=[lead.pk]), f"handoff:{handoff.pk}"
    if destination.rep is not None:
        notify(
            [destination.rep],
            kind=notifications.ROUTED,
            title=f"{lead}{company} is routed to you",
            body=body,
            url=url,
            subject=subject,
            now=handoff.created_at,
        )
    else:
        notify(
            available_reps(now=handoff.created_at),
            kind=notifications.QUEUED,
            title=f"New MQL in the team queue: {lead}{company}",
            body=body,
            url=url,
            subject=subject,
            now=handoff.created_at,
        )


def on_notification_delivered(*, notification: Notification, at: datetime, **_: object) -> None:
    """Subscriber: the first delivered notice of a new handoff to its assignee (or, in
    the team queue, to the team) is the "notified" step of speed to lead."""
    if notification.kind not in (notifications.ROUTED, notifications.QUEUED):
        return
    kind, _sep, pk = notification.subject.partition(":")
    if kind != "handoff" or not pk.isdigit():
        return
    Handoff.objects.filter(pk=int(pk), notified_at__isnull=True).update(notified_at=at)


def _withdraw(handoff: Handoff, *, change: StageChange) -> None:
    Handoff.objects.filter(pk=handoff.pk).update(
        status=Handoff.Status.WITHDRAWN,
        withdrawn_by=change.changed_by,
        withdrawn_at=change.changed_at,
    )
    move = f"{Stage(change.to_stage).label}: {change.reason}".rstrip(": ")
    HandoffStep.objects.create(
        handoff=handoff,
        kind=HandoffStep.Kind.WITHDRAWN,
        at=change.changed_at,
        actor=change.changed_by,
        detail=move[:500],
    )
    holder = handoff.routed_to
    if holder is not None and holder != change.changed_by:
        notify(
            [holder],
            kind=notifications.REQUEUED,
            title=f"{handoff.lead} was taken back by marketing",
            body=f"{person(change.changed_by)}: {move}",
            url=reverse("leads:detail", args=[handoff.lead_id]),
            subject=f"handoff:{handoff.pk}",
            now=change.changed_at,
        )
    events.publish(
        events.HANDOFF_WITHDRAWN,
        subject=f"handoff:{handoff.pk}",
        payload={
            "handoff": handoff.pk,
            "lead": handoff.lead_id,
            "by": getattr(change.changed_by, "username", None),
            "reason": change.reason,
            "before": {"status": "open"},
            "after": {"status": "withdrawn"},
        },
    )


def _campaign_owner(lead: Lead):
    campaign = lead.campaign
    return campaign.owner if campaign is not None else None


def _tell_campaign_owner_rejected(
    lead: Lead, *, by, reason: str, note: str, now: datetime | None = None
) -> None:
    owner = _campaign_owner(lead)
    if owner is None or owner == by:
        return
    label = RejectionReason(reason).label if reason else "Sent back"
    notify(
        [owner],
        kind=notifications.LEAD_REJECTED,
        title=f"{person(by)} sent back {lead}",
        body=f"Reason: {label}."
        + (f" “{note}”" if note else "")
        + (f" Campaign: {lead.campaign.name}." if lead.campaign else ""),
        url=reverse("leads:detail", args=[lead.pk]),
        subject=f"lead:{lead.pk}",
        now=now,
    )


def _tell_campaign_owner_won(lead: Lead, *, change: StageChange) -> None:
    owner = _campaign_owner(lead)
    if owner is None or owner == change.changed_by:
        return
    amount = f" for {format_money(change.amount)}" if change.amount is not None else ""
    notify(
        [owner],
        kind=notifications.LEAD_WON,
        title=f"{lead} was won{amount}",
        body=f"Won by {person(change.changed_by)}."
        + (f" First touch: {lead.campaign.name}." if lead.campaign else ""),
        url=reverse("leads:detail", args=[lead.pk]),
        subject=f"lead:{lead.pk}",
        now=change.changed_at,
    )


def format_money(amount: Decimal) -> str:
    from django.conf import settings

    currency = getattr(settings, "CURRENCY", "EUR")
    return f"{amount:,.2f} {currency}"
