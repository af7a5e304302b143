"""API: leads/ and leads/{id}/ (list, capture by upsert, detail, profile edits)."""

import pytest

from leads.models import Lead, Stage, Touchpoint
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory

URL = "/api/v1/leads/"


def test_it_lists_leads_with_the_contract_fields(api_as, rep, mql_lead):
    response = api_as(rep).get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert set(row) == {
        "id", "email", "first_name", "last_name", "company", "job_title", "phone", "country",
        "company_size", "industry", "consent", "campaign", "utm_source", "utm_medium",
        "utm_campaign", "stage", "score", "owner", "created_at", "updated_at",
    }  # fmt: skip
    assert (row["email"], row["stage"], row["campaign"]) == (
        "ana@acme.com",
        "mql",
        mql_lead.campaign_id,
    )


def test_it_filters_leads_by_stage_score_and_search(api_as, marketer, mql_lead):
    LeadFactory(email="bo@beta.io", stage=Stage.MQL, score=10)
    LeadFactory(email="cy@acme.com", stage=Stage.NEW, score=90)

    response = api_as(marketer).get(URL, {"stage": "mql", "score_min": 50, "search": "acme"})

    assert [row["email"] for row in response.json()["results"]] == ["ana@acme.com"]


def test_it_orders_leads_by_score(api_as, marketer):
    LeadFactory(email="low@x.io", score=5)
    LeadFactory(email="high@x.io", score=95)

    response = api_as(marketer).get(URL, {"ordering": "-score"})

    assert [row["email"] for row in response.json()["results"]] == ["high@x.io", "low@x.io"]


@pytest.mark.parametrize(
    "params", [{"score_min": "many"}, {"stage": "hot"}, {"created_after": "monday"}]
)
def test_it_answers_400_for_a_bad_filter(api_as, marketer, params):
    response = api_as(marketer).get(URL, params)

    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_the_lead_list_takes_a_fixed_number_of_queries(
    api_as, marketer, campaign, django_assert_max_num_queries
):
    for _ in range(30):
        lead = LeadFactory(campaign=campaign, owner=marketer)
        TouchpointFactory(lead=lead, campaign=campaign)
    client = api_as(marketer)

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == 30


