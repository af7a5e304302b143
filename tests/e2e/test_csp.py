"""The Content-Security-Policy in a real browser: the main pages and the API docs work
under it, and Chromium reports no violation on any of them."""

import pytest
from playwright.sync_api import expect

from handoffs.models import Handoff
from tests.factories import CampaignFactory
from tests.pages.conftest import make_mql

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(marketer):
    campaign = CampaignFactory(name="Spring webinar", owner=marketer, status="active")
    lead = make_mql(campaign=campaign, first_name="Ana", last_name="Alvarez", company="Acme")
    assert Handoff.objects.filter(lead=lead).exists()
    return {"campaign": campaign, "lead": lead}


def violations(page) -> list[str]:
    """Console errors about the policy, collected from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_the_main_pages_break_no_rule_of_the_policy(open_as, live_server, manager, story):
    page = open_as("max")
    found = violations(page)
    lead, campaign = story["lead"], story["campaign"]

    for path in (
        "/dashboard/",
        "/leads/",
        f"/leads/{lead.pk}/",
        "/handoffs/queue/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/account/password/",
        "/notifications/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/leads/")
    page.get_by_label("Search").fill("Ana")  # an htmx swap of the table
    expect(page.get_by_role("link", name="Ana Alvarez")).to_be_visible()

    assert found == []


def test_the_swagger_ui_works_under_the_policy(open_as, live_server, manager, story):
    page = open_as("max")
    found = violations(page)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tandem API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert found == []


def test_redoc_works_under_the_policy(open_as, live_server, manager, story):
    page = open_as("max")
    found = violations(page)

    page.goto(f"{live_server.url}/api/redoc/")

    # ReDoc lays out the whole schema in the browser before it shows anything: seconds on
    # a busy two-core machine.
    expect(page.get_by_role("heading", name="Tandem API")).to_be_visible(timeout=60_000)
    page.get_by_placeholder("Search...").fill("campaign")  # the search runs in a worker
    expect(page.get_by_role("search").get_by_text("Create a campaign")).to_be_visible(
        timeout=30_000
    )
    page.wait_for_load_state("networkidle")
    # Redoc's footer shows its maker's logo from their CDN; Tandem loads nothing from
    # elsewhere, so the policy blocks it and Redoc leaves the logo out.
    assert [text for text in found if "cdn.redoc.ly" not in text] == []


def test_the_login_and_the_public_form_break_no_rule_of_the_policy(new_page, live_server, story):
    page = new_page()
    found = violations(page)

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(f"{live_server.url}/f/{story['campaign'].form_key}/")
    page.wait_for_load_state("networkidle")

    assert found == []


def test_the_public_form_still_leads_to_a_thank_you_page_on_another_site(
    new_page, live_server, story
):
    # Another origin for the browser: the same server under its address instead of its name.
    elsewhere = live_server.url.replace("localhost", "127.0.0.1") + "/accounts/login/"
    campaign = story["campaign"]
    campaign.form_redirect_url = elsewhere
    campaign.save()
    page = new_page()
    found = violations(page)

    page.goto(f"{live_server.url}/f/{campaign.form_key}/")
    page.get_by_label("Email").fill("visitor@example.com")
    page.get_by_role("button", name=campaign.form_button_label).click()

    page.wait_for_url(elsewhere)
    assert found == []
