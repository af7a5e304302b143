"""What the sales pages say about a handoff: who it is offered to, speed to lead in its
steps, where sales' work on the lead stands, and a rep's next step on a lead. Pure reads
of rows already loaded."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from alignment.notifications import person
from alignment.roles import MANAGER, has_role
from handoffs.models import Handoff
from handoffs.queries import TimelineEntry, speed_to_lead
from leads.models import Lead, Stage


@dataclass(frozen=True)
class Offer:
    """A routed lead offered to one rep until its claim clock runs out; ``ended``: the
    clock ran out and the team may claim it."""

    rep_name: str
    until: datetime
    mine: bool
    may_claim: bool
    ended: bool


def offer_of(handoff: Handoff | None, user, *, now: datetime | None = None) -> Offer | None:
    """Who an open routed handoff is offered to, and whether ``user`` may claim it now."""
    if handoff is None or handoff.status != Handoff.Status.OPEN or handoff.routed_to_id is None:
        return None
    now = now or timezone.now()
    mine = handoff.routed_to_id == user.pk
    ended = handoff.requeued_at is not None or handoff.claim_due_at <= now
    return Offer(
        rep_name="you" if mine else person(handoff.routed_to),
        until=handoff.claim_due_at,
        mine=mine,
        may_claim=mine or ended or has_role(user, MANAGER),
        ended=ended,
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{int(minutes)} min"
    hours, rest = divmod(int(minutes), 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


def speed_steps(handoff: Handoff | None) -> list[dict[str, str]]:
    """Speed to lead in its steps, as the brief shows them."""
    if handoff is None:
        return []
    steps = speed_to_lead(handoff)
    labels = (
        ("mql_to_routed", "MQL → routed"),
        ("routed_to_notified", "→ notified"),
        ("notified_to_claimed", "→ claimed"),
        ("claimed_to_first_contact", "→ first contact"),
    )
    return [{"label": label, "value": _duration(steps[key])} for key, label in labels]


def next_step(lead: Lead, handoff: Handoff | None, *, now: datetime | None = None) -> dict:
    """What the rep who owns ``lead`` should do next, and how urgent it is."""
    now = now or timezone.now()
    if lead.stage == Stage.SAL and handoff is not None and handoff.first_contact_at is None:
        due = handoff.first_contact_due_at
        overdue = due is not None and due < now
        return {"text": "Make first contact", "due": due, "overdue": overdue}
    if lead.stage == Stage.SAL:
        return {"text": "Qualify it as an SQL, or send it back", "due": None, "overdue": False}
    if lead.stage == Stage.SQL:
        return {"text": "Move the deal on: won or lost", "due": None, "overdue": False}
    return {"text": f"Closed: {Stage(lead.stage).label}", "due": None, "overdue": False}


#: What the brief's badge says once sales worked the claimed lead: where it stands now.
WORKED_LABELS = {Stage.SQL: "Qualified (SQL)", Stage.WON: "Won", Stage.LOST: "Lost"}


def brief_badge(handoff: Handoff, lead: Lead) -> dict[str, str]:
    """The brief's badge: the handoff's status until sales worked the lead, then the
    lead's stage, so a won deal's brief says "Won", not "Claimed"."""
    if handoff.status == Handoff.Status.CLAIMED and lead.stage in WORKED_LABELS:
        return {"label": WORKED_LABELS[Stage(lead.stage)], "class": f"stage stage--{lead.stage}"}
    return {"label": handoff.get_status_display(), "class": f"status--{handoff.status}"}


@dataclass(frozen=True)
class Outcome:
    """How a lead ended: won (with the deal's amount) or lost (with why), when and by whom."""

    stage: str
    label: str
    at: datetime
    by: str
    amount: Decimal | None
    reason: str


def outcome_of(lead: Lead, timeline: Sequence[TimelineEntry]) -> Outcome | None:
    """The won or lost lead's last move there, read from its timeline (no query)."""
    if lead.stage not in (Stage.WON, Stage.LOST):
        return None
    moves = [
        entry
        for entry in timeline
        if entry.kind == "stage_change" and (entry.data or {}).get("to") == lead.stage
    ]
    if not moves:
        return None
    last = max(moves, key=lambda entry: entry.at)
    amount = (last.data or {}).get("amount")
    return Outcome(
        stage=lead.stage,
        label=Stage(lead.stage).label,
        at=last.at,
        by=last.actor,
        amount=Decimal(amount) if amount is not None else None,
        reason=last.detail,
    )
