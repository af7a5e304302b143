"""API: campaigns/ and campaigns/{id}/costs/."""

from decimal import Decimal

import pytest

from campaigns.models import Campaign, CostEntry
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory

URL = "/api/v1/campaigns/"


def new_campaign(**overrides):
    return {
        "name": "Autumn trade show",
        "channel": "trade_show",
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "budget": "12000.50",
        "utm_campaign": "autumn-show",
        "target_leads": 200,
        "target_mqls": 40,
        **overrides,
    }


def test_it_lists_campaigns_with_their_spend(api_as, rep, campaign):
    CostEntryFactory(campaign=campaign, amount=Decimal("100.00"))
    CostEntryFactory(campaign=campaign, amount=Decimal("50.5"))

    response = api_as(rep).get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == campaign.pk
    assert row["spend"] == "150.50"
    assert row["budget"] == "5000.00"
    assert row["form_key"] == campaign.form_key


def test_it_filters_campaigns_by_status_and_search(api_as, marketer, campaign):
    CampaignFactory(name="Old print run", status=Campaign.Status.COMPLETED)

    response = api_as(marketer).get(URL, {"status": "active", "search": "webinar"})

    assert [row["name"] for row in response.json()["results"]] == ["Spring webinar"]


def test_it_rejects_a_bad_filter_value(api_as, marketer):
    response = api_as(marketer).get(URL, {"starts_after": "not-a-date"})

    assert response.status_code == 400
    assert "starts_after" in response.json()


