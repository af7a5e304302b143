"""API: handoffs/, handoffs/{id}/claim/ and handoffs/{id}/reject/."""

import pytest

from handoffs.models import Handoff
from handoffs.services import open_handoff
from leads.models import Stage
from tests.factories import LeadFactory

URL = "/api/v1/handoffs/"


def claim_url(handoff: Handoff) -> str:
    return f"{URL}{handoff.pk}/claim/"


def reject_url(handoff: Handoff) -> str:
    return f"{URL}{handoff.pk}/reject/"


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_lists_handoffs(api_as, persona, role, handoff):
    response = api_as(persona(role)).get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {
        "id", "lead", "brief", "status", "routed_to", "claimed_by", "created_at",
        "claim_due_at", "claimed_at", "first_contact_due_at", "first_contact_at",
        "rejection_reason", "rejection_note", "routing_reason", "routing_rule", "sla_segment",
        "routed_at", "notified_at", "requeued_at", "withdrawn_at", "speed_to_lead",
    } == set(row)  # fmt: skip
    assert (row["lead"], row["status"]) == (handoff.lead_id, "open")
    assert row["brief"]["who"]["email"] == "ana@acme.com"


def test_it_filters_handoffs_by_status(api_as, rep, claimed_handoff):
    open_handoff(LeadFactory(stage=Stage.MQL))

    response = api_as(rep).get(URL, {"status": "claimed"})

    assert [row["id"] for row in response.json()["results"]] == [claimed_handoff.pk]


def test_it_answers_400_for_a_bad_status_filter(api_as, rep):
    response = api_as(rep).get(URL, {"status": "lost-in-the-mail"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_the_handoff_list_takes_a_fixed_number_of_queries(
    api_as, rep, campaign, django_assert_max_num_queries
):
    for _ in range(30):
        open_handoff(LeadFactory(campaign=campaign, stage=Stage.MQL))
    client = api_as(rep)

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == 30


def test_an_outsider_cannot_list_handoffs(api_as, outsider, handoff):
    assert api_as(outsider).get(URL).status_code == 403


def test_it_shows_one_handoff(api_as, marketer, handoff):
    response = api_as(marketer).get(f"{URL}{handoff.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == handoff.pk


def test_an_unknown_handoff_is_404(api_as, rep):
    assert api_as(rep).get(f"{URL}999999/").status_code == 404


def test_a_rep_claims_a_handoff(api_as, rep, handoff):
    response = api_as(rep).post(claim_url(handoff))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["claimed_by"]) == ("claimed", rep.pk)
    handoff.lead.refresh_from_db()
    assert (handoff.lead.stage, handoff.lead.owner) == (Stage.SAL, rep)


def test_it_rejects_a_second_claim_with_409(api_as, rep, other_rep, handoff):
    api_as(rep).post(claim_url(handoff))

    response = api_as(other_rep).post(claim_url(handoff))

    assert response.status_code == 409
    assert "detail" in response.json()
    handoff.refresh_from_db()
    assert handoff.claimed_by == rep


@pytest.mark.parametrize("role", ["marketer", "outsider"])
def test_other_roles_cannot_claim(api_as, persona, role, handoff):
    response = api_as(persona(role)).post(claim_url(handoff))

    assert response.status_code == 403
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.OPEN


def test_anonymous_callers_cannot_claim(api, handoff):
    assert api.post(claim_url(handoff)).status_code == 401


def test_claiming_an_unknown_handoff_is_404(api_as, rep):
    assert api_as(rep).post(f"{URL}999999/claim/").status_code == 404


def test_a_rep_sends_a_lead_back_with_a_reason(api_as, rep, handoff):
    response = api_as(rep).post(
        reject_url(handoff), {"reason": "no_budget", "note": "Freeze until Q3"}, format="json"
    )

    assert response.status_code == 200
    handoff.refresh_from_db()
    assert (handoff.status, handoff.rejection_reason, handoff.rejection_note) == (
        "rejected",
        "no_budget",
        "Freeze until Q3",
    )
    handoff.lead.refresh_from_db()
    assert handoff.lead.stage == Stage.RECYCLED


@pytest.mark.parametrize("body", [{}, {"reason": "too_busy"}])
def test_a_rejection_needs_a_known_reason(api_as, rep, handoff, body):
    response = api_as(rep).post(reject_url(handoff), body, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.OPEN


def test_a_rep_cannot_reject_a_lead_another_rep_claimed(api_as, other_rep, claimed_handoff):
    response = api_as(other_rep).post(
        reject_url(claimed_handoff), {"reason": "not_a_fit"}, format="json"
    )

    assert response.status_code == 403
    claimed_handoff.refresh_from_db()
    assert claimed_handoff.status == Handoff.Status.CLAIMED


def test_rejecting_a_rejected_handoff_answers_409(api_as, rep, handoff):
    client = api_as(rep)
    client.post(reject_url(handoff), {"reason": "no_need"}, format="json")

    response = client.post(reject_url(handoff), {"reason": "no_need"}, format="json")

    assert response.status_code == 409


@pytest.mark.parametrize("role", ["marketer", "outsider"])
def test_other_roles_cannot_reject(api_as, persona, role, handoff):
    response = api_as(persona(role)).post(
        reject_url(handoff), {"reason": "not_a_fit"}, format="json"
    )

    assert response.status_code == 403
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.OPEN
