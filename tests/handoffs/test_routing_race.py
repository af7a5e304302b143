"""Round robin under load, on real PostgreSQL connections.

MQLs routed at the same moment by several workers take turns on the rule's row lock, so
each rep's share follows the weights, nobody full or away gets a lead, and no lead opens
two handoffs. SQLite serialises whole transactions, so this proves nothing there and is
skipped.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alignment import notifications
from alignment.models import Preferences
from alignment.roles import MANAGER, SALES
from handoffs.models import Handoff
from handoffs.routing import services as routing
from handoffs.routing.models import RepAvailability, RoutingMember
from leads import lifecycle
from leads.models import Lead, Stage
from tests.concurrency import in_threads
from tests.factories import HandoffFactory, LeadFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the routing race needs PostgreSQL row locks (set DATABASE_URL)",
    ),
]

THREADS = 8
#: Each thread makes 125 MQLs, in bursts of 25: every burst starts all eight threads
#: together again, and none runs long enough to look hung on a slow machine.
BURSTS = 5
PER_BURST = 25
TOTAL = THREADS * BURSTS * PER_BURST
WEIGHTS = {"ann": 3, "ben": 2, "cat": 1}


def reps(*usernames: str) -> dict:
    return {
        name: UserFactory(username=name, first_name=name.title(), last_name="Rep", roles=[SALES])
        for name in usernames
    }


def round_robin(members: list[tuple], *, name: str = "DACH"):
    manager = UserFactory(username="max", roles=[MANAGER])
    return routing.create_rule(
        by=manager,
        name=name,
        conditions=[],
        action="round_robin",
        members=[{"user": user, "weight": weight} for user, weight in members],
    )


def new_leads(count: int) -> list[Lead]:
    return Lead.objects.bulk_create(LeadFactory.build_batch(count, stage=Stage.NEW, score=60))


def make_mqls(leads: list[Lead]):
    """A worker turning its share of leads into MQLs, one transaction each."""

    def work() -> str:
        for lead in leads:
            lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached 60.")
        return f"done:{len(leads)}"

    return work


@pytest.mark.parametrize("round_number", range(3))
def test_two_mqls_at_the_same_moment_go_to_two_different_reps(round_number):
    cast = reps("ann", "ben")
    round_robin([(cast["ann"], 1), (cast["ben"], 1)])
    first, second = new_leads(2)

    outcomes = in_threads(make_mqls([first]), make_mqls([second]))

    assert sorted(outcomes) == ["done:1", "done:1"], outcomes
    routed = sorted(
        Handoff.objects.filter(lead__in=[first, second]).values_list(
            "routed_to__username", flat=True
        )
    )
    assert routed == ["ann", "ben"]


def test_a_thousand_mqls_from_eight_workers_are_shared_by_weight():
    cast = reps("ann", "ben", "cat", "fay", "gus")
    rule = round_robin(
        [
            (cast["ann"], WEIGHTS["ann"]),
            (cast["fay"], 5),  # full
            (cast["ben"], WEIGHTS["ben"]),
            (cast["gus"], 5),  # away
            (cast["cat"], WEIGHTS["cat"]),
        ]
    )
    RepAvailability.objects.create(user=cast["fay"], capacity=1)
    HandoffFactory(routed_to=cast["fay"])  # the one lead she has room for
    RepAvailability.objects.create(user=cast["gus"], away_from=timezone.now() - timedelta(days=1))
    for user in cast.values():
        # In the inbox only: a thousand emails sent in-process would only slow the run.
        Preferences.objects.create(user=user, channels={notifications.ROUTED: ["in_app"]})
    leads = new_leads(TOTAL)

    for burst in range(BURSTS):
        batch = leads[burst * THREADS * PER_BURST : (burst + 1) * THREADS * PER_BURST]
        outcomes = in_threads(*(make_mqls(batch[index::THREADS]) for index in range(THREADS)))
        assert sorted(outcomes) == [f"done:{PER_BURST}"] * THREADS, outcomes

    handoffs = Handoff.objects.filter(lead__in=leads)
    assert handoffs.count() == TOTAL
    assert handoffs.values("lead").distinct().count() == TOTAL  # no lead routed twice
    shares = Counter(handoffs.values_list("routed_to__username", flat=True))
    assert set(shares) == set(WEIGHTS), shares  # nobody full or away, nothing to the queue
    total_weight = sum(WEIGHTS.values())
    for name, weight in WEIGHTS.items():
        expected = TOTAL * weight / total_weight
        assert abs(shares[name] - expected) <= 0.02 * TOTAL, (name, shares)
    assigned = dict(
        RoutingMember.objects.filter(rule=rule).values_list("user__username", "assigned")
    )
    assert assigned == {"ann": shares["ann"], "ben": shares["ben"], "cat": shares["cat"],
                        "fay": 0, "gus": 0}  # fmt: skip
    reasons = set(handoffs.values_list("routing_reason", flat=True))
    assert all("Fay Rep is at capacity (1 of 1)" in reason for reason in reasons), reasons
    assert all("Gus Rep is away" in reason for reason in reasons), reasons
