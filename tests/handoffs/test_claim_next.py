"""``claim_next`` and the offer to a routed rep: the most urgent lead a rep may take, and a
lead routed to one rep stays theirs until its claim clock runs out."""

from datetime import UTC, datetime, timedelta

import pytest

from handoffs.models import Handoff
from handoffs.services import (
    AlreadyClaimed,
    NotAllowed,
    OfferedToAnother,
    claim_handoff,
    claim_next,
    open_handoff,
    reject_handoff,
)
from leads.models import Lead, Stage
from tests.factories import LeadFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def opened(*, minutes_ago: int = 0, routed_to=None, score: int = 60) -> Handoff:
    """An open handoff that became an MQL ``minutes_ago`` (so it is due 60 minutes after)."""
    handoff = open_handoff(
        LeadFactory(stage=Stage.MQL, score=score), now=NOW - timedelta(minutes=minutes_ago)
    )
    if routed_to is not None:
        Handoff.objects.filter(pk=handoff.pk).update(routed_to=routed_to)
        handoff.refresh_from_db()
    return handoff


# Claim next ---------------------------------------------------------------------------------


def test_claim_next_takes_the_most_urgent_lead(rep):
    opened(minutes_ago=10)
    most_urgent = opened(minutes_ago=30)
    opened(minutes_ago=20)

    claimed = claim_next(rep, now=NOW)

    assert claimed.pk == most_urgent.pk
    assert (claimed.status, claimed.claimed_by) == (Handoff.Status.CLAIMED, rep)


def test_claim_next_makes_the_lead_a_sal_owned_by_the_rep(rep):
    handoff = opened()

    claim_next(rep, now=NOW)

    lead = Lead.objects.get(pk=handoff.lead_id)
    assert (lead.stage, lead.owner) == (Stage.SAL, rep)


def test_claim_next_ranks_a_hot_lead_with_a_short_clock_first(rep):
    opened(minutes_ago=30)
    hot = opened(score=90)  # due in 15 minutes, before the other's 30

    assert claim_next(rep, now=NOW).pk == hot.pk


def test_claim_next_leaves_a_lead_offered_to_another_rep_alone(rep, other_rep):
    opened(minutes_ago=50, routed_to=other_rep)
    team = opened(minutes_ago=10)

    assert claim_next(rep, now=NOW).pk == team.pk


def test_claim_next_takes_a_lead_offered_to_the_rep_themselves(rep):
    mine = opened(minutes_ago=40, routed_to=rep)
    opened(minutes_ago=10)

    assert claim_next(rep, now=NOW).pk == mine.pk


def test_claim_next_takes_an_offered_lead_once_its_claim_clock_ran_out(rep, other_rep):
    offered = opened(routed_to=other_rep)

    assert claim_next(rep, now=offered.claim_due_at - timedelta(seconds=1)) is None
    claimed = claim_next(rep, now=offered.claim_due_at)

    assert (claimed.pk, claimed.claimed_by) == (offered.pk, rep)


def test_claim_next_answers_none_when_nothing_is_open(rep, claimed_handoff):
    assert claim_next(rep, now=NOW) is None


def test_claim_next_skips_rejected_and_withdrawn_handoffs(rep, other_rep):
    Handoff.objects.filter(pk=opened(minutes_ago=40).pk).update(status=Handoff.Status.WITHDRAWN)

    assert claim_next(rep, now=NOW) is None


def test_a_manager_may_claim_next_any_open_lead(manager, other_rep):
    offered = opened(minutes_ago=5, routed_to=other_rep)

    assert claim_next(manager, now=NOW).pk == offered.pk


def test_claim_next_twice_takes_two_leads(rep):
    first, second = opened(minutes_ago=20), opened(minutes_ago=10)

    taken = [claim_next(rep, now=NOW).pk, claim_next(rep, now=NOW).pk]

    assert taken == [first.pk, second.pk]
    assert claim_next(rep, now=NOW) is None


