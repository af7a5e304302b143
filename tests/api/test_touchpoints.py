"""API: touchpoints/."""

import pytest

from leads.models import Touchpoint
from tests.factories import LeadFactory, TouchpointFactory

URL = "/api/v1/touchpoints/"


def test_it_records_a_touchpoint_of_a_lead_by_id(api_as, marketer, mql_lead, campaign):
    response = api_as(marketer).post(
        URL,
        {
            "lead": mql_lead.pk,
            "campaign": campaign.pk,
            "kind": "pricing_page_view",
            "url": "https://example.com/pricing",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get(pk=response.json()["id"])
    assert (touchpoint.lead, touchpoint.campaign, touchpoint.kind) == (
        mql_lead,
        campaign,
        "pricing_page_view",
    )


def test_it_finds_the_lead_by_its_email_and_the_campaign_by_its_code(
    api_as, manager, mql_lead, campaign
):
    response = api_as(manager).post(
        URL,
        {
            "email": " ANA@acme.com",
            "utm_campaign": "Spring-Webinar",
            "kind": "webinar_attended",
            "occurred_at": "2026-03-01T10:00:00+01:00",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.lead, touchpoint.campaign) == (mql_lead, campaign)
    assert touchpoint.occurred_at.isoformat() == "2026-03-01T09:00:00+00:00"


def test_a_touchpoint_makes_the_score_stale(api_as, marketer, mql_lead):
    api_as(marketer).post(URL, {"lead": mql_lead.pk, "kind": "ad_click"}, format="json")

    mql_lead.refresh_from_db()
    assert mql_lead.scored_at is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nobody@nowhere.io", "kind": "ad_click"}, "email"),
        ({"email": "not an email", "kind": "ad_click"}, "email"),
        ({"kind": "ad_click"}, "lead"),
        ({"lead": 999999, "kind": "ad_click"}, "lead"),
        ({"email": "ana@acme.com", "kind": "telepathy"}, "kind"),
        ({"email": "ana@acme.com", "kind": "ad_click", "campaign": 999999}, "campaign"),
        ({"email": "ana@acme.com", "kind": "ad_click", "occurred_at": "soon"}, "occurred_at"),
        ({"email": "ana@acme.com", "kind": "ad_click", "url": "not a url"}, "url"),
    ],
)
def test_it_answers_400_with_field_errors_for_a_bad_touchpoint(
    api_as, marketer, mql_lead, body, field
):
    response = api_as(marketer).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Touchpoint.objects.exists()


def test_a_lead_id_and_someone_elses_email_answer_400(api_as, marketer, mql_lead):
    other = LeadFactory(email="bo@beta.io")

    response = api_as(marketer).post(
        URL, {"lead": mql_lead.pk, "email": other.email, "kind": "ad_click"}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_other_roles_cannot_record_touchpoints(api_as, persona, role, mql_lead):
    response = api_as(persona(role)).post(
        URL, {"lead": mql_lead.pk, "kind": "ad_click"}, format="json"
    )

    assert response.status_code == 403
    assert not Touchpoint.objects.exists()


def test_anonymous_callers_cannot_record_touchpoints(api, mql_lead):
    response = api.post(URL, {"lead": mql_lead.pk, "kind": "ad_click"}, format="json")

    assert response.status_code == 401


def test_it_lists_one_leads_touchpoints_newest_first(api_as, rep, mql_lead):
    older = TouchpointFactory(lead=mql_lead, occurred_at="2026-01-01T00:00:00Z")
    newer = TouchpointFactory(lead=mql_lead, occurred_at="2026-02-01T00:00:00Z")
    TouchpointFactory()

    response = api_as(rep).get(URL, {"lead": mql_lead.pk})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [newer.pk, older.pk]


def test_an_outsider_cannot_list_touchpoints(api_as, outsider):
    assert api_as(outsider).get(URL).status_code == 403
