"""Manual overrides: marketing or a manager qualifies or disqualifies by hand, with a
reason the timeline shows beside who did it; scoring never undoes a disqualification.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from handoffs.models import Handoff
from handoffs.queries import lead_timeline
from handoffs.services import NotAllowed, move_lead
from leads.models import Lead, Stage, StageChange
from leads.services import is_manual_override, score_lead
from tests.calibration.conftest import NOW, hot_lead
from tests.factories import LeadFactory, StageChangeFactory, TouchpointFactory


def stage_url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/stage/"


def stage_of(lead) -> str:
    return Lead.objects.get(pk=lead.pk).stage


def test_a_marketer_qualifies_a_lead_below_the_threshold_and_it_is_handed_off(db, marketer):
    lead = LeadFactory(score=20)
    change = move_lead(
        lead, to_stage=Stage.MQL, by=marketer, reason="Asked for a call at the booth."
    )
    assert (change.changed_by, change.automatic, change.reason) == (
        marketer,
        False,
        "Asked for a call at the booth.",
    )
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_a_qualification_by_hand_without_a_note_says_what_scoring_withheld(db, manager):
    lead = LeadFactory(score=20)
    change = move_lead(lead, to_stage=Stage.MQL, by=manager)
    assert change.reason == (
        "Qualified by hand before scoring did: Score 20 is below the threshold of 50."
    )


def test_a_disqualification_by_hand_is_recorded_with_who_and_why(db, marketer):
    lead = hot_lead()
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="A competitor.")
    change = StageChange.objects.get(lead=lead)
    assert (change.to_stage, change.changed_by, change.reason) == (
        Stage.DISQUALIFIED,
        marketer,
        "A competitor.",
    )
    assert is_manual_override(change)


def test_an_automatic_mql_is_not_an_override(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    assert not is_manual_override(StageChange.objects.get(lead=lead))


def test_a_lead_disqualified_by_hand_is_not_requalified_by_scoring(db, marketer):
    lead = hot_lead()
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Student.")
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW + timedelta(days=40))

    score_lead(lead.pk, now=NOW + timedelta(days=40))

    assert Lead.objects.get(pk=lead.pk).score >= 50
    assert stage_of(lead) == Stage.DISQUALIFIED
    assert not StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).exists()


def test_a_recycled_lead_disqualified_by_hand_stays_disqualified_after_the_cool_off(db, marketer):
    lead = LeadFactory(job_title="VP Marketing", stage=Stage.RECYCLED)
    StageChangeFactory(
        lead=lead,
        from_stage=Stage.SAL,
        to_stage=Stage.RECYCLED,
        changed_at=NOW - timedelta(days=60),
    )
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Left the company.")
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.DISQUALIFIED


def test_marketing_may_take_back_its_own_disqualification_by_hand(db, marketer):
    lead = LeadFactory()
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Looked like spam.")
    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="A real buyer after all.")
    assert stage_of(lead) == Stage.MQL


def test_sales_cannot_qualify_a_lead(db, rep):
    lead = LeadFactory()
    with pytest.raises(NotAllowed):
        move_lead(lead, to_stage=Stage.MQL, by=rep, reason="I like them.")
    assert stage_of(lead) == Stage.NEW


def test_marketing_cannot_disqualify_a_lead_sales_holds(claimed_handoff, marketer):
    lead = claimed_handoff.lead
    with pytest.raises(NotAllowed):
        move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Spam.")
    assert stage_of(lead) == Stage.SAL


def test_the_timeline_marks_a_qualification_by_hand_as_a_manual_override(db, marketer):
    lead = LeadFactory(score=20)
    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="Met at the booth.")

    entry = next(entry for entry in lead_timeline(lead) if entry.kind == "stage_change")

    assert entry.title == "Manual override: New → MQL"
    assert (entry.actor, entry.detail) == ("Mia Marketer", "Met at the booth.")
    assert entry.data["override"] is True
    assert entry.data["automatic"] is False


def test_the_timeline_credits_an_automatic_mql_to_scoring(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)

    entry = next(entry for entry in lead_timeline(lead) if entry.kind == "stage_change")

    assert entry.title == "New → MQL"
    assert entry.actor == "Scoring"
    assert (entry.data["override"], entry.data["automatic"]) == (False, True)


def test_the_lead_page_shows_the_override_with_who_and_why(db, client_as, marketer):
    lead = LeadFactory(score=20)
    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Works for a competitor.")

    body = client_as(marketer).get(reverse("leads:detail", args=[lead.pk])).content.decode()

    assert "Manual override: New → Disqualified" in body
    assert "Mia Marketer · Works for a competitor." in body


def test_the_api_lets_a_manager_disqualify_with_a_reason(api_as, manager):
    lead = LeadFactory()
    response = api_as(manager).post(
        stage_url(lead), {"stage": "disqualified", "reason": "Duplicate."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "disqualified"


def test_the_api_refuses_a_disqualification_without_a_reason(api_as, marketer):
    lead = LeadFactory()
    response = api_as(marketer).post(stage_url(lead), {"stage": "disqualified"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert stage_of(lead) == Stage.NEW


def test_the_api_refuses_sales_a_qualification(api_as, rep):
    lead = LeadFactory()
    response = api_as(rep).post(stage_url(lead), {"stage": "mql"}, format="json")
    assert response.status_code == 403
    assert stage_of(lead) == Stage.NEW


def test_the_api_refuses_marketing_a_lead_sales_holds(api_as, marketer, claimed_handoff):
    lead = claimed_handoff.lead
    response = api_as(marketer).post(
        stage_url(lead), {"stage": "disqualified", "reason": "Spam."}, format="json"
    )
    assert response.status_code == 403
    assert stage_of(lead) == Stage.SAL


def test_the_api_timeline_flags_the_override(api_as, marketer):
    lead = LeadFactory(score=20)
    api_as(marketer).post(stage_url(lead), {"stage": "mql", "reason": "Hot."}, format="json")

    entries = api_as(marketer).get(f"/api/v1/leads/{lead.pk}/timeline/").json()

    change = next(entry for entry in entries if entry["kind"] == "stage_change")
    assert (change["title"], change["actor"], change["data"]["override"]) == (
        "Manual override: New → MQL",
        "Mia Marketer",
        True,
    )
