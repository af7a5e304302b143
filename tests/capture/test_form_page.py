"""The form page: what it shows, to whom, and what it knows about where it is read."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import CampaignFactory


def form_url(campaign, **query) -> str:
    url = reverse("capture:form", args=[campaign.form_key])
    return f"{url}?{urlencode(query)}" if query else url


def test_the_form_shows_the_fields_the_campaign_asks_for(client, campaign):
    response = client.get(form_url(campaign))

    body = response.content.decode()
    assert response.status_code == 200
    for label in ("Email", "First name", "Last name", "Company", "Message"):
        assert f">{label}" in body
    assert "Job title" not in body
    assert "Phone" not in body


def test_the_form_labels_every_field_and_marks_the_required_ones(client, campaign):
    body = client.get(form_url(campaign)).content.decode()

    assert '<label for="id_email">Email<span class="required-mark"' in body
    assert '<label for="id_first_name">First name<span class="required-mark"' in body
    assert '<label for="id_last_name">Last name</label>' in body


def test_the_consent_checkbox_carries_the_campaigns_consent_text(client, campaign):
    body = client.get(form_url(campaign)).content.decode()

    assert 'type="checkbox" name="consent"' in body
    assert "Yes, Brightwave may email me about the webinar." in body


def test_the_form_uses_the_campaigns_headline_intro_and_button(client, campaign):
    campaign.form_headline = "Save your seat"
    campaign.form_intro = "Forty minutes, live, with questions."
    campaign.form_button_label = "Register"
    campaign.save()

    body = client.get(form_url(campaign)).content.decode()

    assert "Save your seat</h1>" in body
    assert "Forty minutes, live, with questions." in body
    assert ">Register</button>" in body


def test_the_form_page_is_standalone_without_the_app_navigation(client, campaign):
    body = client.get(form_url(campaign)).content.decode()

    assert "css/capture.css" in body
    assert 'class="sidebar' not in body
    assert "csrfmiddlewaretoken" not in body


def test_the_honeypot_is_hidden_from_people_and_keyboards(client, campaign):
    body = client.get(form_url(campaign)).content.decode()

    assert '<div class="capture__trap" aria-hidden="true">' in body
    assert 'name="website" tabindex="-1" autocomplete="off"' in body


def test_the_form_page_may_be_framed_by_any_site(client, campaign):
    response = client.get(form_url(campaign))

    assert "X-Frame-Options" not in response.headers


def test_app_pages_still_refuse_to_be_framed(client):
    response = client.get(reverse("login"))

    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_unknown_form_key_is_not_found(client, db):
    response = client.get(reverse("capture:form", args=["no-such-form"]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (Campaign.Status.PLANNED, "not open yet"),
        (Campaign.Status.PAUSED, "paused"),
        (Campaign.Status.COMPLETED, "closed"),
    ],
)
def test_the_form_of_a_campaign_that_is_not_active_is_gone(client, db, status, text):
    campaign = CampaignFactory(status=status)

    response = client.get(form_url(campaign))

    assert response.status_code == 410
    assert text in response.content.decode()
    assert 'name="email"' not in response.content.decode()


def test_a_marketer_previews_the_form_of_a_paused_campaign(client, marketer):
    campaign = CampaignFactory(status=Campaign.Status.PAUSED)
    client.force_login(marketer)

    response = client.get(form_url(campaign))

    assert response.status_code == 200
    assert "Preview for your team" in response.content.decode()


def test_a_rep_does_not_get_the_preview(client, rep):
    campaign = CampaignFactory(status=Campaign.Status.PAUSED)
    client.force_login(rep)

    response = client.get(form_url(campaign))

    assert response.status_code == 410


def test_the_page_keeps_the_utm_codes_of_its_address(client, campaign):
    url = form_url(campaign, utm_source="newsletter", utm_medium="email", utm_campaign="spring")

    form = client.get(url, HTTP_REFERER="https://mail.example.com/inbox").context["form"]

    assert form["utm_source"].value() == "newsletter"
    assert form["utm_medium"].value() == "email"
    assert form["utm_campaign"].value() == "spring"
    assert form["page_url"].value() == f"http://testserver{url}"
    assert form["referrer"].value() == "https://mail.example.com/inbox"


def test_in_a_frame_the_page_is_the_host_page_named_by_the_referer(client, campaign):
    host = "https://www.example.com/webinar?utm_source=linkedin&utm_medium=social"

    form = client.get(form_url(campaign, embed=1), HTTP_REFERER=host).context["form"]

    assert form["page_url"].value() == host
    assert form["utm_source"].value() == "linkedin"
    assert form["utm_medium"].value() == "social"
    assert form["referrer"].value() == ""


def test_in_a_frame_the_form_posts_back_into_the_frame(client, campaign):
    body = client.get(form_url(campaign, embed=1)).content.decode()

    assert f'action="{form_url(campaign)}?embed=1"' in body
    assert "capture-page--embedded" in body
    assert 'target="_top"' not in body


def test_in_a_frame_a_redirect_takes_the_whole_window(client, campaign):
    campaign.form_redirect_url = "https://www.example.com/see-you"
    campaign.save()

    body = client.get(form_url(campaign, embed=1)).content.decode()

    assert 'target="_top"' in body
