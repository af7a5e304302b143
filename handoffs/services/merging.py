"""What a merge of two leads means for their handoffs."""

from alignment.models import Event
from handoffs.models import Handoff, RejectionReason
from handoffs.services.handoffs import live_handoff
from leads.models import Lead


def on_lead_merged(*, event: Event, survivor: Lead, duplicate: Lead, by=None, **_: object) -> None:
    """Subscriber: a lead has one live handoff, so when both merged leads have one, the
    duplicate's ends before its rows move to the survivor. An open one is rejected as a
    duplicate (the person is already in the queue or with a rep); a claimed one closes.
    """
    if live_handoff(survivor) is None:
        return
    handoff = live_handoff(duplicate)
    if handoff is None:
        return
    if handoff.status == Handoff.Status.OPEN:
        handoff.status = Handoff.Status.REJECTED
        handoff.rejected_by = by
        handoff.rejected_at = event.created_at
        handoff.rejection_reason = RejectionReason.DUPLICATE
        handoff.rejection_note = f"Merged into {survivor.email}."
        handoff.save(
            update_fields=[
                "status",
                "rejected_by",
                "rejected_at",
                "rejection_reason",
                "rejection_note",
            ]
        )
    else:
        Handoff.objects.filter(pk=handoff.pk).update(status=Handoff.Status.CLOSED)
