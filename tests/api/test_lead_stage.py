"""API: leads/{id}/stage/ and leads/{id}/timeline/."""

import pytest

from leads.models import Lead, Stage, StageChange
from tests.factories import LeadFactory


def stage_url(lead: Lead) -> str:
    return f"/api/v1/leads/{lead.pk}/stage/"


@pytest.fixture
def sal_lead(claimed_handoff):
    """A lead the rep claimed: stage ``sal``, owned by the rep."""
    return claimed_handoff.lead


def test_the_owning_rep_qualifies_a_lead(api_as, rep, sal_lead):
    response = api_as(rep).post(
        stage_url(sal_lead), {"stage": "sql", "reason": "Budget confirmed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["stage"] == "sql"
    change = StageChange.objects.filter(lead=sal_lead).latest("id")
    assert (change.from_stage, change.to_stage, change.changed_by) == ("sal", "sql", rep)


def test_a_won_deal_records_its_amount(api_as, rep, sal_lead):
    client = api_as(rep)
    client.post(stage_url(sal_lead), {"stage": "sql"}, format="json")

    response = client.post(stage_url(sal_lead), {"stage": "won", "amount": "4200"}, format="json")

    assert response.status_code == 200
    assert StageChange.objects.get(lead=sal_lead, to_stage="won").amount == 4200


def test_an_illegal_stage_change_answers_409(api_as, rep, sal_lead):
    response = api_as(rep).post(
        stage_url(sal_lead), {"stage": "won", "amount": "10"}, format="json"
    )

    assert response.status_code == 409
    assert "detail" in response.json()
    sal_lead.refresh_from_db()
    assert sal_lead.stage == Stage.SAL


def test_a_won_deal_without_an_amount_answers_400(api_as, rep, sal_lead):
    client = api_as(rep)
    client.post(stage_url(sal_lead), {"stage": "sql"}, format="json")

    response = client.post(stage_url(sal_lead), {"stage": "won"}, format="json")

    assert response.status_code == 400
    assert "amount" in response.json()


def test_a_lost_deal_without_a_reason_answers_400(api_as, rep, sal_lead):
    response = api_as(rep).post(stage_url(sal_lead), {"stage": "lost"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "sal"}, "stage"),
        ({"stage": "promoted"}, "stage"),
        ({}, "stage"),
        ({"stage": "won", "amount": "-1"}, "amount"),
        ({"stage": "won", "amount": "a lot"}, "amount"),
    ],
)
def test_it_answers_400_for_a_bad_stage_change(api_as, rep, sal_lead, body, field):
    response = api_as(rep).post(stage_url(sal_lead), body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_marketer_cannot_qualify_a_lead_for_sales(api_as, marketer, sal_lead):
    response = api_as(marketer).post(stage_url(sal_lead), {"stage": "sql"}, format="json")

    assert response.status_code == 403
    sal_lead.refresh_from_db()
    assert sal_lead.stage == Stage.SAL


def test_a_marketer_makes_a_new_lead_an_mql_by_hand(api_as, marketer):
    lead = LeadFactory()

    response = api_as(marketer).post(
        stage_url(lead), {"stage": "mql", "reason": "Met at the booth"}, format="json"
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_a_rep_cannot_move_another_reps_lead(api_as, other_rep, sal_lead):
    response = api_as(other_rep).post(stage_url(sal_lead), {"stage": "sql"}, format="json")

    assert response.status_code == 403
    sal_lead.refresh_from_db()
    assert sal_lead.stage == Stage.SAL


def test_an_outsider_cannot_move_a_lead(api_as, outsider, sal_lead):
    response = api_as(outsider).post(stage_url(sal_lead), {"stage": "sql"}, format="json")

    assert response.status_code == 403


def test_anonymous_callers_cannot_move_a_lead(api, sal_lead):
    assert api.post(stage_url(sal_lead), {"stage": "sql"}, format="json").status_code == 401


def test_moving_an_unknown_lead_is_404(api_as, manager):
    response = api_as(manager).post("/api/v1/leads/999999/stage/", {"stage": "sql"}, format="json")

    assert response.status_code == 404


def test_the_timeline_merges_every_kind_of_event_newest_first(api_as, rep, sal_lead):
    api_as(rep).post("/api/v1/activities/", {"lead": sal_lead.pk, "kind": "call"}, format="json")

    response = api_as(rep).get(f"/api/v1/leads/{sal_lead.pk}/timeline/")

    assert response.status_code == 200
    entries = response.json()
    assert {"stage_change", "handoff", "activity"} <= {entry["kind"] for entry in entries}
    times = [entry["at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert set(entries[0]) == {"at", "kind", "title", "detail", "actor", "data"}


def test_an_outsider_cannot_read_a_timeline(api_as, outsider, sal_lead):
    assert api_as(outsider).get(f"/api/v1/leads/{sal_lead.pk}/timeline/").status_code == 403


def test_the_timeline_of_an_unknown_lead_is_404(api_as, rep):
    assert api_as(rep).get("/api/v1/leads/999999/timeline/").status_code == 404
