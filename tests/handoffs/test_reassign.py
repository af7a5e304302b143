"""``reassign_handoff``: a manager gives a live handoff to another rep, with the reason on
the timeline, news for both reps and an event with before and after."""

import pytest
from django.core.exceptions import ValidationError

from alignment.models import Event, Notification
from handoffs.models import Handoff, HandoffStep
from handoffs.queries import lead_timeline
from handoffs.services import (
    HandoffClosed,
    NotAllowed,
    claim_handoff,
    log_activity,
    reassign_handoff,
    reject_handoff,
)
from leads import lifecycle
from leads.models import Lead, Stage


@pytest.fixture
def offered(handoff, rep):
    """The ``handoff`` routed to ``rep`` and waiting for their claim."""
    Handoff.objects.filter(pk=handoff.pk).update(routed_to=rep)
    handoff.refresh_from_db()
    return handoff


def reassigned_to(user):
    return Notification.objects.filter(recipient=user, kind="handoff.routed")


def test_a_manager_offers_an_open_lead_to_another_rep(offered, manager, other_rep):
    reassign_handoff(offered, to=other_rep, by=manager)

    stored = Handoff.objects.get(pk=offered.pk)
    assert (stored.status, stored.routed_to, stored.claimed_by) == ("open", other_rep, None)
    assert Lead.objects.get(pk=offered.lead_id).owner is None


def test_the_new_rep_may_claim_the_reassigned_lead_and_the_old_one_may_not(
    offered, manager, rep, other_rep
):
    from handoffs.services import OfferedToAnother

    reassign_handoff(offered, to=other_rep, by=manager)

    with pytest.raises(OfferedToAnother):
        claim_handoff(offered, rep=rep)
    assert claim_handoff(offered, rep=other_rep).claimed_by == other_rep


def test_a_manager_gives_a_team_queue_lead_to_a_rep(handoff, manager, rep):
    reassign_handoff(handoff, to=rep, by=manager, reason="Speaks Portuguese")

    assert Handoff.objects.get(pk=handoff.pk).routed_to == rep
    step = HandoffStep.objects.get(handoff=handoff)
    assert step.detail == "Team queue → Sam Seller: Speaks Portuguese"


def test_a_manager_moves_a_claimed_lead_and_its_ownership(claimed_handoff, manager, other_rep):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager, reason="Sam is on leave")

    stored = Handoff.objects.get(pk=claimed_handoff.pk)
    assert (stored.status, stored.claimed_by) == ("claimed", other_rep)
    assert Lead.objects.get(pk=claimed_handoff.lead_id).owner == other_rep


def test_a_claimed_lead_keeps_its_clocks_when_reassigned(claimed_handoff, manager, other_rep):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    stored = Handoff.objects.get(pk=claimed_handoff.pk)
    assert (stored.claimed_at, stored.first_contact_due_at) == (
        claimed_handoff.claimed_at,
        claimed_handoff.first_contact_due_at,
    )


def test_after_a_reassignment_only_the_new_owner_works_the_lead(
    claimed_handoff, manager, rep, other_rep
):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    with pytest.raises(NotAllowed, match="belongs to another rep"):
        log_activity(claimed_handoff.lead, rep=rep, kind="call")
    log_activity(claimed_handoff.lead, rep=other_rep, kind="call")


def test_the_reason_is_a_step_on_the_timeline(claimed_handoff, manager, other_rep):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager, reason="Sam is on leave")

    step = HandoffStep.objects.get(handoff=claimed_handoff, kind="reassigned")
    assert (step.actor, step.detail) == (manager, "Sam Seller → Rob Rival: Sam is on leave")
    entry = next(e for e in lead_timeline(claimed_handoff.lead) if e.title == "Reassigned")
    assert (entry.detail, entry.actor) == ("Sam Seller → Rob Rival: Sam is on leave", "Max Manager")


def test_a_reassignment_without_a_reason_says_who_to_whom(offered, manager, other_rep):
    reassign_handoff(offered, to=other_rep, by=manager)

    assert HandoffStep.objects.get(handoff=offered).detail == "Sam Seller → Rob Rival"


def test_the_new_rep_is_told_with_the_reason_and_the_deadline(offered, manager, other_rep):
    reassign_handoff(offered, to=other_rep, by=manager, reason="Big account")

    (news,) = reassigned_to(other_rep)
    assert news.title == f"{offered.lead} is reassigned to you"
    assert news.body.startswith("Max Manager: Big account. Please claim it by ")
    assert news.subject == f"handoff:{offered.pk}"


def test_the_new_owner_of_a_claimed_lead_is_asked_for_first_contact(
    claimed_handoff, manager, other_rep
):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    (news,) = reassigned_to(other_rep)
    assert "Please make first contact by " in news.body


def test_a_contacted_lead_asks_for_no_deadline(claimed_handoff, manager, rep, other_rep):
    log_activity(claimed_handoff.lead, rep=rep, kind="call")

    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    (news,) = reassigned_to(other_rep)
    assert news.body == "By Max Manager."


def test_the_previous_rep_is_told_who_has_the_lead_now(claimed_handoff, manager, rep, other_rep):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager, reason="Sam is on leave")

    (news,) = reassigned_to(rep)
    assert news.title == f"{claimed_handoff.lead} is reassigned to Rob Rival"
    assert news.body == "By Max Manager. Sam is on leave"


