"""A new marketer's first campaign in a real browser: the campaign and its web form in one
go, the form opened as a visitor, a lead that qualifies, and that lead in sales' queue.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of each step.
"""

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from handoffs.models import Handoff
from leads.models import Lead, Stage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def test_a_new_marketer_creates_a_campaign_whose_form_brings_a_qualified_lead(
    open_as, new_page, live_server, shots, marketer, rep
):
    # The marketer creates the campaign; the web form is chosen on the same page.
    page = open_as("mia")
    page.get_by_role("link", name="New campaign").first.click()
    expect(page.get_by_label("Status")).to_have_value("active")
    expect(
        page.get_by_text("a planned campaign's form is closed until you make it")
    ).to_be_visible()
    expect(page.get_by_label("What do you need?")).to_have_value("required")
    expect(page.get_by_label("Company size")).to_have_value("required")
    expect(page.locator("#web-form-qualifying")).to_contain_text("MQL at a score of 50")
    shots.take(page, "new-marketer-1-new-campaign")
    page.get_by_role("textbox", name="Name", exact=True).fill("Demo days")
    page.get_by_label("Channel").select_option("webinar")
    page.get_by_label("Starts on").fill(timezone.localdate().isoformat())
    page.get_by_label("UTM campaign code").fill("demo-days")
    page.get_by_role("button", name="Create campaign").click()

    # The campaign page gives the live form.
    expect(page.get_by_role("heading", name="Demo days")).to_be_visible()
    web_form = page.locator("#web-form")
    expect(web_form).to_contain_text("Taking submissions")
    expect(page.locator("#toasts")).to_contain_text("Its web form takes leads now")
    shots.take(page, "new-marketer-2-campaign-page")
    form_url = page.locator("#embed-link").input_value()
    campaign = Campaign.objects.get(utm_campaign="demo-days")
    assert form_url == f"{live_server.url}/f/{campaign.form_key}/"

    # A visitor opens the form (no console errors, the icon included) and sends it.
    visitor = new_page()
    problems: list[str] = []
    visitor.on("console", lambda message: message.type == "error" and problems.append(message.text))
    visitor.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"{response.status} {response.url}")
        ),
    )
    visitor.goto(form_url)
    expect(visitor.get_by_role("heading", name="Demo days")).to_be_visible()
    visitor.get_by_role("textbox", name="Email", exact=True).fill("lena.fischer@tailspin.example")
    visitor.get_by_label("First name").fill("Lena")
    visitor.get_by_label("Last name").fill("Fischer")
    visitor.locator("#id_company").fill("Tailspin Toys")
    visitor.get_by_label("Job title").fill("Head of Operations")
    visitor.get_by_label("Country").select_option(label="Germany")
    visitor.get_by_label("Company size").select_option(label="201–500 people")
    visitor.get_by_label("What do you need?").select_option(label="A demo")
    visitor.get_by_label("Message").fill("Please book us a demo next week.")
    shots.take(visitor, "new-marketer-3-visitor-form")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("status")).to_contain_text("Thank you!")
    assert visitor.request.get(f"{live_server.url}/favicon.ico").ok
    assert problems == []

    # Scoring made the lead an MQL, and the handoff is open in the queue.
    lead = Lead.objects.get(email="lena.fischer@tailspin.example")
    assert lead.stage == Stage.MQL
    assert lead.score >= 50
    handoff = Handoff.objects.get(lead=lead)
    assert handoff.status == Handoff.Status.OPEN

    page.goto(f"{live_server.url}/leads/?campaign={campaign.pk}")
    expect(page.locator("#results")).to_contain_text("Lena Fischer")
    expect(page.locator("#results")).to_contain_text("MQL")

    seller = open_as("sam")
    expect(seller.get_by_role("heading", name="Queue")).to_be_visible()
    row = seller.locator(f"#handoff-{handoff.pk}")
    expect(row).to_contain_text("Lena Fischer")
    expect(row).to_contain_text("Tailspin Toys · 201–500 people")
    expect(row).to_contain_text("Asked for a demo")
    expect(row).to_contain_text("Please book us a demo next week.")
    shots.take(seller, "new-marketer-4-queue")

    # The brief quotes the visitor first thing.
    row.get_by_role("link", name="Lena Fischer").click()
    expect(seller.get_by_text("In their words")).to_be_visible()
    expect(seller.locator(".note").first).to_contain_text("Please book us a demo next week.")
    shots.take(seller, "new-marketer-5-brief")
