"""SLA clocks: the escalation chain of handoffs nearing or past their deadlines.

Run by beat every minute. For each clock (claim, first contact) the chain is: a warning
to whoever holds the lead once most of its working time is gone; at the deadline, the
managers; and a lead routed to a rep who did not claim it goes back to the team queue,
with the reason. Each step happens once: the sweep claims its rows with ``FOR UPDATE
SKIP LOCKED`` and stamps them in the same transaction (two beats or workers never take
the same row), and a unique constraint on the step rows backs that up.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alignment import events, notifications
from alignment.notifications import Reader, person
from alignment.roles import MANAGER
from alignment.services import Message, notify_many, users_with_role
from handoffs.models import Handoff, HandoffStep
from handoffs.routing.services import available_reps

#: Handoffs taken per transaction; a sweep runs batches until none is left.
BATCH = 500


@dataclass(frozen=True)
class Phase:
    """One step of the chain: which handoffs are due for it and what it stamps."""

    name: str
    clock: str
    due: Q
    stamp: str
    act: Callable[[Sequence[Handoff], datetime], list[Message]]


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Run every step of the chain that is due; returns how many steps were taken."""
    now = now or timezone.now()
    taken = 0
    for phase in _phases(now):
        while True:
            done = _run(phase, now)
            taken += done
            if done < BATCH:
                break
    return taken


def _phases(now: datetime) -> list[Phase]:
    open_ = Q(status=Handoff.Status.OPEN)
    uncontacted = Q(status=Handoff.Status.CLAIMED, first_contact_at__isnull=True)
    return [
        Phase(
            "warning",
            HandoffStep.Clock.CLAIM,
            open_
            & Q(claim_warned_at__isnull=True, claim_warning_at__lte=now, claim_due_at__gt=now),
            "claim_warned_at",
            _claim_warnings,
        ),
        Phase(
            "breach",
            HandoffStep.Clock.CLAIM,
            open_ & Q(claim_escalated_at__isnull=True, claim_due_at__lte=now),
            "claim_escalated_at",
            _claim_breaches,
        ),
        Phase(
            "warning",
            HandoffStep.Clock.FIRST_CONTACT,
            uncontacted
            & Q(
                contact_warned_at__isnull=True,
                contact_warning_at__lte=now,
                first_contact_due_at__gt=now,
            ),
            "contact_warned_at",
            _contact_warnings,
        ),
        Phase(
            "breach",
            HandoffStep.Clock.FIRST_CONTACT,
            uncontacted & Q(contact_escalated_at__isnull=True, first_contact_due_at__lte=now),
            "contact_escalated_at",
            _contact_breaches,
        ),
    ]


