"""A lead's journey in a real browser: a marketer plans a campaign, a rep claims its MQL.

Set ``E2E_SCREENSHOTS=<folder>`` to also save full-page screenshots of the main pages of
each role along the way.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from campaigns.services import add_cost
from handoffs.models import Handoff
from handoffs.services import claim_handoff, log_activity, move_lead, reject_handoff
from leads.services import capture_lead
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOT = {"job_title": "VP Marketing", "company_size": 300, "country": "us"}


def populate(*, marketer, other_rep, manager):
    """A few campaigns, costs and leads at every stage, so pages show real shapes."""
    today = timezone.localdate()
    webinar = CampaignFactory(
        name="Q3 product webinar", channel="webinar", owner=marketer, budget=Decimal("8000")
    )
    search = CampaignFactory(
        name="Search ads: CRM", channel="paid_search", owner=marketer, budget=Decimal("15000")
    )
    CampaignFactory(
        name="Customer stories newsletter", channel="email", owner=manager, status="planned"
    )
    for campaign, amount in ((webinar, "2400"), (search, "6100"), (search, "3900")):
        add_cost(campaign, date=today - timedelta(days=3), amount=Decimal(amount), by=marketer)
    people = [
        ("Priya", "Shah", "Northwind", HOT, "demo_requested", webinar),
        ("Tom", "Berg", "Contoso", HOT, "webinar_attended", webinar),
        ("Mei", "Lin", "Fabrikam", HOT, "pricing_page_view", search),
        ("Jonas", "Keller", "Umbrella", HOT, "demo_requested", search),
        ("Sara", "Ortiz", "Initech", {"job_title": "Analyst"}, "page_view", search),
        ("Omar", "Haddad", "Globex", {"job_title": "Engineer"}, "content_download", webinar),
    ]
    leads = []
    for first, last, company, profile, kind, campaign in people:
        result = capture_lead(
            email=f"{first}.{last}@{company}.example".lower(),
            first_name=first,
            last_name=last,
            company=company,
            campaign=campaign,
            touchpoint_kind=kind,
            **profile,
        )
        leads.append(result.lead)
    worked, won, sent_back = (Handoff.objects.get(lead=lead) for lead in leads[1:4])
    claim_handoff(worked, rep=other_rep)
    log_activity(worked.lead, rep=other_rep, kind="call", outcome="connected")
    move_lead(worked.lead, to_stage="sql", by=other_rep)
    claim_handoff(won, rep=other_rep)
    log_activity(won.lead, rep=other_rep, kind="demo", outcome="interested")
    move_lead(won.lead, to_stage="sql", by=other_rep)
    move_lead(won.lead, to_stage="won", by=other_rep, amount=Decimal("24000"))
    reject_handoff(sent_back, rep=other_rep, reason="no_budget", note="Next fiscal year.")


def test_a_marketer_plans_a_campaign_and_a_rep_claims_its_lead(
    open_as, new_page, live_server, shots, marketer, rep, other_rep, manager
):
    populate(marketer=marketer, other_rep=other_rep, manager=manager)
    if shots:
        page = new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        shots.take(page, "anyone-1-login")

    # The marketer lands on the campaign list and creates a campaign through the form.
    page = open_as("mia")
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    shots.take(page, "marketer-1-campaigns")
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator(".field-errors").first).to_be_visible()
    shots.take(page, "marketer-2-campaign-form-errors")
    page.get_by_role("textbox", name="Name", exact=True).fill("Autumn trade show")
    page.get_by_label("Channel").select_option("trade_show")
    page.get_by_label("Starts on").fill(timezone.localdate().isoformat())
    page.get_by_label("Budget").fill("12000")
    page.get_by_label("UTM campaign code").fill("autumn-show")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("heading", name="Autumn trade show")).to_be_visible()
    page.get_by_role("link", name="← Campaigns").click()
    expect(page.locator("#results")).to_contain_text("Autumn trade show")
    assert Campaign.objects.get(utm_campaign="autumn-show").owner == marketer

    # The campaign's first lead asks for a demo; scoring makes it an MQL and opens a handoff.
    capture_lead(
        email="lena.fischer@tailspin.example",
        first_name="Lena",
        last_name="Fischer",
        company="Tailspin Toys",
        utm_campaign="autumn-show",
        touchpoint_kind="demo_requested",
        **HOT,
    )
    handoff = Handoff.objects.get(lead__email="lena.fischer@tailspin.example")
    assert handoff.status == "open"

    if shots:
        page.get_by_label("Search").fill("autumn")
        expect(page.locator("#results tbody tr")).to_have_count(1)
        page.goto(f"{live_server.url}/campaigns/{handoff.lead.campaign_id}/")
        shots.take(page, "marketer-3-campaign-detail")
        page.goto(f"{live_server.url}/leads/")
        shots.take(page, "marketer-4-leads")
        page.goto(f"{live_server.url}/leads/{handoff.lead_id}/")
        page.locator(".score-chip--lg").focus()
        shots.take(page, "marketer-5-lead-detail")

    # The rep sees the MQL in the queue and claims it in place.
    page = open_as("sam")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    row = page.locator(f"#handoff-{handoff.pk}")
    expect(row).to_contain_text("Lena Fischer")
    expect(row).to_contain_text("Asked for a demo")
    shots.take(page, "rep-1-queue")
    row.get_by_role("button", name="Claim Lena Fischer").click()
    expect(row).to_contain_text("Claimed by you")
    expect(page.locator("#toasts")).to_contain_text("Claimed Lena Fischer")
    shots.take(page, "rep-2-queue-claimed")
    handoff.refresh_from_db()
    assert (handoff.status, handoff.claimed_by) == ("claimed", rep)

    # The lead is now one of the rep's leads.
    page.get_by_role("link", name="My leads").first.click()
    expect(page.get_by_role("heading", name="My leads")).to_be_visible()
    expect(page.locator(".work-list")).to_contain_text("Lena Fischer")
    if shots:
        page.locator(".work-card summary").first.click()
        shots.take(page, "rep-3-my-leads")
        page.goto(f"{live_server.url}/leads/{handoff.lead_id}/")
        shots.take(page, "rep-4-lead-detail")
        page.goto(f"{live_server.url}/notifications/")
        shots.take(page, "rep-5-notifications")
        page.goto(f"{live_server.url}/campaigns/new/")
        shots.take(page, "rep-7-not-for-this-role")
        phone = open_as("sam", width=390, height=844)
        phone.goto(f"{live_server.url}/handoffs/mine/")
        shots.take(phone, "rep-6-my-leads-phone")

    if shots:
        page = open_as("max")
        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        shots.take(page, "manager-1-dashboard")
        page.goto(f"{live_server.url}/agreement/")
        shots.take(page, "manager-2-agreement")
        page.goto(f"{live_server.url}/handoffs/queue/")
        shots.take(page, "manager-3-queue")
        page.goto(f"{live_server.url}/leads/?stage=sql")
        shots.take(page, "manager-4-leads-sql")
