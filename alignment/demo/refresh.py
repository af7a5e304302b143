"""What runs on every start: the waiting queue made fresh, and the demo leads rescored."""

import itertools
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F

from alignment import events, notifications
from alignment.demo.cast import DEMO_DOMAIN, FRESH_MQL_MINUTES_AGO
from alignment.models import Event, Notification
from alignment.services import working_calendar
from handoffs.models import Activity, Handoff, HandoffStep
from handoffs.services.handoffs import due_times
from leads.models import Comment, Lead, StageChange, Touchpoint
from leads.scoring.rules.batch import rescore_range
from leads.scoring.rules.models import ScoreChange


def demo_leads():
    return Lead.objects.filter(email__endswith=DEMO_DOMAIN)


# The waiting queue, fresh at every start ---------------------------------------------------

#: A waiting lead's last visit began at most this long before its MQL: it moves with it.
VISIT_SPAN = timedelta(minutes=10)
ESCALATION_STEPS = (HandoffStep.Kind.WARNED, HandoffStep.Kind.ESCALATED, HandoffStep.Kind.REQUEUED)
ESCALATION_NOTICES = (notifications.SLA_WARNING, notifications.SLA_BREACH, notifications.REQUEUED)


def minutes_ago(rank: int) -> int:
    """How old the ``rank``-th newest waiting MQL looks: the fresh MQLs' ages, then a
    quarter of an hour apart."""
    beyond = rank - len(FRESH_MQL_MINUTES_AGO) + 1
    return FRESH_MQL_MINUTES_AGO[-1] + 15 * beyond if beyond > 0 else FRESH_MQL_MINUTES_AGO[rank]


def refresh_queue(*, now: datetime) -> int:
    """Make the demo's waiting MQLs minutes old at ``now``; returns how many wait.

    Each waiting lead's last visit, its MQL, its handoff and what was written about them
    move forward together (its earlier history stays put). The claim clock is worked out
    again from the new start on the team calendar, as ``open_handoff`` does (outside
    business hours it starts at the next opening), and the escalations a worker took since
    the last start are undone, so the chain runs afresh.
    """
    calendar = working_calendar()
    waiting = (
        Handoff.objects.filter(status=Handoff.Status.OPEN, lead__email__endswith=DEMO_DOMAIN)
        .select_related("agreement", "lead", "routed_to")
        .order_by("-created_at", "-pk")
    )
    count = 0
    for rank, handoff in enumerate(waiting):
        opened = now - timedelta(minutes=minutes_ago(rank))
        offered = offered_to(handoff)
        shift = opened - handoff.created_at
        move_story(handoff, shift=shift, now=now)
        score = handoff.brief.get("score", handoff.lead.score) or 0
        targets = handoff.agreement.sla_for(int(score))
        due, warning = due_times(calendar, opened, targets.claim_minutes)
        notified = None
        if handoff.notified_at is not None:
            notified = min(handoff.notified_at + shift, now)
        Handoff.objects.filter(pk=handoff.pk).update(
            created_at=opened,
            routed_at=opened,
            notified_at=notified,
            routed_to=offered,
            claim_due_at=due,
            claim_warning_at=warning,
            claim_warned_at=None,
            claim_escalated_at=None,
            requeued_at=None,
            brief=moved_brief(handoff.brief, since=handoff.created_at - VISIT_SPAN, shift=shift),
        )
        count += 1
    return count


def offered_to(handoff: Handoff):
    """The rep a waiting lead was offered to, before its claim clock ran out."""
    if handoff.requeued_at is None:
        return handoff.routed_to
    offer = (
        Event.objects.filter(
            subject=f"handoff:{handoff.pk}",
            name__in=[events.HANDOFF_OPENED, events.HANDOFF_REASSIGNED],
        )
        .order_by("-pk")
        .first()
    )
    payload = offer.payload if offer else {}
    username = payload.get("routed_to") or payload.get("after", {}).get("assignee")
    return get_user_model().objects.filter(username=username).first() if username else None


def move_story(handoff: Handoff, *, shift: timedelta, now: datetime) -> None:
    """Move the rows of a waiting lead's last visit and after by ``shift`` (never past
    ``now``), and drop the escalation steps of its handoff with their notices."""
    since = handoff.created_at - VISIT_SPAN
    subjects = [f"lead:{handoff.lead_id}", f"handoff:{handoff.pk}"]
    HandoffStep.objects.filter(handoff=handoff, kind__in=ESCALATION_STEPS).delete()
    Notification.objects.filter(subject=subjects[1], kind__in=ESCALATION_NOTICES).delete()
    Event.objects.filter(subject=subjects[1], name=events.HANDOFF_ESCALATED).delete()
    of_lead = {"lead_id": handoff.lead_id}
    moved = [
        (Lead.objects.filter(pk=handoff.lead_id), ("created_at", "updated_at", "consent_at",
                                                    "scored_at")),
        (Touchpoint.objects.filter(**of_lead), ("occurred_at", "created_at")),
        (StageChange.objects.filter(**of_lead), ("changed_at",)),
        (ScoreChange.objects.filter(**of_lead), ("scored_at",)),
        (Comment.objects.filter(**of_lead), ("created_at",)),
        (Activity.objects.filter(**of_lead), ("occurred_at", "created_at")),
        (HandoffStep.objects.filter(handoff=handoff), ("at",)),
        (Event.objects.filter(subject__in=subjects), ("created_at",)),
        (Notification.objects.filter(subject__in=subjects), ("created_at", "sent_at", "read_at")),
    ]  # fmt: skip
    for rows, fields in moved:
        for name in fields:
            rows.filter(**{f"{name}__gte": since}).update(**{name: F(name) + shift})
            rows.filter(**{f"{name}__gt": now}).update(**{name: now})


def moved_brief(brief: dict, *, since: datetime, shift: timedelta) -> dict:
    """The handoff brief with the times of the moved touchpoints moved too."""

    def move(text: str | None) -> str | None:
        if not text or datetime.fromisoformat(text) < since:
            return text
        return (datetime.fromisoformat(text) + shift).isoformat()

    touchpoints = [
        {**touchpoint, "occurred_at": move(touchpoint["occurred_at"])}
        for touchpoint in brief.get("touchpoints", [])
    ]
    return {
        **brief,
        "last_active_at": move(brief.get("last_active_at")),
        "touchpoints": touchpoints,
    }


def rescore_demo_leads(*, now: datetime) -> int:
    """Score the demo leads again at ``now`` by the batch rescore, as the nightly one does:
    the history was scored at its own times, and decay since then would otherwise move
    the scores at the first rescore. Returns how many scores changed."""
    changed = 0
    for first, last in demo_id_ranges():
        changed += rescore_range(first, last, now=now).changed
    return changed


def demo_id_ranges() -> list[tuple[int, int]]:
    """The demo leads as ranges of ids that hold no other lead."""
    ids = demo_leads().order_by("pk").values_list("pk", flat=True)
    low, high = ids.first(), ids.last()
    if low is None:
        return []
    rows = Lead.objects.filter(pk__range=(low, high)).order_by("pk").values_list("pk", "email")
    ranges = []
    for is_demo, run in itertools.groupby(rows, key=lambda row: row[1].endswith(DEMO_DOMAIN)):
        pks = [pk for pk, _ in run]
        if is_demo:
            ranges.append((pks[0], pks[-1]))
    return ranges