def test_nobody_else_is_told(claimed_handoff, manager, marketer, other_rep):
    before = set(Notification.objects.values_list("pk", flat=True))

    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    new = Notification.objects.exclude(pk__in=before)
    assert sorted(new.values_list("recipient__username", flat=True)) == ["rob", "sam"]


def test_a_reassignment_records_an_event_with_before_and_after(claimed_handoff, manager, other_rep):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager, reason="Leave")

    event = Event.objects.get(name="handoff.reassigned")
    assert event.subject == f"handoff:{claimed_handoff.pk}"
    assert event.payload == {
        "handoff": claimed_handoff.pk,
        "lead": claimed_handoff.lead_id,
        "by": "max",
        "reason": "Leave",
        "before": {"assignee": "sam"},
        "after": {"assignee": "rob"},
    }


def test_a_team_queue_lead_had_no_assignee_before(handoff, manager, rep):
    reassign_handoff(handoff, to=rep, by=manager)

    assert Event.objects.get(name="handoff.reassigned").payload["before"] == {"assignee": None}


@pytest.mark.parametrize("persona_name", ["rep", "marketer", "outsider"])
def test_only_a_manager_reassigns(request, offered, other_rep, persona_name):
    with pytest.raises(NotAllowed):
        reassign_handoff(offered, to=other_rep, by=request.getfixturevalue(persona_name))

    assert Handoff.objects.get(pk=offered.pk).routed_to.username == "sam"
    assert not HandoffStep.objects.exists()


def test_a_lead_goes_only_to_an_active_sales_rep(offered, manager, marketer, other_rep):
    other_rep.is_active = False
    other_rep.save()

    for target in (marketer, other_rep, manager, None):
        with pytest.raises(ValidationError) as caught:
            reassign_handoff(offered, to=target, by=manager)
        assert list(caught.value.message_dict) == ["to"]
    assert Handoff.objects.get(pk=offered.pk).routed_to.username == "sam"


def test_a_lead_cannot_be_reassigned_to_the_rep_who_has_it(offered, manager, rep):
    with pytest.raises(ValidationError, match="already with Sam Seller"):
        reassign_handoff(offered, to=rep, by=manager)

    assert not HandoffStep.objects.exists()


def test_a_rejected_handoff_cannot_be_reassigned(handoff, manager, rep, other_rep):
    reject_handoff(handoff, rep=rep, reason="no_budget")

    with pytest.raises(HandoffClosed, match="already rejected"):
        reassign_handoff(handoff, to=other_rep, by=manager)


def test_a_withdrawn_handoff_cannot_be_reassigned(handoff, manager, marketer, other_rep):
    lifecycle.advance(handoff.lead, Stage.RECYCLED, by=marketer, reason="Back to nurture")

    with pytest.raises(HandoffClosed, match="already withdrawn"):
        reassign_handoff(handoff, to=other_rep, by=manager)


def test_a_reassignment_made_from_a_stale_copy_sees_the_claim(offered, manager, rep, other_rep):
    stale = Handoff.objects.get(pk=offered.pk)
    claim_handoff(offered, rep=rep)

    reassign_handoff(stale, to=other_rep, by=manager)

    stored = Handoff.objects.get(pk=offered.pk)
    assert (stored.claimed_by, Lead.objects.get(pk=offered.lead_id).owner) == (
        other_rep,
        other_rep,
    )


def test_the_previous_rep_cannot_move_the_lead_from_a_copy_read_before_the_reassignment(
    claimed_handoff, manager, rep, other_rep
):
    from handoffs.services import move_lead

    stale = Lead.objects.get(pk=claimed_handoff.lead_id)
    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    with pytest.raises(NotAllowed, match="belongs to another rep"):
        move_lead(stale, to_stage=Stage.SQL, by=rep)

    assert Lead.objects.get(pk=stale.pk).stage == Stage.SAL


def test_the_new_owner_moves_the_lead_from_a_copy_read_before_the_reassignment(
    claimed_handoff, manager, other_rep
):
    from handoffs.services import move_lead

    stale = Lead.objects.get(pk=claimed_handoff.lead_id)
    reassign_handoff(claimed_handoff, to=other_rep, by=manager)

    move_lead(stale, to_stage=Stage.SQL, by=other_rep)

    assert Lead.objects.get(pk=stale.pk).stage == Stage.SQL


def test_an_overdue_lead_given_to_a_rep_says_it_is_overdue(handoff, manager, rep):
    from datetime import timedelta

    from alignment.models import Notification

    later = handoff.claim_due_at + timedelta(hours=1)
    reassign_handoff(handoff, to=rep, by=manager, reason="Please call today", now=later)

    body = Notification.objects.get(recipient=rep, kind="handoff.routed").body
    assert body.startswith("Max Manager: Please call today. It is overdue (due ")
    assert body.endswith("): please claim it now.")


def test_the_timeline_keeps_who_claimed_a_lead_after_it_is_reassigned(
    claimed_handoff, manager, rep, other_rep
):
    reassign_handoff(claimed_handoff, to=other_rep, by=manager, reason="Rob knows them")

    entries = {entry.title: entry for entry in lead_timeline(claimed_handoff.lead)}
    assert entries["Claimed"].actor == "Sam Seller"
    assert entries["Reassigned"].actor == "Max Manager"
    assert entries["Reassigned"].detail == "Sam Seller → Rob Rival: Rob knows them"
    step = HandoffStep.objects.get(handoff=claimed_handoff, kind="reassigned")
    assert (step.previous, step.actor) == (rep, manager)
