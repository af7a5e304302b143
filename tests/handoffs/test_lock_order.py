"""A claim and marketing taking the same MQL back, at the same instant, on PostgreSQL.

Both touch the lead and its handoff. Every write takes the lead's row first, so one waits
for the other and the loser is refused with a reason; neither dies in a deadlock.
"""

import pytest
from django.db import connection

from handoffs.models import Handoff
from handoffs.services import AlreadyClaimed, claim_handoff, move_lead, reject_handoff
from handoffs.services.handoffs import HandoffClosed, NotAllowed
from leads import lifecycle
from leads.lifecycle import IllegalTransition
from leads.models import Lead, Stage
from tests.concurrency import in_threads
from tests.factories import LeadFactory, UserFactory

ROUNDS = 8

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="lock order matters only with PostgreSQL row locks (set DATABASE_URL)",
    ),
]


def outcome(action):
    def attempt() -> str:
        try:
            action()
        except (AlreadyClaimed, HandoffClosed, NotAllowed, IllegalTransition) as refusal:
            return f"refused:{type(refusal).__name__}"
        return "done"

    return attempt


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_a_claim_and_a_take_back_at_once_end_in_one_of_them(round_number):
    sam = UserFactory(username="sam", roles=["sales"])
    mia = UserFactory(username="mia", roles=["marketing"])
    lead = LeadFactory(stage=Stage.NEW)
    lifecycle.advance(lead, Stage.MQL, automatic=True)
    handoff_id = Handoff.objects.get(lead=lead).pk

    results = in_threads(
        outcome(lambda: claim_handoff(Handoff.objects.get(pk=handoff_id), rep=sam)),
        outcome(
            lambda: move_lead(
                Lead.objects.get(pk=lead.pk), to_stage=Stage.RECYCLED, by=mia, reason="Nurture"
            )
        ),
    )

    assert not any(result.startswith("error") for result in results), results
    assert sorted(result.split(":")[0] for result in results) == ["done", "refused"], results
    status = Handoff.objects.get(pk=handoff_id).status
    stage = Lead.objects.get(pk=lead.pk).stage
    assert (status, stage) in {("claimed", Stage.SAL), ("withdrawn", Stage.RECYCLED)}


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_a_send_back_and_a_take_back_at_once_end_in_one_of_them(round_number):
    sam = UserFactory(username="sam", roles=["sales"])
    mia = UserFactory(username="mia", roles=["marketing"])
    lead = LeadFactory(stage=Stage.NEW)
    lifecycle.advance(lead, Stage.MQL, automatic=True)
    handoff_id = Handoff.objects.get(lead=lead).pk

    results = in_threads(
        outcome(
            lambda: reject_handoff(Handoff.objects.get(pk=handoff_id), rep=sam, reason="no_budget")
        ),
        outcome(
            lambda: move_lead(
                Lead.objects.get(pk=lead.pk), to_stage=Stage.DISQUALIFIED, by=mia, reason="Spam"
            )
        ),
    )

    # Whichever went first, the other saw what it left (a disqualified lead may follow a
    # recycled one); what matters is that neither failed.
    assert not any(result.startswith("error") for result in results), results
    assert "done" in results
    assert Handoff.objects.get(pk=handoff_id).status in {"rejected", "withdrawn"}
