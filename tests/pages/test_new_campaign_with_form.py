"""A new campaign and its web form in one go: the form asks what can qualify a lead, the
campaign starts active, and the campaign page gives the live form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.services import agreement_in_force
from campaigns.models import Campaign
from leads.models import Lead, Stage
from tests.factories import CampaignFactory

#: What the new campaign page starts its web form with under the default agreement and
#: scoring rules (the country is asked because a fit rule scores it).
SUGGESTED = {
    "first_name": "required",
    "last_name": "required",
    "company": "required",
    "job_title": "required",
    "country": "optional",
    "company_size": "required",
    "need": "required",
    "message": "optional",
}


def new_campaign(**overrides):
    """The new campaign page's post, its web form as the page suggests it."""
    data = {
        "name": "Autumn demo days",
        "channel": "webinar",
        "status": "active",
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": "",
        "budget": "5000.00",
        "utm_campaign": "autumn-demo-days",
        "target_leads": "0",
        "target_mqls": "0",
        "objective": "",
        "web-form_headline": "",
        "web-form_intro": "",
        "web-form_button_label": "Send",
        "web-form_redirect_url": "",
        "web-form_consent_text": "I agree to be contacted about this.",
        "web-form_thank_you": "Thank you! We will be in touch soon.",
        "web-form_allowed_origins": "",
        "web-ask_phone": "hidden",
        "web-ask_consent": "hidden",
        **{f"web-ask_{name}": use for name, use in SUGGESTED.items()},
    }
    data.update(overrides)
    return data


def test_the_new_campaign_page_starts_a_form_that_can_qualify_a_lead(client_as, marketer):
    response = client_as(marketer).get(reverse("campaigns:create"))

    form, web = response.context["form"], response.context["web"]
    assert response.status_code == 200
    assert form["status"].value() == Campaign.Status.ACTIVE
    assert {field.name[len("ask_") :]: field.value() for field in web.ask_fields()} == {
        **SUGGESTED,
        "phone": "hidden",
        "consent": "hidden",
    }


def test_the_new_campaign_page_says_what_makes_an_mql(client_as, marketer):
    page = client_as(marketer).get(reverse("campaigns:create")).content.decode()

    assert "A lead becomes an MQL at a score of 50." in page
    assert "a sent form scores 10, and answering “A demo” to “What do you need?” adds 40" in page
    assert "job title, country and company size add points for who they are" in page


def test_the_status_field_says_a_planned_campaigns_form_is_closed(client_as, marketer):
    page = client_as(marketer).get(reverse("campaigns:create")).content.decode()

    assert "a planned campaign&#x27;s form is closed until you make it active" in page


def test_the_suggested_form_asks_what_the_agreement_requires(client_as, marketer):
    agreement = agreement_in_force()
    agreement.mql_required_fields = ["phone"]
    agreement.mql_requires_consent = True
    agreement.save()

    response = client_as(marketer).get(reverse("campaigns:create"))

    asked = {field.name: field.value() for field in response.context["web"].ask_fields()}
    assert (asked["ask_phone"], asked["ask_consent"]) == ("required", "required")


def test_a_marketer_creates_a_campaign_with_its_form_in_one_go(client_as, marketer):
    response = client_as(marketer).post(reverse("campaigns:create"), new_campaign())

    campaign = Campaign.objects.get(utm_campaign="autumn-demo-days")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk]) + "#web-form"
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.form_fields == SUGGESTED
    assert campaign.owner == marketer


def test_after_creating_the_campaign_page_gives_the_live_form(client_as, marketer):
    browser = client_as(marketer)

    response = browser.post(reverse("campaigns:create"), new_campaign(), follow=True)

    campaign = Campaign.objects.get(utm_campaign="autumn-demo-days")
    page = response.content.decode()
    assert "Its web form takes leads now" in page
    assert "Taking submissions" in page
    assert f"/f/{campaign.form_key}/" in page
    assert 'id="embed-script"' in page
    assert "Asks for email, first name, last name, company, job title, country" in page
    assert browser.get(reverse("capture:form", args=[campaign.form_key])).status_code == 200