def test_a_new_email_creates_a_lead_with_an_api_touchpoint(api_as, marketer, campaign):
    response = api_as(marketer).post(
        URL,
        {
            "email": " Dana@Delta.COM ",
            "first_name": "Dana",
            "company": "Delta",
            "country": "de",
            "company_size": 120,
            "campaign": campaign.pk,
            "stage": "won",
            "score": 1000,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    lead = Lead.objects.get(email="dana@delta.com")
    assert (lead.country, lead.campaign, lead.stage, lead.score) == ("DE", campaign, "new", 0)
    assert list(lead.touchpoints.values_list("kind", flat=True)) == ["api"]
    assert response.json()["id"] == lead.pk


def test_a_known_email_updates_the_lead_and_answers_200(api_as, marketer, mql_lead):
    response = api_as(marketer).post(
        URL, {"email": "ANA@acme.com", "phone": "+1 555 0100"}, format="json"
    )

    assert response.status_code == 200
    assert Lead.objects.count() == 1
    mql_lead.refresh_from_db()
    assert mql_lead.phone == "+1 555 0100"
    assert response.json()["id"] == mql_lead.pk


def test_a_capture_records_the_touchpoint_kind_given(api_as, marketer):
    api_as(marketer).post(
        URL, {"email": "eve@echo.io", "touchpoint_kind": "webinar_attended"}, format="json"
    )

    assert Touchpoint.objects.get().kind == "webinar_attended"


def test_a_capture_attaches_the_campaign_of_its_utm_code(api_as, marketer, campaign):
    api_as(marketer).post(
        URL, {"email": "eve@echo.io", "utm_campaign": "Spring-Webinar"}, format="json"
    )

    assert Lead.objects.get().campaign == campaign


def test_a_captured_lead_is_scored_and_handed_off_after_commit(
    api_as, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(marketer).post(
            URL,
            {
                "email": "vp@bigco.com",
                "job_title": "VP Marketing",
                "company_size": 300,
                "country": "US",
                "touchpoint_kind": "demo_requested",
            },
            format="json",
        )

    assert response.status_code == 201
    lead = Lead.objects.get(email="vp@bigco.com")
    assert lead.stage == Stage.MQL
    assert lead.score >= 50
    assert lead.handoffs.get().status == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({}, "email"),
        ({"email": "a@b.io", "campaign": 999999}, "campaign"),
        ({"email": "a@b.io", "company_size": -3}, "company_size"),
        ({"email": "a@b.io", "company_size": 10**20}, "company_size"),
        ({"email": "a@b.io", "country": "Germany"}, "country"),
        ({"email": "a@b.io", "touchpoint_kind": "telepathy"}, "touchpoint_kind"),
        ({"email": "a@b.io", "consent": "perhaps"}, "consent"),
        ({"email": f"{'x' * 250}@b.io"}, "email"),
    ],
)
def test_it_answers_400_with_field_errors_for_a_bad_capture(api_as, marketer, body, field):
    response = api_as(marketer).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Lead.objects.exists()


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_other_roles_cannot_capture_leads(api_as, persona, role):
    response = api_as(persona(role)).post(URL, {"email": "a@b.io"}, format="json")

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_anonymous_callers_cannot_capture_leads(api, db):
    assert api.post(URL, {"email": "a@b.io"}, format="json").status_code == 401
    assert not Lead.objects.exists()


def test_an_outsider_cannot_read_leads(api_as, outsider, mql_lead):
    assert api_as(outsider).get(URL).status_code == 403
    assert api_as(outsider).get(f"{URL}{mql_lead.pk}/").status_code == 403


def test_the_detail_explains_the_score(api_as, rep, mql_lead):
    mql_lead.score_breakdown = [
        {"rule": "Senior title", "kind": "fit", "points": 20},
        {"rule": "demo requested", "kind": "engagement", "points": 40, "count": 1},
    ]
    mql_lead.fit_score, mql_lead.engagement_score = 20, 40
    mql_lead.save()

    response = api_as(rep).get(f"{URL}{mql_lead.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["fit_score"], body["engagement_score"]) == (20, 40)
    assert body["score_breakdown"] == [
        {"rule": "Senior title", "kind": "fit", "points": 20},
        {"rule": "demo requested", "kind": "engagement", "points": 40, "count": 1},
    ]


def test_an_unknown_lead_is_404(api_as, rep):
    assert api_as(rep).get(f"{URL}999999/").status_code == 404


def test_a_marketer_edits_a_leads_profile(api_as, marketer, mql_lead):
    response = api_as(marketer).patch(
        f"{URL}{mql_lead.pk}/", {"job_title": "CMO", "stage": "won", "score": 1}, format="json"
    )

    assert response.status_code == 200
    mql_lead.refresh_from_db()
    assert (mql_lead.job_title, mql_lead.stage, mql_lead.score) == ("CMO", "mql", 60)


def test_an_edit_cannot_change_the_email(api_as, marketer, mql_lead):
    api_as(marketer).patch(f"{URL}{mql_lead.pk}/", {"email": "new@acme.com"}, format="json")

    mql_lead.refresh_from_db()
    assert mql_lead.email == "ana@acme.com"


def test_an_edit_with_bad_values_answers_400(api_as, marketer, mql_lead):
    response = api_as(marketer).patch(
        f"{URL}{mql_lead.pk}/", {"company_size": "lots"}, format="json"
    )

    assert response.status_code == 400
    assert "company_size" in response.json()


def test_a_rep_cannot_edit_a_lead(api_as, rep, mql_lead):
    response = api_as(rep).patch(f"{URL}{mql_lead.pk}/", {"job_title": "CMO"}, format="json")

    assert response.status_code == 403
    mql_lead.refresh_from_db()
    assert mql_lead.job_title == "Marketing Manager"


def test_leads_from_another_campaign_are_filtered_out(api_as, marketer, mql_lead):
    other = CampaignFactory()
    LeadFactory(campaign=other)

    response = api_as(marketer).get(URL, {"campaign": mql_lead.campaign_id})

    assert [row["id"] for row in response.json()["results"]] == [mql_lead.pk]
