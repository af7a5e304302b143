"""Helpers that write the rows of a constructed month, for the KPI tests.

Every KPI test works in March 2026 (UTC), with ``NOW`` in mid-April so every March
deadline has passed, and states its numbers by hand in its docstring.
"""

from datetime import UTC, date, datetime, timedelta

from alignment.models import AgreementVersion
from handoffs.models import Handoff
from kpis.queries import Period
from leads.models import Lead, Stage
from tests.factories import HandoffFactory, LeadFactory, StageChangeFactory, agreement_in_force

MARCH = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31))
#: The period of equal length before March: 29 January to 28 February.
BEFORE_MARCH = Period.from_dates(date(2026, 1, 29), date(2026, 2, 28))
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def lead_created(when: datetime, campaign=None, **fields) -> Lead:
    lead = LeadFactory(campaign=campaign, **fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=when)
    lead.created_at = when
    return lead


def history(lead: Lead, *steps) -> None:
    """``steps``: (to_stage, when[, amount]); each change starts where the last ended."""
    current = Stage.NEW
    for step in steps:
        to_stage, when = step[0], step[1]
        StageChangeFactory(
            lead=lead,
            from_stage=current,
            to_stage=to_stage,
            changed_at=when,
            amount=step[2] if len(step) > 2 else None,
        )
        current = to_stage


def opened(
    lead: Lead,
    created_at: datetime,
    *,
    claim_minutes: int = 60,
    contact_minutes: int = 240,
    agreement: AgreementVersion | None = None,
    **fields,
) -> Handoff:
    """A handoff with its due times as ``open_handoff`` and ``claim_handoff`` store them:
    the claim due ``claim_minutes`` after it opened, first contact ``contact_minutes``
    after the claim."""
    if fields.get("claimed_at"):
        fields.setdefault("status", Handoff.Status.CLAIMED)
        fields.setdefault("first_contact_due_at", fields["claimed_at"] + contact_minutes * MINUTE)
    return HandoffFactory(
        lead=lead,
        created_at=created_at,
        claim_due_at=created_at + claim_minutes * MINUTE,
        agreement=agreement or agreement_in_force(),
        **fields,
    )
