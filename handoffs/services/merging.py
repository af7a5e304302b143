"""What a merge of two leads means for their handoffs."""

from alignment.models import Event
from handoffs.models import Handoff, HandoffStep
from handoffs.services.handoffs import live_handoff
from leads.models import Lead


def on_lead_merged(*, event: Event, survivor: Lead, duplicate: Lead, by=None, **_: object) -> None:
    """Subscriber: a lead has one live handoff, so when both merged leads have one, the
    duplicate's ends before its rows move to the survivor. An open one is withdrawn (the
    person is already in the queue or with a rep: marketing's tidying, not sales'
    decision, so acceptance rates do not count it); a claimed one closes.
    """
    if live_handoff(survivor) is None:
        return
    handoff = live_handoff(duplicate)
    if handoff is None:
        return
    if handoff.status == Handoff.Status.OPEN:
        Handoff.objects.filter(pk=handoff.pk).update(
            status=Handoff.Status.WITHDRAWN, withdrawn_by=by, withdrawn_at=event.created_at
        )
        HandoffStep.objects.create(
            handoff=handoff,
            kind=HandoffStep.Kind.WITHDRAWN,
            at=event.created_at,
            actor=by,
            detail=f"Merged into {survivor.email}."[:500],
        )
    else:
        Handoff.objects.filter(pk=handoff.pk).update(status=Handoff.Status.CLOSED)