@pytest.mark.parametrize("persona_name", ["marketer", "outsider"])
def test_only_sales_and_managers_claim_next(db, request, persona_name):
    opened()

    with pytest.raises(NotAllowed):
        claim_next(request.getfixturevalue(persona_name), now=NOW)

    assert not Handoff.objects.filter(status=Handoff.Status.CLAIMED).exists()


# The offer to the routed rep ------------------------------------------------------------------


def test_a_rep_cannot_claim_a_lead_offered_to_another_before_its_clock_runs_out(rep, other_rep):
    offered = opened(routed_to=other_rep)

    with pytest.raises(OfferedToAnother) as caught:
        claim_handoff(offered, rep=rep, now=NOW + timedelta(minutes=59))

    assert str(caught.value) == (
        "This lead is offered to Rob Rival until today 10:00; the team may claim it after that."
    )
    assert Handoff.objects.get(pk=offered.pk).status == Handoff.Status.OPEN


def test_the_refusal_names_the_rep_and_the_deadline(rep, other_rep):
    offered = opened(routed_to=other_rep)

    with pytest.raises(OfferedToAnother, match="offered to Rob Rival until .*10:00"):
        claim_handoff(offered, rep=rep, now=NOW)


def test_an_offer_refusal_is_a_kind_of_already_claimed(rep, other_rep):
    offered = opened(routed_to=other_rep)

    with pytest.raises(AlreadyClaimed):
        claim_handoff(offered, rep=rep, now=NOW)


def test_a_rep_can_claim_a_lead_offered_to_another_once_the_clock_ran_out(rep, other_rep):
    offered = opened(routed_to=other_rep)

    claimed = claim_handoff(offered, rep=rep, now=offered.claim_due_at)

    assert claimed.claimed_by == rep


def test_the_routed_rep_claims_their_own_offer(other_rep):
    offered = opened(routed_to=other_rep)

    assert claim_handoff(offered, rep=other_rep, now=NOW).claimed_by == other_rep


def test_a_manager_can_always_claim_an_offered_lead(manager, other_rep):
    offered = opened(routed_to=other_rep)

    assert claim_handoff(offered, rep=manager, now=NOW).claimed_by == manager


def test_a_claimed_lead_says_who_has_it(rep, other_rep):
    offered = opened(routed_to=other_rep)
    claim_handoff(offered, rep=other_rep, now=NOW)

    with pytest.raises(AlreadyClaimed, match="already been claimed by Rob Rival"):
        claim_handoff(offered, rep=rep, now=NOW)


# Sending an offered lead back -----------------------------------------------------------------


def test_a_rep_cannot_send_back_a_lead_offered_to_another_before_its_clock_runs_out(rep, other_rep):
    offered = opened(routed_to=other_rep)

    with pytest.raises(NotAllowed, match="offered to Rob Rival until today 10:00"):
        reject_handoff(offered, rep=rep, reason="not_a_fit", now=NOW)

    assert Handoff.objects.get(pk=offered.pk).status == Handoff.Status.OPEN


def test_the_routed_rep_sends_their_offer_back(other_rep):
    offered = opened(routed_to=other_rep)

    assert reject_handoff(offered, rep=other_rep, reason="not_a_fit", now=NOW).status == (
        Handoff.Status.REJECTED
    )


def test_any_rep_sends_back_an_offer_whose_clock_ran_out(rep, other_rep):
    offered = opened(routed_to=other_rep)

    rejected = reject_handoff(offered, rep=rep, reason="not_a_fit", now=offered.claim_due_at)

    assert rejected.status == Handoff.Status.REJECTED


def test_a_manager_sends_back_an_offered_lead(manager, other_rep):
    offered = opened(routed_to=other_rep)

    assert reject_handoff(offered, rep=manager, reason="duplicate", now=NOW).status == (
        Handoff.Status.REJECTED
    )
