"""embed.js: the script a host page includes to draw the form in place."""

import json

from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import CampaignFactory


def script_of(client, campaign):
    return client.get(reverse("capture:embed", args=[campaign.form_key]))


def config_of(response) -> dict:
    """The form's settings the script starts from: the JSON on its last line."""
    last_line = response.content.decode().strip().splitlines()[-1]
    return json.loads(last_line.removeprefix("})(").removesuffix(");"))


def test_the_script_is_javascript_the_browser_may_cache_a_while(client, campaign):
    response = script_of(client, campaign)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"


def test_the_script_posts_to_the_form_on_this_server(client, campaign):
    config = config_of(script_of(client, campaign))

    assert config["action"] == f"http://testserver/f/{campaign.form_key}/"
    assert config["key"] == campaign.form_key


def test_the_script_draws_the_fields_the_campaign_asks_for(client, campaign):
    config = config_of(script_of(client, campaign))

    fields = {field["name"]: field for field in config["fields"]}
    assert list(fields) == ["email", "first_name", "last_name", "company", "message", "consent"]
    assert fields["email"]["required"] is True
    assert fields["last_name"]["required"] is False
    assert fields["message"]["type"] == "textarea"
    assert fields["consent"]["label"] == campaign.form_consent_text
    assert config["honeypot"]["name"] == "website"


def test_the_script_offers_the_countries_and_sizes_as_choices(client, db):
    campaign = CampaignFactory(form_fields={"country": "optional", "company_size": "required"})

    config = config_of(script_of(client, campaign))

    fields = {field["name"]: field for field in config["fields"]}
    assert ["DE", "Germany"] in fields["country"]["choices"]
    assert ["201", "201–500 people"] in fields["company_size"]["choices"]


def test_the_script_links_the_projects_stylesheets(client, campaign):
    config = config_of(script_of(client, campaign))

    assert "http://testserver/static/css/tokens.css" in config["stylesheets"]
    assert "http://testserver/static/css/capture.css" in config["stylesheets"]


def test_words_from_the_campaign_cannot_end_the_script(client, db):
    campaign = CampaignFactory(name="Webinar</script><script>alert(1)</script>")

    response = script_of(client, campaign)

    assert "</script>" not in response.content.decode()
    assert config_of(response)["headline"] == "Webinar</script><script>alert(1)</script>"


def test_the_script_of_a_closed_form_says_it_is_closed(client, db):
    campaign = CampaignFactory(status=Campaign.Status.COMPLETED)

    config = config_of(script_of(client, campaign))

    assert config["closed"] == "This form is closed. Thank you for your interest."


def test_the_script_of_an_unknown_form_is_not_found(client, db):
    response = client.get(reverse("capture:embed", args=["no-such-form"]))

    assert response.status_code == 404