def _run(phase: Phase, now: datetime) -> int:
    with transaction.atomic():
        ids = list(
            Handoff.objects.filter(phase.due)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return 0
        Handoff.objects.filter(pk__in=ids).update(**{phase.stamp: now})
        handoffs = list(
            Handoff.objects.filter(pk__in=ids)
            .select_related("lead", "routed_to", "claimed_by")
            .order_by("pk")
        )
        messages = phase.act(handoffs, now)
        notify_many(messages, now=now)
        events.publish_many(
            events.HANDOFF_ESCALATED,
            [
                events.Pending(
                    subject=f"handoff:{handoff.pk}",
                    payload={
                        "handoff": handoff.pk,
                        "lead": handoff.lead_id,
                        "clock": phase.clock,
                        "step": phase.name,
                    },
                )
                for handoff in handoffs
            ],
        )
    return len(ids)


def _steps(handoffs: Sequence[Handoff], *, kind: str, clock: str, now: datetime, detail) -> None:
    HandoffStep.objects.bulk_create(
        [
            HandoffStep(handoff=h, kind=kind, clock=clock, at=now, detail=detail(h)[:500])
            for h in handoffs
        ],
        ignore_conflicts=True,
    )


def _holder(handoff: Handoff) -> str:
    return person(handoff.routed_to) if handoff.routed_to else "the team"


def _at(before: str, due: datetime | None, after: str = "") -> Callable[[Reader], str]:
    """Text with a deadline in the middle, in each reader's own time zone."""

    def write(reader: Reader) -> str:
        return f"{before}{reader.time(due) if due else 'now'}{after}"

    return write


def _url(handoff: Handoff) -> str:
    return reverse("leads:detail", args=[handoff.lead_id])


def _claim_warnings(handoffs: Sequence[Handoff], now: datetime) -> list[Message]:
    team = None
    _steps(
        handoffs,
        kind=HandoffStep.Kind.WARNED,
        clock=HandoffStep.Clock.CLAIM,
        now=now,
        detail=lambda h: f"Claim due soon; warned {_holder(h)}.",
    )
    messages = []
    for handoff in handoffs:
        if handoff.routed_to is not None:
            recipients = [handoff.routed_to]
        else:
            team = available_reps(now=now) if team is None else team
            recipients = team
        due = handoff.claim_due_at
        messages.append(
            Message(
                recipients,
                notifications.SLA_WARNING,
                title=f"Claim {handoff.lead} soon",
                body=_at("The claim is due ", due, "."),
                url=_url(handoff),
                subject=f"handoff:{handoff.pk}",
            )
        )
    return messages


def _claim_breaches(handoffs: Sequence[Handoff], now: datetime) -> list[Message]:
    """Managers hear of every breach; a lead its rep did not claim goes to the team."""
    managers = list(users_with_role(MANAGER))
    _steps(
        handoffs,
        kind=HandoffStep.Kind.ESCALATED,
        clock=HandoffStep.Clock.CLAIM,
        now=now,
        detail=lambda h: "Claim SLA missed; managers told.",
    )
    routed = [handoff for handoff in handoffs if handoff.routed_to_id is not None]
    if routed:
        # ``routed_to`` keeps where routing sent it (the dry run compares with it); the
        # offer ends with the clock, and ``requeued_at`` says the team was told.
        Handoff.objects.filter(pk__in=[h.pk for h in routed]).update(requeued_at=now)
        events.publish_many(
            events.HANDOFF_REQUEUED,
            [
                events.Pending(
                    subject=f"handoff:{h.pk}",
                    payload={
                        "handoff": h.pk,
                        "lead": h.lead_id,
                        "reason": "not claimed in time",
                        "before": {"offered_to": getattr(h.routed_to, "username", None)},
                        "after": {"offered_to": None},
                    },
                )
                for h in routed
            ],
        )
        _steps(
            routed,
            kind=HandoffStep.Kind.REQUEUED,
            clock=HandoffStep.Clock.CLAIM,
            now=now,
            detail=lambda h: (
                f"{person(h.routed_to)} did not claim it in time; any rep may claim it now."
            ),
        )
    team = available_reps(now=now) if routed else []
    messages = []
    for handoff in handoffs:
        due, holder = handoff.claim_due_at, handoff.routed_to
        where = f"routed to {person(holder)}" if holder else "in the team queue"
        messages.append(
            Message(
                managers,
                notifications.SLA_BREACH,
                title=f"SLA breach: {handoff.lead} was not claimed in time",
                body=_at(
                    "The claim was due ",
                    due,
                    f"; the lead was {where}."
                    + (" It is back in the team queue." if holder else ""),
                ),
                url=_url(handoff),
                subject=f"handoff:{handoff.pk}",
            )
        )
        if holder is not None:
            messages.append(
                Message(
                    [holder],
                    notifications.REQUEUED,
                    title=f"{handoff.lead} went back to the team queue",
                    body=_at("It was not claimed by ", due, "."),
                    url=_url(handoff),
                    subject=f"handoff:{handoff.pk}",
                )
            )
            messages.append(
                Message(
                    [rep for rep in team if rep.pk != holder.pk],
                    notifications.REQUEUED,
                    title=f"{handoff.lead} is open to the team",
                    body=f"{person(holder)} did not claim it in time; first to claim it wins.",
                    url=_url(handoff),
                    subject=f"handoff:{handoff.pk}",
                )
            )
    return messages


def _contact_warnings(handoffs: Sequence[Handoff], now: datetime) -> list[Message]:
    _steps(
        handoffs,
        kind=HandoffStep.Kind.WARNED,
        clock=HandoffStep.Clock.FIRST_CONTACT,
        now=now,
        detail=lambda h: f"First contact due soon; warned {person(h.claimed_by)}.",
    )
    return [
        Message(
            [handoff.claimed_by],
            notifications.SLA_WARNING,
            title=f"Contact {handoff.lead} soon",
            body=_at(
                "First contact is due ",
                handoff.first_contact_due_at,
                ". Log the call or email when done.",
            ),
            url=_url(handoff),
            subject=f"handoff:{handoff.pk}",
        )
        for handoff in handoffs
        if handoff.claimed_by is not None
    ]


def _contact_breaches(handoffs: Sequence[Handoff], now: datetime) -> list[Message]:
    managers = list(users_with_role(MANAGER))
    _steps(
        handoffs,
        kind=HandoffStep.Kind.ESCALATED,
        clock=HandoffStep.Clock.FIRST_CONTACT,
        now=now,
        detail=lambda h: f"First-contact SLA missed by {person(h.claimed_by)}; managers told.",
    )
    return [
        Message(
            managers,
            notifications.SLA_BREACH,
            title=f"SLA breach: {handoff.lead} was not contacted in time",
            body=_at(
                f"Claimed by {person(handoff.claimed_by)}; first contact was due ",
                handoff.first_contact_due_at,
                ".",
            ),
            url=_url(handoff),
            subject=f"handoff:{handoff.pk}",
        )
        for handoff in handoffs
    ]
