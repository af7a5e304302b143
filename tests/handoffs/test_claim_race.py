"""Two reps claim the same lead at the same instant, on real PostgreSQL connections.

The database decides: exactly one claim wins, the other gets ``AlreadyClaimed``, and the
history shows one change to SAL. SQLite serialises whole transactions, so this proves
nothing there and is skipped.
"""

import pytest
from django.db import connection

from handoffs.models import Handoff
from handoffs.services import AlreadyClaimed, claim_handoff
from leads import lifecycle
from leads.models import Lead, Stage, StageChange
from tests.concurrency import in_threads
from tests.factories import LeadFactory, UserFactory

ROUNDS = 5

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the claim race needs PostgreSQL row locks (set DATABASE_URL)",
    ),
]


def race(handoff_id: int, reps: list) -> list[str]:
    """Both reps claim at once, each on its own connection; returns what each one got."""

    def claim(rep):
        def attempt() -> str:
            # A fresh copy per thread, as two web requests would load it.
            handoff = Handoff.objects.get(pk=handoff_id)
            try:
                claim_handoff(handoff, rep=rep)
            except AlreadyClaimed:
                return f"lost:{rep.username}"
            return f"won:{rep.username}"

        return attempt

    return in_threads(*(claim(rep) for rep in reps))


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_exactly_one_of_two_simultaneous_claims_wins(round_number):
    sam = UserFactory(username="sam", roles=["sales"])
    rob = UserFactory(username="rob", roles=["sales"])
    lead = LeadFactory(stage=Stage.NEW)
    lifecycle.advance(lead, Stage.MQL, automatic=True)
    handoff = Handoff.objects.get(lead=lead)

    outcomes = race(handoff.pk, [sam, rob])

    assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
    winner = next(o.split(":")[1] for o in outcomes if o.startswith("won"))
    stored = Handoff.objects.get(pk=handoff.pk)
    assert stored.status == Handoff.Status.CLAIMED
    assert stored.claimed_by.username == winner
    assert Lead.objects.get(pk=lead.pk).owner.username == winner
    assert StageChange.objects.filter(lead=lead, to_stage=Stage.SAL).count() == 1
