"""``handoffs.services.move_lead``: a person changes a stage, within their role."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from handoffs.models import Handoff
from handoffs.services import NotAllowed, claim_handoff, move_lead, move_refusal
from leads import lifecycle
from leads.models import Lead, Stage, StageChange
from tests.factories import LeadFactory


def stage_of(lead):
    return Lead.objects.get(pk=lead.pk).stage


def test_the_owner_qualifies_their_lead_to_sql(claimed_handoff, rep):
    move_lead(claimed_handoff.lead, to_stage=Stage.SQL, by=rep, reason="Budget and need.")
    assert stage_of(claimed_handoff.lead) == Stage.SQL


def test_a_rep_cannot_move_another_reps_lead(claimed_handoff, other_rep):
    with pytest.raises(NotAllowed):
        move_lead(claimed_handoff.lead, to_stage=Stage.SQL, by=other_rep)
    assert stage_of(claimed_handoff.lead) == Stage.SAL


def test_a_rep_must_claim_a_lead_before_working_it(handoff, rep):
    with pytest.raises(NotAllowed):
        move_lead(handoff.lead, to_stage=Stage.SQL, by=rep)


def test_a_manager_moves_any_reps_lead(claimed_handoff, manager):
    move_lead(claimed_handoff.lead, to_stage=Stage.SQL, by=manager)
    assert stage_of(claimed_handoff.lead) == Stage.SQL


@pytest.mark.parametrize("stage", [Stage.SQL, Stage.WON, Stage.LOST, Stage.RECYCLED])
def test_marketing_cannot_make_sales_decisions(db, marketer, stage):
    lead = LeadFactory(stage=Stage.SQL)
    with pytest.raises(NotAllowed):
        move_lead(lead, to_stage=stage, by=marketer, reason="Because.", amount=Decimal("1"))
    assert stage_of(lead) == Stage.SQL


def test_marketing_can_disqualify_a_new_lead(db, marketer):
    lead = LeadFactory(stage=Stage.NEW)
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Spam.")
    assert stage_of(lead) == Stage.DISQUALIFIED


def test_marketing_can_make_an_mql_by_hand_and_it_is_handed_off(db, marketer):
    lead = LeadFactory(stage=Stage.NEW)
    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="Called us directly.")
    assert stage_of(lead) == Stage.MQL
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_sales_cannot_make_an_mql(db, rep):
    lead = LeadFactory(stage=Stage.NEW, owner=rep)
    with pytest.raises(NotAllowed):
        move_lead(lead, to_stage=Stage.MQL, by=rep)


def test_nobody_moves_a_lead_to_sal_by_hand_it_takes_a_claim(handoff, manager):
    with pytest.raises(NotAllowed):
        move_lead(handoff.lead, to_stage=Stage.SAL, by=manager)


def test_an_unknown_stage_is_not_allowed(handoff, manager):
    with pytest.raises(NotAllowed):
        move_lead(handoff.lead, to_stage="bogus", by=manager)


def test_won_needs_the_amount(db, rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    with pytest.raises(ValidationError) as caught:
        move_lead(lead, to_stage=Stage.WON, by=rep)
    assert "amount" in caught.value.message_dict
    assert stage_of(lead) == Stage.SQL


def test_won_refuses_a_negative_amount(db, rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    with pytest.raises(ValidationError):
        move_lead(lead, to_stage=Stage.WON, by=rep, amount=Decimal("-5"))


def test_won_keeps_the_amount_in_the_history(db, rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    move_lead(lead, to_stage=Stage.WON, by=rep, amount=Decimal("4800.00"))
    assert StageChange.objects.get(lead=lead).amount == Decimal("4800.00")


@pytest.mark.parametrize("stage", [Stage.LOST, Stage.RECYCLED])
def test_lost_and_recycled_need_a_reason(db, rep, stage):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    with pytest.raises(ValidationError) as caught:
        move_lead(lead, to_stage=stage, by=rep, reason="  ")
    assert "reason" in caught.value.message_dict


def test_an_illegal_move_raises_illegal_transition(db, rep):
    lead = LeadFactory(stage=Stage.SAL, owner=rep)
    with pytest.raises(lifecycle.IllegalTransition):
        move_lead(lead, to_stage=Stage.WON, by=rep, amount=Decimal("10"))


def test_sending_a_claimed_lead_back_rejects_its_handoff(claimed_handoff, rep):
    move_lead(claimed_handoff.lead, to_stage=Stage.RECYCLED, by=rep, reason="Not ready yet.")
    stored = Handoff.objects.get(pk=claimed_handoff.pk)
    assert (stored.status, stored.rejection_reason, stored.rejection_note) == (
        Handoff.Status.REJECTED,
        "other",
        "Not ready yet.",
    )
    assert stored.rejected_by == rep


def test_marketing_taking_back_an_unclaimed_mql_withdraws_its_handoff(handoff, marketer):
    move_lead(handoff.lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="A competitor.")
    stored = Handoff.objects.get(pk=handoff.pk)
    assert (stored.status, stored.withdrawn_by) == (Handoff.Status.WITHDRAWN, marketer)
    assert (stored.rejection_reason, stored.rejected_at) == ("", None)
    step = stored.steps.get()
    assert (step.kind, step.detail) == ("withdrawn", "Disqualified: A competitor.")


def test_a_withdrawal_is_an_event_with_before_and_after(handoff, marketer):
    from alignment.models import Event

    move_lead(handoff.lead, to_stage=Stage.RECYCLED, by=marketer, reason="Nurture first.")
    event = Event.objects.get(name="handoff.withdrawn")
    assert event.payload["before"] == {"status": "open"}
    assert event.payload["after"] == {"status": "withdrawn"}
    assert event.payload["by"] == marketer.username


def test_recycling_a_lost_deal_closes_its_handoff_and_a_return_opens_a_new_one(
    claimed_handoff, rep, marketer
):
    lead = claimed_handoff.lead
    move_lead(lead, to_stage=Stage.SQL, by=rep)
    move_lead(lead, to_stage=Stage.LOST, by=rep, reason="Chose a rival.")
    move_lead(lead, to_stage=Stage.RECYCLED, by=rep, reason="Try again next year.")
    assert Handoff.objects.get(pk=claimed_handoff.pk).status == Handoff.Status.CLOSED
    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="Back with a new budget.")
    returned = Handoff.objects.exclude(pk=claimed_handoff.pk).get(lead=lead)
    assert returned.status == Handoff.Status.OPEN


def test_a_returned_lead_can_be_claimed_by_another_rep(claimed_handoff, rep, other_rep, marketer):
    lead = claimed_handoff.lead
    move_lead(lead, to_stage=Stage.RECYCLED, by=rep, reason="Not ready yet.")
    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="Ready now.")
    claim_handoff(Handoff.objects.get(lead=lead, status="open"), rep=other_rep)
    assert Lead.objects.get(pk=lead.pk).owner == other_rep


@pytest.mark.parametrize("stage", [Stage.SAL, Stage.SQL])
def test_marketing_cannot_disqualify_a_lead_sales_is_working(db, marketer, rep, stage):
    lead = LeadFactory(stage=stage, owner=rep)
    with pytest.raises(NotAllowed, match="Sales owns"):
        move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Looks like spam.")
    assert stage_of(lead) == stage


def test_move_refusal_says_nothing_when_the_move_is_allowed(claimed_handoff, rep):
    assert move_refusal(claimed_handoff.lead, to_stage=Stage.SQL, by=rep) is None


def test_move_refusal_says_why_a_move_is_refused(claimed_handoff, other_rep):
    refusal = move_refusal(claimed_handoff.lead, to_stage=Stage.SQL, by=other_rep)
    assert refusal == "This lead belongs to another rep."
