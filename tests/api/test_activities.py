"""API: activities/."""

import pytest

from handoffs.models import Activity

URL = "/api/v1/activities/"


@pytest.fixture
def sal_lead(claimed_handoff):
    return claimed_handoff.lead


def test_the_first_activity_stops_the_first_contact_clock(api_as, rep, claimed_handoff):
    lead = claimed_handoff.lead

    response = api_as(rep).post(
        URL,
        {"lead": lead.pk, "kind": "call", "outcome": "connected", "note": "Wants a demo"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.rep, activity.kind, activity.handoff) == (rep, "call", claimed_handoff)
    claimed_handoff.refresh_from_db()
    assert claimed_handoff.first_contact_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "carrier_pigeon"}, "kind"),
        ({"kind": "call", "outcome": "meh"}, "outcome"),
        ({"kind": "call", "occurred_at": "yesterday"}, "occurred_at"),
        ({}, "kind"),
    ],
)
def test_it_answers_400_with_field_errors_for_a_bad_activity(api_as, rep, sal_lead, body, field):
    response = api_as(rep).post(URL, {"lead": sal_lead.pk, **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Activity.objects.exists()


def test_an_activity_for_an_unknown_lead_answers_400(api_as, rep):
    response = api_as(rep).post(URL, {"lead": 999999, "kind": "call"}, format="json")

    assert response.status_code == 400
    assert "lead" in response.json()


@pytest.mark.parametrize("role", ["marketer", "outsider"])
def test_other_roles_cannot_log_activities(api_as, persona, role, sal_lead):
    response = api_as(persona(role)).post(URL, {"lead": sal_lead.pk, "kind": "call"}, format="json")

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_a_rep_cannot_log_an_activity_on_another_reps_lead(api_as, other_rep, sal_lead):
    response = api_as(other_rep).post(URL, {"lead": sal_lead.pk, "kind": "call"}, format="json")

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_anonymous_callers_cannot_log_activities(api, sal_lead):
    assert api.post(URL, {"lead": sal_lead.pk, "kind": "call"}, format="json").status_code == 401


def test_a_marketer_reads_what_sales_did_with_a_lead(api_as, rep, marketer, sal_lead):
    api_as(rep).post(URL, {"lead": sal_lead.pk, "kind": "demo"}, format="json")

    response = api_as(marketer).get(URL, {"lead": sal_lead.pk})

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["kind"], row["rep"], row["lead"]) == ("demo", rep.pk, sal_lead.pk)


def test_an_outsider_cannot_list_activities(api_as, outsider):
    assert api_as(outsider).get(URL).status_code == 403
