"""SLA clocks: escalate handoffs past their deadlines, once each."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alignment import events
from alignment.services import notify_managers
from handoffs.models import Handoff

if TYPE_CHECKING:
    pass


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Mark handoffs past an SLA deadline as escalated and tell the managers, once each.

    Each handoff is claimed for escalation with a conditional UPDATE, so two beat runs or
    two workers never escalate the same breach twice.
    """
    now = now or timezone.now()
    escalated = 0
    claim_breaches = Handoff.objects.filter(
        status=Handoff.Status.OPEN, claim_due_at__lt=now, claim_escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(claim_breaches[:500]):
        with transaction.atomic():
            if Handoff.objects.filter(pk=pk, claim_escalated_at__isnull=True).update(
                claim_escalated_at=now
            ):
                _escalate(Handoff.objects.select_related("lead").get(pk=pk), clock="claim")
                escalated += 1
    contact_breaches = Handoff.objects.filter(
        Q(status=Handoff.Status.CLAIMED),
        Q(first_contact_at__isnull=True),
        Q(first_contact_due_at__lt=now),
        Q(contact_escalated_at__isnull=True),
    ).values_list("pk", flat=True)
    for pk in list(contact_breaches[:500]):
        with transaction.atomic():
            if Handoff.objects.filter(pk=pk, contact_escalated_at__isnull=True).update(
                contact_escalated_at=now
            ):
                _escalate(
                    Handoff.objects.select_related("lead", "claimed_by").get(pk=pk),
                    clock="first_contact",
                )
                escalated += 1
    return escalated


def _escalate(handoff: Handoff, *, clock: str) -> None:
    lead = handoff.lead
    if clock == "claim":
        title = f"SLA breach: {lead} was not claimed in time"
        body = f"Due {handoff.claim_due_at:%Y-%m-%d %H:%M %Z}; still in the queue."
    else:
        title = f"SLA breach: {lead} was not contacted in time"
        body = (
            f"Claimed by {handoff.claimed_by}; first contact was due "
            f"{handoff.first_contact_due_at:%Y-%m-%d %H:%M %Z}."
        )
    url = reverse("leads:detail", args=[lead.pk])
    notify_managers(kind="handoff.escalated", title=title, body=body, url=url)
    events.publish(
        events.HANDOFF_ESCALATED,
        subject=f"handoff:{handoff.pk}",
        payload={"handoff": handoff.pk, "lead": lead.pk, "clock": clock},
        handoff=handoff,
    )
