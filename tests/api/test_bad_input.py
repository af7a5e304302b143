"""API: bad input answers 400 (or 404 for a missing page or row), never a 500."""

import pytest

HUGE = "9" * 30
CAMPAIGN = {"name": "x", "channel": "email", "starts_on": "2026-01-01", "utm_campaign": "x"}


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/leads/", {"owner": HUGE}, "owner"),
        ("/api/v1/leads/", {"campaign": HUGE}, "campaign"),
        ("/api/v1/leads/", {"score_min": "1e400"}, "score_min"),
        ("/api/v1/leads/", {"search": "a\x00b"}, "search"),
        ("/api/v1/handoffs/", {"assigned_to": HUGE}, "assigned_to"),
        ("/api/v1/handoffs/", {"campaign": HUGE}, "campaign"),
        ("/api/v1/touchpoints/", {"lead": HUGE}, "lead"),
        ("/api/v1/activities/", {"rep": HUGE}, "rep"),
        ("/api/v1/campaigns/", {"owner": HUGE}, "owner"),
        ("/api/v1/kpis/summary/", {"campaign": HUGE}, "campaign"),
    ],
)
def test_a_bad_query_parameter_answers_400(api_as, manager, url, params, field):
    response = api_as(manager).get(url, params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/leads/", [{"email": "a@b.io"}], "non_field_errors"),
        ("/api/v1/leads/", {"email": "a@b.io", "campaign": HUGE}, "campaign"),
        ("/api/v1/leads/", {"email": "a@b.io", "first_name": "x\x00y"}, "first_name"),
        ("/api/v1/leads/", {"email": "a@b.io", "first_name": "x" * 1000}, "first_name"),
        ("/api/v1/touchpoints/", {"lead": HUGE, "kind": "ad_click"}, "lead"),
        ("/api/v1/touchpoints/", {"email": 5, "kind": "ad_click"}, "email"),
        ("/api/v1/campaigns/", {**CAMPAIGN, "budget": "NaN"}, "budget"),
        ("/api/v1/campaigns/", {**CAMPAIGN, "budget": "1e20"}, "budget"),
        ("/api/v1/campaigns/", {**CAMPAIGN, "target_leads": HUGE}, "target_leads"),
        ("/api/v1/activities/", {"lead": HUGE, "kind": "call"}, "lead"),
    ],
)
def test_a_bad_body_answers_400_with_flat_field_errors(api_as, manager, url, body, field):
    response = api_as(manager).post(url, body, format="json")

    assert response.status_code == 400
    messages = response.json()[field]
    assert messages
    assert all(isinstance(message, str) for message in messages)


def test_malformed_json_answers_400(api_as, manager):
    response = api_as(manager).post("/api/v1/leads/", "{not json", content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/leads/abc/",
        f"/api/v1/leads/{HUGE}/",
        "/api/v1/leads/?page=abc",
        f"/api/v1/leads/?page={HUGE}",
    ],
)
def test_a_missing_row_or_page_answers_404(api_as, manager, url):
    assert api_as(manager).get(url).status_code == 404


def test_a_page_size_past_any_limit_is_not_an_error(api_as, manager):
    response = api_as(manager).get("/api/v1/leads/", {"page_size": HUGE})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/leads/", "/api/v1/routing/rules/", "/api/v1/routing/dry-run/"],
)
def test_deeply_nested_json_is_a_400_not_a_server_error(api_as, manager, path):
    body = "[" * 100_000 + "]" * 100_000

    response = api_as(manager).post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_deeply_nested_json_on_the_public_form_is_refused_not_a_server_error(client, db):
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(status="active")
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(f"/f/{campaign.form_key}/", body, content_type="application/json")

    assert response.status_code == 400