def test_it_ignores_a_bad_page_size(api_as, marketer, campaign):
    response = api_as(marketer).get(URL, {"page_size": "lots"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_marketing_and_managers_create_campaigns(api_as, persona, role):
    user = persona(role)

    response = api_as(user).post(URL, new_campaign(), format="json")

    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.owner == user
    assert campaign.budget == Decimal("12000.50")
    assert response.json()["spend"] == "0.00"
    assert response.json()["form_key"] == campaign.form_key


def test_it_stores_the_utm_code_lowercase(api_as, marketer):
    response = api_as(marketer).post(URL, new_campaign(utm_campaign="Autumn-Show"), format="json")

    assert response.status_code == 201
    assert Campaign.objects.get().utm_campaign == "autumn-show"


def test_it_ignores_a_form_key_sent_by_the_client(api_as, marketer):
    response = api_as(marketer).post(URL, new_campaign(form_key="chosen"), format="json")

    assert response.status_code == 201
    assert Campaign.objects.get().form_key != "chosen"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": "2026-08-01"}, "ends_on"),
        ({"budget": "-1.00"}, "budget"),
        ({"budget": "1.234"}, "budget"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"starts_on": "someday"}, "starts_on"),
        ({"name": ""}, "name"),
        ({"owner": 999999}, "owner"),
        ({"target_leads": -5}, "target_leads"),
        ({"utm_campaign": "has spaces"}, "utm_campaign"),
    ],
)
def test_it_answers_400_with_field_errors_for_a_bad_campaign(api_as, marketer, overrides, field):
    response = api_as(marketer).post(URL, new_campaign(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Campaign.objects.exists()


def test_it_refuses_a_utm_code_another_campaign_uses(api_as, marketer, campaign):
    response = api_as(marketer).post(
        URL, new_campaign(utm_campaign="Spring-Webinar"), format="json"
    )

    assert response.status_code == 400
    assert "utm_campaign" in response.json()


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_other_roles_cannot_create_campaigns(api_as, persona, role):
    response = api_as(persona(role)).post(URL, new_campaign(), format="json")

    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_anonymous_callers_get_401(api, db):
    assert api.get(URL).status_code == 401


def test_an_outsider_cannot_list_campaigns(api_as, outsider, campaign):
    assert api_as(outsider).get(URL).status_code == 403


def test_it_shows_one_campaign(api_as, rep, campaign):
    response = api_as(rep).get(f"{URL}{campaign.pk}/")

    assert response.status_code == 200
    assert response.json()["utm_campaign"] == "spring-webinar"


def test_an_unknown_campaign_is_404(api_as, rep):
    assert api_as(rep).get(f"{URL}999999/").status_code == 404


def test_a_marketer_edits_a_campaign(api_as, marketer, campaign):
    response = api_as(marketer).patch(
        f"{URL}{campaign.pk}/", {"status": "paused", "budget": "7500"}, format="json"
    )

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    assert campaign.budget == Decimal("7500.00")
    assert response.json()["budget"] == "7500.00"


def test_an_edit_cannot_end_a_campaign_before_it_starts(api_as, marketer, campaign):
    response = api_as(marketer).patch(
        f"{URL}{campaign.pk}/", {"ends_on": "2000-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert "ends_on" in response.json()
    campaign.refresh_from_db()
    assert campaign.ends_on is None


def test_a_rep_cannot_edit_a_campaign(api_as, rep, campaign):
    response = api_as(rep).patch(f"{URL}{campaign.pk}/", {"status": "paused"}, format="json")

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_a_manager_deletes_a_campaign(api_as, manager, campaign):
    response = api_as(manager).delete(f"{URL}{campaign.pk}/")

    assert response.status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_rep_cannot_delete_a_campaign(api_as, rep, campaign):
    assert api_as(rep).delete(f"{URL}{campaign.pk}/").status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_deleting_a_campaign_with_leads_is_a_409_and_keeps_it(api_as, marketer, mql_lead):
    campaign = mql_lead.campaign

    response = api_as(marketer).delete(f"{URL}{campaign.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "“Spring webinar” has 1 lead: deleting it would take them out of every KPI. "
        "Archive it instead."
    }
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_deleting_a_campaign_with_spend_is_a_409_and_its_spend_stays(api_as, manager, campaign):
    CostEntryFactory(campaign=campaign, amount=Decimal("250.00"))
    api = api_as(manager)

    response = api.delete(f"{URL}{campaign.pk}/")

    assert response.status_code == 409
    assert "1 cost entry" in response.json()["detail"]
    assert api.get(f"{URL}{campaign.pk}/").json()["spend"] == "250.00"


def test_deleting_a_campaign_with_touchpoints_is_a_409(api_as, marketer, campaign):
    TouchpointFactory(campaign=campaign)

    response = api_as(marketer).delete(f"{URL}{campaign.pk}/")

    assert response.status_code == 409
    assert "1 touchpoint" in response.json()["detail"]


def test_a_marketer_archives_a_campaign_with_patch(api_as, marketer, campaign):
    CostEntryFactory(campaign=campaign, amount=Decimal("80.00"))

    response = api_as(marketer).patch(f"{URL}{campaign.pk}/", {"status": "archived"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["spend"]) == ("archived", "80.00")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED


def test_archived_campaigns_are_left_out_of_the_list_unless_asked_for(api_as, rep, campaign):
    archived = CampaignFactory(name="Last year", status=Campaign.Status.ARCHIVED)
    api = api_as(rep)

    listed = api.get(URL).json()["results"]
    asked = api.get(URL, {"status": "archived"}).json()["results"]

    assert [row["id"] for row in listed] == [campaign.pk]
    assert [row["id"] for row in asked] == [archived.pk]


def test_an_archived_campaign_still_answers_at_its_address_and_comes_back(api_as, marketer):
    archived = CampaignFactory(status=Campaign.Status.ARCHIVED)
    api = api_as(marketer)

    shown = api.get(f"{URL}{archived.pk}/")
    restored = api.patch(f"{URL}{archived.pk}/", {"status": "completed"})

    assert (shown.status_code, shown.json()["status"]) == (200, "archived")
    assert (restored.status_code, restored.json()["status"]) == (200, "completed")
    assert archived.pk in [row["id"] for row in api.get(URL).json()["results"]]


def test_an_archived_campaign_with_leads_still_cannot_be_deleted(api_as, manager, mql_lead):
    campaign = mql_lead.campaign
    campaign.status = Campaign.Status.ARCHIVED
    campaign.save()

    assert api_as(manager).delete(f"{URL}{campaign.pk}/").status_code == 409


def test_the_schema_documents_the_409_of_a_delete_and_the_archived_status(api_as, marketer):
    schema = api_as(marketer).get("/api/v1/schema/", {"format": "json"}).json()

    delete = schema["paths"]["/api/v1/campaigns/{id}/"]["delete"]
    assert {"204", "409"} <= set(delete["responses"])
    assert "archived" in schema["components"]["schemas"]["CampaignStatusEnum"]["enum"]


def test_it_lists_a_campaigns_cost_entries(api_as, rep, campaign):
    CostEntryFactory(campaign=campaign, amount=Decimal("80"), note="Venue")
    CostEntryFactory(amount=Decimal("999"))

    response = api_as(rep).get(f"{URL}{campaign.pk}/costs/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["amount"], row["note"]) == ("80.00", "Venue")


def test_a_marketer_adds_a_cost_entry_and_the_spend_grows(api_as, marketer, campaign):
    client = api_as(marketer)

    response = client.post(
        f"{URL}{campaign.pk}/costs/",
        {"date": "2026-03-02", "amount": "250.00", "note": "Ads"},
        format="json",
    )

    assert response.status_code == 201
    entry = CostEntry.objects.get(campaign=campaign)
    assert (entry.amount, entry.created_by) == (Decimal("250.00"), marketer)
    assert client.get(f"{URL}{campaign.pk}/").json()["spend"] == "250.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-03-02", "amount": "-5"}, "amount"),
        ({"date": "2026-03-02", "amount": "ten"}, "amount"),
        ({"date": "2026-03-02"}, "amount"),
        ({"date": "yesterday", "amount": "5"}, "date"),
    ],
)
def test_it_answers_400_for_a_bad_cost_entry(api_as, marketer, campaign, body, field):
    response = api_as(marketer).post(f"{URL}{campaign.pk}/costs/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not CostEntry.objects.exists()


def test_a_rep_cannot_add_a_cost_entry(api_as, rep, campaign):
    response = api_as(rep).post(
        f"{URL}{campaign.pk}/costs/", {"date": "2026-03-02", "amount": "5"}, format="json"
    )

    assert response.status_code == 403
    assert not CostEntry.objects.exists()


def test_a_cost_entry_for_an_unknown_campaign_is_404(api_as, marketer):
    response = api_as(marketer).post(
        f"{URL}999999/costs/", {"date": "2026-03-02", "amount": "5"}, format="json"
    )

    assert response.status_code == 404


def test_a_campaign_shows_its_web_form_settings_and_address(api_as, rep, campaign):
    body = api_as(rep).get(f"{URL}{campaign.pk}/").json()

    assert body["form_url"] == f"http://testserver/f/{campaign.form_key}/"
    assert body["form_fields"] == campaign.form_fields
    assert body["form_button_label"] == campaign.form_button_label
    assert body["form_thank_you"] == campaign.form_thank_you


def test_a_marketer_sets_up_the_web_form_through_the_api(api_as, marketer, campaign):
    response = api_as(marketer).patch(
        f"{URL}{campaign.pk}/",
        {
            "form_fields": {"company": "required", "job_title": "optional", "consent": "optional"},
            "form_headline": "Get the report",
            "form_consent_text": "Yes, send me the report and related news.",
            "form_redirect_url": "https://acme.example/thanks",
        },
        format="json",
    )

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.form_fields == {
        "company": "required",
        "job_title": "optional",
        "consent": "optional",
    }
    assert campaign.form_headline == "Get the report"
    assert campaign.form_redirect_url == "https://acme.example/thanks"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"form_fields": {"shoe_size": "required"}}, "form_fields"),
        ({"form_fields": {"company": "maybe"}}, "form_fields"),
        ({"form_fields": ["company"]}, "form_fields"),
        ({"form_redirect_url": "javascript:alert(1)"}, "form_redirect_url"),
        ({"form_fields": {"consent": "optional"}, "form_consent_text": ""}, "form_consent_text"),
    ],
)
def test_a_bad_web_form_setting_is_a_400_on_its_field(api_as, marketer, campaign, changes, field):
    before = campaign.form_fields
    response = api_as(marketer).patch(f"{URL}{campaign.pk}/", changes, format="json")

    assert response.status_code == 400
    assert field in response.json()
    campaign.refresh_from_db()
    assert campaign.form_fields == before


@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_a_date_a_period_cannot_hold_is_refused(api_as, marketer, field):
    body = {
        "name": "Far future",
        "channel": "email",
        "starts_on": "2026-01-01",
        field: "9999-12-31",
    }

    answer = api_as(marketer).post("/api/v1/campaigns/", body, format="json")

    assert answer.status_code == 400
    assert field in answer.json()
