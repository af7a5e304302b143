"""``handoffs.services.reject_handoff``: sales sends the lead back to marketing with a reason."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from alignment.models import Event
from handoffs.models import Handoff
from handoffs.services import HandoffClosed, NotAllowed, reject_handoff, rejection_reasons
from leads.models import Lead, Stage, StageChange

AT = datetime(2026, 5, 4, 9, 40, tzinfo=UTC)


def test_a_rejection_recycles_the_lead(handoff, rep):
    reject_handoff(handoff, rep=rep, reason="no_budget", note="Budget frozen until Q3.", now=AT)
    assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.RECYCLED


def test_a_rejection_stores_the_reason_who_and_when(handoff, rep):
    reject_handoff(handoff, rep=rep, reason="no_budget", note="Budget frozen until Q3.", now=AT)
    stored = Handoff.objects.get(pk=handoff.pk)
    assert (stored.status, stored.rejection_reason, stored.rejection_note) == (
        Handoff.Status.REJECTED,
        "no_budget",
        "Budget frozen until Q3.",
    )
    assert (stored.rejected_by, stored.rejected_at) == (rep, AT)


def test_the_stage_history_says_why_the_lead_came_back(handoff, rep):
    reject_handoff(handoff, rep=rep, reason="no_budget", note="Budget frozen until Q3.", now=AT)
    change = StageChange.objects.get(lead=handoff.lead, to_stage=Stage.RECYCLED)
    assert change.reason == "Rejected: No budget. Budget frozen until Q3."
    assert (change.changed_by, change.changed_at) == (rep, AT)


def test_an_unknown_reason_is_refused_and_changes_nothing(handoff, rep):
    with pytest.raises(ValidationError) as caught:
        reject_handoff(handoff, rep=rep, reason="dont_like_them")
    assert "reason" in caught.value.message_dict
    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.OPEN
    assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.MQL


def test_any_rep_may_reject_an_unclaimed_handoff(handoff, other_rep):
    reject_handoff(handoff, rep=other_rep, reason="not_a_fit")
    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.REJECTED


def test_the_claimer_may_reject_after_the_claim(claimed_handoff, rep):
    reject_handoff(claimed_handoff, rep=rep, reason="bad_timing")
    assert Lead.objects.get(pk=claimed_handoff.lead_id).stage == Stage.RECYCLED


def test_another_rep_may_not_reject_after_the_claim(claimed_handoff, other_rep):
    with pytest.raises(NotAllowed):
        reject_handoff(claimed_handoff, rep=other_rep, reason="bad_timing")
    assert Handoff.objects.get(pk=claimed_handoff.pk).status == Handoff.Status.CLAIMED
    assert Lead.objects.get(pk=claimed_handoff.lead_id).stage == Stage.SAL


def test_a_manager_may_reject_after_someone_else_claimed(claimed_handoff, manager):
    reject_handoff(claimed_handoff, rep=manager, reason="duplicate")
    assert Handoff.objects.get(pk=claimed_handoff.pk).rejected_by == manager


def test_a_marketer_may_not_reject(handoff, marketer):
    with pytest.raises(NotAllowed):
        reject_handoff(handoff, rep=marketer, reason="not_a_fit")


def test_a_handoff_cannot_be_rejected_twice(handoff, rep, other_rep):
    reject_handoff(handoff, rep=rep, reason="not_a_fit")
    with pytest.raises(HandoffClosed):
        reject_handoff(handoff, rep=other_rep, reason="no_need")
    assert Handoff.objects.get(pk=handoff.pk).rejection_reason == "not_a_fit"
    assert StageChange.objects.filter(lead=handoff.lead, to_stage=Stage.RECYCLED).count() == 1


def test_a_rejection_records_a_handoff_rejected_event(claimed_handoff, rep):
    reject_handoff(claimed_handoff, rep=rep, reason="no_need", note="Happy with a rival.")
    event = Event.objects.get(name="handoff.rejected")
    assert event.payload == {
        "handoff": claimed_handoff.pk,
        "lead": claimed_handoff.lead_id,
        "reason": "no_need",
        "note": "Happy with a rival.",
        "before": {"status": "claimed"},
        "after": {"status": "rejected"},
    }


def test_a_reason_the_agreement_in_force_leaves_out_is_refused(claimed_handoff, rep):
    from alignment.models import AgreementVersion

    AgreementVersion.objects.filter(status="in_force").update(
        rejection_reasons=["not_a_fit", "no_budget"]
    )

    with pytest.raises(ValidationError) as refused:
        reject_handoff(claimed_handoff, rep=rep, reason="bad_timing")

    assert "use one of: not_a_fit, no_budget" in str(refused.value)
    claimed_handoff.refresh_from_db()
    assert claimed_handoff.status == "claimed"
    reject_handoff(claimed_handoff, rep=rep, reason="no_budget")
    assert rejection_reasons() == [
        ("not_a_fit", "Not a fit (wrong company or role)"),
        ("no_budget", "No budget"),
    ]
