"""Two reps press "Claim next" at the same instant, on real PostgreSQL connections.

``FOR UPDATE SKIP LOCKED`` hands them two different leads, and neither waits for or
fails because of the other. SQLite serialises whole transactions, so this proves nothing
there and is skipped.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from handoffs.models import Handoff
from handoffs.services import claim_next, open_handoff
from leads.models import Stage
from tests.concurrency import in_threads
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the claim-next race needs PostgreSQL row locks (set DATABASE_URL)",
    ),
]


def press_claim_next(rep):
    def attempt() -> str:
        handoff = claim_next(rep)
        return f"{rep.username}:{handoff.pk if handoff else 'none'}"

    return attempt


@pytest.mark.parametrize("round_number", range(5))
def test_two_reps_pressing_claim_next_at_once_get_two_different_leads(round_number):
    sam = UserFactory(username="sam", roles=["sales"])
    rob = UserFactory(username="rob", roles=["sales"])
    now = timezone.now()
    opened = [
        open_handoff(LeadFactory(stage=Stage.MQL), now=now - timedelta(minutes=minutes))
        for minutes in (30, 20, 10)
    ]

    outcomes = in_threads(press_claim_next(sam), press_claim_next(rob))

    taken = sorted(int(outcome.split(":")[1]) for outcome in outcomes)
    assert taken == sorted(h.pk for h in opened[:2]), outcomes  # the two most urgent
    claimers = dict(
        Handoff.objects.filter(status=Handoff.Status.CLAIMED).values_list(
            "pk", "claimed_by__username"
        )
    )
    assert sorted(claimers.values()) == ["rob", "sam"]
    assert Handoff.objects.get(pk=opened[2].pk).status == Handoff.Status.OPEN


def test_when_one_lead_is_left_one_rep_gets_it_and_the_other_gets_none():
    sam = UserFactory(username="sam", roles=["sales"])
    rob = UserFactory(username="rob", roles=["sales"])
    only = open_handoff(LeadFactory(stage=Stage.MQL))

    outcomes = in_threads(press_claim_next(sam), press_claim_next(rob))

    assert sorted(outcome.split(":")[1] for outcome in outcomes) == [str(only.pk), "none"], outcomes
    assert Handoff.objects.get(pk=only.pk).status == Handoff.Status.CLAIMED
