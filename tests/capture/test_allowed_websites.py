"""A campaign may list the websites whose pages show and send its form; others are refused."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alignment.security import parse
from campaigns.forms import WebFormSettingsForm
from campaigns.models import normalise_origin
from leads.models import Lead

ACME = "https://www.acme.example"


@pytest.fixture
def listed(campaign):
    campaign.form_allowed_origins = [ACME, "http://localhost:8080"]
    campaign.save()
    return campaign


def url(campaign) -> str:
    return reverse("capture:form", args=[campaign.form_key])


def send(client, campaign, email, origin=None):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(
        url(campaign),
        json.dumps({"email": email, "first_name": "Ana"}),
        content_type="application/json",
        **headers,
    )


def test_without_a_list_any_website_may_send_the_form(client, campaign):
    response = send(client, campaign, "ana@example.com", origin="https://anywhere.example")

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_listed_website_sends_the_form_and_may_read_the_answer(client, listed):
    response = send(client, listed, "ana@example.com", origin=ACME)

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ACME
    assert "Origin" in response["Vary"]
    assert Lead.objects.filter(email="ana@example.com").exists()


def test_another_website_is_refused_and_nothing_is_saved(client, listed):
    response = send(client, listed, "ana@example.com", origin="https://evil.example")

    assert response.status_code == 403
    assert "own websites" in response.json()["detail"]
    assert "Access-Control-Allow-Origin" not in response
    assert not Lead.objects.exists()


def test_a_browser_post_from_another_website_gets_a_page_saying_so(client, listed):
    response = client.post(
        url(listed), {"email": "ana@example.com"}, HTTP_ORIGIN="https://evil.example"
    )

    assert response.status_code == 403
    assert "own websites" in response.content.decode()
    assert not Lead.objects.exists()


def test_tandems_own_form_page_and_servers_without_an_origin_may_send(client, listed):
    assert send(client, listed, "own@example.com", origin="http://testserver").status_code == 201
    assert send(client, listed, "server@example.com").status_code == 201


def test_the_preflight_answers_only_listed_websites(client, listed):
    allowed = client.options(url(listed), HTTP_ORIGIN=ACME)
    other = client.options(url(listed), HTTP_ORIGIN="https://evil.example")

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ACME
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in other


def frame_ancestors(response) -> str | None:
    return parse(response["Content-Security-Policy"]).get("frame-ancestors")


def test_only_listed_websites_may_frame_the_form_and_its_thank_you(client, listed, campaign):
    for path in (url(listed), reverse("capture:thanks", args=[listed.form_key])):
        assert frame_ancestors(client.get(path)) == f"'self' {ACME} http://localhost:8080"


def test_a_page_answering_a_post_is_framed_only_where_the_form_is(client, listed):
    errors = client.post(url(listed), {"email": "not an address"})
    refused = client.post(url(listed), {"email": "a@b.example"}, HTTP_ORIGIN="https://x.example")

    for page in (errors, refused):
        assert frame_ancestors(page).startswith("'self' ")


def test_without_a_list_the_form_sets_no_frame_policy(client, campaign):
    assert frame_ancestors(client.get(url(campaign))) is None


@pytest.mark.parametrize(
    ("written", "origin"),
    [
        ("https://www.acme.example", ACME),
        ("  HTTPS://WWW.Acme.Example/ ", ACME),
        ("https://www.acme.example:443", ACME),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://192.168.0.10:8443", "https://192.168.0.10:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_a_website_is_kept_as_the_origin_browsers_send(written, origin):
    assert normalise_origin(written) == origin


@pytest.mark.parametrize(
    "written",
    [
        "www.acme.example",
        "ftp://acme.example",
        "https://acme.example/contact",
        "https://acme.example/?q=1",
        "https://user:pw@acme.example",
        "https://acme.example:99999",
        "https://",
        42,
        # Nothing that could widen the frame-ancestors list the form is sent with.
        "https://acme.example *",
        "https://acme.example;script-src x",
        "https://*.acme.example",
        "https://'self'",
        "https://acme..example",
        "https://-acme.example",
    ],
)
def test_what_is_not_a_website_is_refused(written):
    with pytest.raises(ValidationError):
        normalise_origin(written)


def test_the_campaign_page_takes_one_website_per_line(campaign):
    form = WebFormSettingsForm(
        data={
            "form_headline": "",
            "form_intro": "",
            "form_button_label": "Send",
            "form_redirect_url": "",
            "form_consent_text": campaign.form_consent_text,
            "form_thank_you": "Thanks",
            "form_allowed_origins": "https://www.acme.example/\n\nHTTPS://WWW.ACME.EXAMPLE\n"
            "http://localhost:8080",
        },
        instance=campaign,
    )

    assert form.is_valid(), form.errors
    assert form.settings()["form_allowed_origins"] == [ACME, "http://localhost:8080"]


def test_the_campaign_page_says_which_line_is_not_a_website(campaign):
    form = WebFormSettingsForm(
        data={
            "form_button_label": "Send",
            "form_consent_text": campaign.form_consent_text,
            "form_thank_you": "Thanks",
            "form_allowed_origins": "https://www.acme.example\nacme.example/contact",
        },
        instance=campaign,
    )

    assert not form.is_valid()
    assert "acme.example/contact" in form.errors["form_allowed_origins"][0]


def test_the_api_keeps_websites_as_origins_and_refuses_a_page(api_as, marketer, campaign):
    path = f"/api/v1/campaigns/{campaign.pk}/"
    good = api_as(marketer).patch(
        path, {"form_allowed_origins": ["https://www.acme.example/"]}, format="json"
    )
    bad = api_as(marketer).patch(
        path, {"form_allowed_origins": ["https://acme.example/contact"]}, format="json"
    )

    assert good.status_code == 200
    assert good.json()["form_allowed_origins"] == [ACME]
    assert bad.status_code == 400
    assert "form_allowed_origins" in bad.json()
    campaign.refresh_from_db()
    assert campaign.form_allowed_origins == [ACME]