def test_a_planned_campaign_is_created_with_its_form_closed_and_says_so(client_as, marketer):
    browser = client_as(marketer)

    response = browser.post(
        reverse("campaigns:create"), new_campaign(status="planned"), follow=True
    )

    page = response.content.decode()
    assert "Its web form opens when you make the campaign active." in page
    assert "The form is closed while the campaign is planned" in page
    assert "Make active and open the form" in page


def test_errors_in_the_web_form_part_keep_the_campaign_from_being_created(client_as, marketer):
    data = new_campaign(**{"web-ask_consent": "required", "web-form_consent_text": ""})

    response = client_as(marketer).post(reverse("campaigns:create"), data)

    assert response.status_code == 400
    assert not Campaign.objects.exists()
    assert "A form with a consent checkbox needs its wording." in response.content.decode()


def test_a_post_without_the_web_form_gets_the_default_form(client_as, marketer):
    data = {key: value for key, value in new_campaign().items() if not key.startswith("web-")}

    response = client_as(marketer).post(reverse("campaigns:create"), data)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.form_fields == {"first_name": "optional", "last_name": "optional"}


def test_a_rep_cannot_open_the_new_campaign_page(client_as, rep):
    assert client_as(rep).get(reverse("campaigns:create")).status_code == 403


@pytest.mark.parametrize("status", ["planned", "paused"])
def test_a_marketer_opens_the_form_of_a_planned_or_paused_campaign(client_as, marketer, status):
    campaign = CampaignFactory(status=status)

    response = client_as(marketer).post(reverse("campaigns:activate", args=[campaign.pk]))

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.status == Campaign.Status.ACTIVE


def test_a_completed_campaign_is_not_reopened_in_one_click(client_as, marketer):
    campaign = CampaignFactory(status="completed", ends_on=timezone.localdate() - timedelta(days=1))

    response = client_as(marketer).post(
        reverse("campaigns:activate", args=[campaign.pk]), follow=True
    )

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert "is completed: edit it to choose another status." in response.content.decode()
    assert "Make active and open the form" not in response.content.decode()


def test_a_rep_cannot_open_a_campaigns_form(client_as, rep):
    campaign = CampaignFactory(status="planned")

    response = client_as(rep).post(reverse("campaigns:activate", args=[campaign.pk]))

    campaign.refresh_from_db()
    assert response.status_code == 403
    assert campaign.status == Campaign.Status.PLANNED


def test_opening_a_campaign_takes_a_post(client_as, marketer):
    campaign = CampaignFactory(status="planned")

    response = client_as(marketer).get(reverse("campaigns:activate", args=[campaign.pk]))

    assert response.status_code == 405


def test_a_lead_from_the_suggested_form_who_asks_for_a_demo_is_an_mql(
    client, client_as, marketer, django_capture_on_commit_callbacks
):
    client_as(marketer).post(reverse("campaigns:create"), new_campaign())
    campaign = Campaign.objects.get()
    answers = {
        "email": "lena.fischer@tailspin.example",
        "first_name": "Lena",
        "last_name": "Fischer",
        "company": "Tailspin Toys",
        "job_title": "Operations analyst",
        "company_size": "11",
        "need": "demo",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("capture:form", args=[campaign.form_key]), answers)

    lead = Lead.objects.get()
    assert response.status_code == 303
    assert (lead.score, lead.stage) == (50, Stage.MQL)


def test_a_campaign_whose_settings_break_a_rule_is_not_opened_but_told_why(client_as, marketer):
    campaign = CampaignFactory(
        status="planned", form_fields={"consent": "required"}, form_consent_text=""
    )

    response = client_as(marketer).post(
        reverse("campaigns:activate", args=[campaign.pk]), follow=True
    )

    campaign.refresh_from_db()
    assert response.status_code == 200
    assert campaign.status == Campaign.Status.PLANNED
    assert "A form with a consent checkbox needs its wording." in response.content.decode()
