"""``handoffs.services.claim_handoff``: first come, first served, exactly one winner."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import ProtectedError

from alignment.models import Event
from handoffs.models import Handoff
from handoffs.services import AlreadyClaimed, NotAllowed, claim_handoff, reject_handoff
from leads.lifecycle import IllegalTransition
from leads.models import Lead, Stage, StageChange

AT = datetime(2026, 5, 4, 9, 20, tzinfo=UTC)


def test_a_claim_makes_the_lead_a_sal_owned_by_the_rep(handoff, rep):
    claim_handoff(handoff, rep=rep, now=AT)
    lead = Lead.objects.get(pk=handoff.lead_id)
    assert (lead.stage, lead.owner) == (Stage.SAL, rep)


def test_a_claim_records_who_and_when_and_starts_the_first_contact_clock(handoff, rep):
    claim_handoff(handoff, rep=rep, now=AT)
    stored = Handoff.objects.get(pk=handoff.pk)
    assert (stored.status, stored.claimed_by, stored.claimed_at) == (
        Handoff.Status.CLAIMED,
        rep,
        AT,
    )
    assert stored.first_contact_due_at == AT + timedelta(minutes=240)


def test_the_callers_handoff_object_shows_the_claim(handoff, rep):
    claimed = claim_handoff(handoff, rep=rep, now=AT)
    assert claimed.status == Handoff.Status.CLAIMED
    assert claimed.claimed_by == rep


def test_a_claim_writes_the_stage_change_to_sal_by_the_rep(handoff, rep):
    claim_handoff(handoff, rep=rep, now=AT)
    change = StageChange.objects.get(lead=handoff.lead, to_stage=Stage.SAL)
    assert (change.from_stage, change.changed_by, change.changed_at) == (Stage.MQL, rep, AT)


def test_it_rejects_a_second_claim(handoff, rep, other_rep):
    claim_handoff(handoff, rep=rep, now=AT)
    with pytest.raises(AlreadyClaimed):
        claim_handoff(Handoff.objects.get(pk=handoff.pk), rep=other_rep)
    stored = Handoff.objects.get(pk=handoff.pk)
    assert stored.claimed_by == rep
    assert StageChange.objects.filter(lead=handoff.lead, to_stage=Stage.SAL).count() == 1


def test_a_stale_copy_of_the_handoff_cannot_claim_it_again(handoff, rep, other_rep):
    stale = Handoff.objects.get(pk=handoff.pk)
    claim_handoff(handoff, rep=rep, now=AT)
    with pytest.raises(AlreadyClaimed):
        claim_handoff(stale, rep=other_rep)
    assert Lead.objects.get(pk=handoff.lead_id).owner == rep


def test_a_rejected_handoff_cannot_be_claimed(handoff, rep, other_rep):
    reject_handoff(handoff, rep=rep, reason="no_budget")
    with pytest.raises(AlreadyClaimed):
        claim_handoff(handoff, rep=other_rep)


def test_a_marketer_cannot_claim(handoff, marketer):
    with pytest.raises(NotAllowed):
        claim_handoff(handoff, rep=marketer)
    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.OPEN


def test_a_user_without_a_role_cannot_claim(handoff, outsider):
    with pytest.raises(NotAllowed):
        claim_handoff(handoff, rep=outsider)


def test_a_manager_can_claim(handoff, manager):
    claim_handoff(handoff, rep=manager, now=AT)
    assert Lead.objects.get(pk=handoff.lead_id).owner == manager


def test_a_claim_records_a_handoff_claimed_event(handoff, rep):
    claim_handoff(handoff, rep=rep, now=AT)
    event = Event.objects.get(name="handoff.claimed")
    assert event.payload == {
        "handoff": handoff.pk,
        "lead": handoff.lead_id,
        "claimed_by": "sam",
        "before": {"status": "open"},
        "after": {"status": "claimed"},
    }


def test_a_claim_on_a_lead_no_longer_an_mql_changes_nothing(handoff, rep):
    # The lead moved on by a path that left the handoff open (a data repair, say).
    Lead.objects.filter(pk=handoff.lead_id).update(stage=Stage.DISQUALIFIED)
    with pytest.raises(IllegalTransition):
        claim_handoff(handoff, rep=rep, now=AT)
    stored = Handoff.objects.get(pk=handoff.pk)
    assert (stored.status, stored.claimed_by) == (Handoff.Status.OPEN, None)
    assert Lead.objects.get(pk=handoff.lead_id).owner is None


def test_a_rep_who_claimed_a_lead_cannot_be_deleted(claimed_handoff, rep):
    # The claim is history the KPIs read; deactivate the rep instead.
    with pytest.raises(ProtectedError):
        rep.delete()
    assert Handoff.objects.get(pk=claimed_handoff.pk).claimed_by == rep
