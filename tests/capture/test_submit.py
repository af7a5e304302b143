"""Sending the form: every answer becomes one lead with a form_submitted touchpoint."""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign
from handoffs.queries import lead_timeline
from leads.models import Lead, Touchpoint
from tests.factories import CampaignFactory


def form_url(campaign, **query) -> str:
    url = reverse("capture:form", args=[campaign.form_key])
    return f"{url}?{urlencode(query)}" if query else url


def answers(**overrides):
    data = {"email": "Ana.Alvarez@Acme.example ", "first_name": "Ana", "company": "Acme"}
    data.update(overrides)
    return data


def post_json(client, campaign, data, **headers):
    return client.post(
        form_url(campaign), json.dumps(data), content_type="application/json", **headers
    )


def test_a_visitor_sends_the_form_and_becomes_a_lead_of_the_campaign(client, campaign):
    client.post(form_url(campaign), answers())

    lead = Lead.objects.get()
    assert lead.email == "ana.alvarez@acme.example"
    assert (lead.first_name, lead.company) == ("Ana", "Acme")
    assert lead.campaign == campaign


def test_the_submission_is_a_form_submitted_touchpoint_of_the_campaign(client, campaign):
    client.post(form_url(campaign), answers())

    touchpoint = Touchpoint.objects.get()
    assert touchpoint.kind == "form_submitted"
    assert touchpoint.campaign == campaign


def test_after_sending_the_visitor_is_shown_the_thank_you_page(client, campaign):
    response = client.post(form_url(campaign), answers(), follow=True)

    assert response.redirect_chain == [(reverse("capture:thanks", args=[campaign.form_key]), 303)]
    assert "Thanks! See you at the webinar." in response.content.decode()
    assert "X-Frame-Options" not in response.headers


def test_in_a_frame_the_thank_you_page_stays_framed(client, campaign):
    response = client.post(form_url(campaign, embed=1), answers())

    assert response["Location"] == reverse("capture:thanks", args=[campaign.form_key]) + "?embed=1"


def test_a_json_post_answers_201_with_the_thank_you_message(client, campaign):
    response = post_json(client, campaign, answers())

    assert response.status_code == 201
    assert response.json() == {
        "status": "ok",
        "message": "Thanks! See you at the webinar.",
        "redirect_url": "",
    }
    assert Lead.objects.filter(email="ana.alvarez@acme.example").exists()


