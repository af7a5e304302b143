"""The icon browsers ask for: linked from every page, and at /favicon.ico for those that
ask there anyway (in production, WhiteNoise serves it under its hashed name)."""

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import CampaignFactory

ICO_HEADER = b"\x00\x00\x01\x00"  # reserved 0, type 1 (icon)


def test_the_icon_is_a_real_windows_icon_file():
    path = finders.find("img/favicon.ico")

    with open(path, "rb") as icon:
        assert icon.read(4) == ICO_HEADER


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"


def test_the_public_form_links_the_icon(client, db):
    campaign = CampaignFactory()

    page = client.get(reverse("capture:form", args=[campaign.form_key])).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.ico"' in page
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page


def test_the_thank_you_page_links_the_icon(client, db):
    campaign = CampaignFactory()

    page = client.get(reverse("capture:thanks", args=[campaign.form_key])).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.ico"' in page


def test_the_app_pages_link_the_icon(client):
    page = client.get(reverse("login")).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.ico"' in page


def test_in_production_the_icon_is_served_under_its_hashed_name(settings, tmp_path):
    """DEBUG off: collected static files, the manifest storage, WhiteNoise serving them."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    browser = Client()  # its middleware, WhiteNoise too, starts with these settings

    redirect = browser.get("/favicon.ico")
    icon = browser.get(redirect["Location"])

    assert redirect.status_code == 302
    assert re.fullmatch(r"/static/img/favicon\.[0-9a-f]{12}\.ico", redirect["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content).startswith(ICO_HEADER)
