"""Two reps claim the same lead at the same instant, on real PostgreSQL connections.

The database decides: exactly one claim wins, the other gets ``AlreadyClaimed``, and the
history shows one change to SAL. SQLite serialises whole transactions, so this proves
nothing there and is skipped.
"""

import threading

import pytest
from django.db import connection, connections

from handoffs.models import Handoff
from handoffs.services import AlreadyClaimed, claim_handoff
from leads import lifecycle
from leads.models import Lead, Stage, StageChange
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
    barrier = threading.Barrier(len(reps))
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(rep) -> None:
        try:
            # A fresh copy per thread, as two web requests would load it.
            handoff = Handoff.objects.get(pk=handoff_id)
            barrier.wait(timeout=10)
            try:
                claim_handoff(handoff, rep=rep)
                outcome = f"won:{rep.username}"
            except AlreadyClaimed:
                outcome = f"lost:{rep.username}"
            except Exception as exc:  # anything else is a failure the test must show
                outcome = f"error:{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(rep,)) for rep in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a claim hung"
    return outcomes


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