def test_an_xhr_form_post_gets_json_back(client, campaign):
    response = client.post(form_url(campaign), answers(), HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    assert response.status_code == 201
    assert response.json()["status"] == "ok"


def test_a_bad_email_shows_the_form_again_with_the_error_inline(client, campaign):
    response = client.post(form_url(campaign), answers(email="not-an-address"))

    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_email_error"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="Ana"' in body
    assert not Lead.objects.exists()


def test_a_bad_email_in_json_answers_400_with_the_field_errors(client, campaign):
    response = post_json(client, campaign, answers(email="not-an-address"))

    assert response.status_code == 400
    assert response.json() == {
        "email": [{"message": "Enter a valid email address.", "code": "invalid"}]
    }
    assert not Lead.objects.exists()


def test_a_body_that_is_not_a_json_object_answers_400(client, campaign):
    response = client.post(form_url(campaign), "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_a_field_the_campaign_requires_must_be_answered(client, campaign):
    response = post_json(client, campaign, answers(first_name=""))

    assert response.status_code == 400
    assert list(response.json()) == ["first_name"]


def test_an_optional_field_may_stay_empty(client, campaign):
    response = post_json(client, campaign, answers(last_name="", company=""))

    assert response.status_code == 201


def test_a_field_the_campaign_does_not_ask_for_is_ignored(client, campaign):
    post_json(client, campaign, answers(job_title="CEO", phone="+1 555 0100"))

    lead = Lead.objects.get()
    assert (lead.job_title, lead.phone) == ("", "")


def test_every_field_a_campaign_may_ask_for_reaches_the_lead(client, db):
    campaign = CampaignFactory(
        form_fields={
            name: "required"
            for name in ("last_name", "job_title", "phone", "country", "company_size")
        }
    )
    data = answers(
        last_name="Alvarez",
        job_title="VP Sales",
        phone="+49 30 1234567",
        country="DE",
        company_size="201",
    )

    post_json(client, campaign, data)

    lead = Lead.objects.get()
    assert (lead.last_name, lead.job_title, lead.phone) == ("Alvarez", "VP Sales", "+49 30 1234567")
    assert (lead.country, lead.company_size) == ("DE", 201)


def test_an_unknown_country_code_is_refused(client, db):
    campaign = CampaignFactory(form_fields={"country": "optional"})

    response = post_json(client, campaign, answers(country="XX"))

    assert response.status_code == 400
    assert list(response.json()) == ["country"]


def test_consent_is_recorded_with_the_words_the_visitor_agreed_to(client, campaign):
    client.post(form_url(campaign), answers(consent="on"))

    lead = Lead.objects.get()
    touchpoint = Touchpoint.objects.get()
    assert lead.consent is True
    assert lead.consent_at is not None
    assert touchpoint.consent_text == campaign.form_consent_text


def test_no_consent_is_recorded_when_the_box_is_left_empty(client, campaign):
    client.post(form_url(campaign), answers())

    assert Lead.objects.get().consent is False
    assert Touchpoint.objects.get().consent_text == ""


def test_a_required_consent_must_be_given(client, campaign):
    campaign.form_fields = {**campaign.form_fields, "consent": "required"}
    campaign.save()

    response = post_json(client, campaign, answers(consent=False))

    assert response.status_code == 400
    assert response.json()["consent"][0]["message"] == "Please tick this box to send the form."


def test_the_message_is_kept_on_the_touchpoint_and_shown_on_the_timeline(client, campaign):
    client.post(form_url(campaign), answers(message="Do you integrate with Pipedrive?"))

    lead = Lead.objects.get()
    assert Touchpoint.objects.get().note == "Do you integrate with Pipedrive?"
    assert "Do you integrate with Pipedrive?" in lead_timeline(lead)[0].detail


def test_the_page_context_is_kept_on_the_lead_and_the_touchpoint(client, campaign):
    context = {
        "page_url": "https://www.example.com/webinar?utm_source=linkedin",
        "referrer": "https://www.linkedin.com/",
        "utm_source": "linkedin",
        "utm_medium": "social",
        "utm_campaign": "spring-webinar",
    }

    post_json(client, campaign, answers(**context))

    lead = Lead.objects.get()
    touchpoint = Touchpoint.objects.get()
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == (
        "linkedin",
        "social",
        "spring-webinar",
    )
    assert touchpoint.url == "https://www.example.com/webinar?utm_source=linkedin"
    assert touchpoint.referrer == "https://www.linkedin.com/"


def test_utm_codes_missing_from_the_answers_come_from_the_page_url(client, campaign):
    page = "https://www.example.com/webinar?utm_source=google&utm_medium=cpc"

    post_json(client, campaign, answers(page_url=page))

    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_medium) == ("google", "cpc")


def test_without_a_page_url_the_referer_header_names_the_page(client, campaign):
    page = f"http://testserver{form_url(campaign, utm_source='newsletter')}"

    client.post(form_url(campaign), answers(), HTTP_REFERER=page)

    assert Touchpoint.objects.get().url == page
    assert Lead.objects.get().utm_source == "newsletter"


def test_page_context_that_is_not_a_web_address_is_dropped(client, campaign):
    response = post_json(
        client, campaign, answers(page_url="javascript:alert(1)", referrer="x" * 600)
    )

    touchpoint = Touchpoint.objects.get()
    assert response.status_code == 201
    assert (touchpoint.url, touchpoint.referrer) == ("", "")


def test_a_second_submission_of_the_same_person_adds_a_touchpoint_to_the_same_lead(
    client, campaign
):
    post_json(client, campaign, answers())
    post_json(client, campaign, answers(email="ana.alvarez@acme.example", company="Acme Ltd"))

    lead = Lead.objects.get()
    assert lead.touchpoints.count() == 2
    assert lead.company == "Acme"


def test_a_redirect_url_sends_the_visitor_there(client, campaign):
    campaign.form_redirect_url = "https://www.example.com/see-you"
    campaign.save()

    response = client.post(form_url(campaign), answers())

    assert response.status_code == 302
    assert response["Location"] == "https://www.example.com/see-you"
    assert Lead.objects.exists()


def test_a_json_post_is_told_the_redirect_url(client, campaign):
    campaign.form_redirect_url = "https://www.example.com/see-you"
    campaign.save()

    response = post_json(client, campaign, answers())

    assert response.json()["redirect_url"] == "https://www.example.com/see-you"


def test_a_filled_in_honeypot_looks_like_success_but_captures_nothing(client, campaign):
    response = client.post(form_url(campaign), answers(website="http://spam.example"))

    assert response.status_code == 303
    assert not Lead.objects.exists()


def test_a_filled_in_honeypot_in_json_looks_like_success_but_captures_nothing(client, campaign):
    response = post_json(client, campaign, answers(website="http://spam.example"))

    assert response.status_code == 201
    assert not Lead.objects.exists()


def test_the_form_needs_no_csrf_token(campaign):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(form_url(campaign), answers())

    assert response.status_code == 303
    assert Lead.objects.exists()


def test_posting_to_an_unknown_form_key_is_not_found(client, db):
    url = reverse("capture:form", args=["no-such-form"])

    response = client.post(url, json.dumps(answers()), content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such form."}
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "status", [Campaign.Status.PLANNED, Campaign.Status.PAUSED, Campaign.Status.COMPLETED]
)
def test_a_closed_form_takes_no_submissions(client, db, status):
    campaign = CampaignFactory(status=status)

    response = post_json(client, campaign, answers())

    assert response.status_code == 410
    assert "detail" in response.json()
    assert not Lead.objects.exists()


def test_a_closed_form_tells_a_browser_so_on_a_page(client, db):
    campaign = CampaignFactory(status=Campaign.Status.COMPLETED)

    response = client.post(form_url(campaign), answers())

    assert response.status_code == 410
    assert "This form is closed." in response.content.decode()
