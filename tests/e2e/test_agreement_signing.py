"""Signing the agreement in a real browser, two people at once: a marketing manager
proposes a faster claim SLA, a sales manager reads the proposal from their inbox and
approves it for sales, the marketing manager approves it for marketing, and the next MQL's
handoff is due by the new SLA. One person who manages both teams signs one side only.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the agreement page on the way.
"""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from alignment.models import AgreementVersion
from alignment.roles import MANAGER, MARKETING, SALES
from alignment.services import propose_agreement
from leads import lifecycle
from leads.models import Stage
from tests.factories import LeadFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

Status = AgreementVersion.Status
#: What the proposal changes, as the page, the inbox and the history write it.
CHANGE = "Claim within: 1 h → 30 min"
WHY = "Leads go cold: answer within half an hour."


def day(moment: datetime | None) -> str:
    """A date as the agreement page writes it ("7 Dec 2026"), in the team's zone (UTC)."""
    assert moment is not None
    return f"{moment:%-d %b %Y}"


def due_shown(page: Page, scope: str) -> datetime:
    """The deadline behind the first SLA clock in ``scope``: its ``<time datetime>``."""
    return datetime.fromisoformat(page.locator(f"{scope} time").first.get_attribute("datetime"))


def test_a_marketing_and_a_sales_manager_sign_a_faster_sla_and_the_next_handoff_uses_it(
    open_as, live_server, shots, marketing_manager, sales_manager
):
    # Both managers are logged in at once, each in a browser window of their own.
    mona = open_as("mona", width=1366, height=900)
    saul = open_as("saul", width=1366, height=900)

    # Mona proposes to claim MQLs within 30 minutes instead of 60.
    mona.get_by_role("link", name="Agreement").first.click()
    expect(mona.get_by_role("heading", name="Alignment agreement v1")).to_be_visible()
    mona.get_by_role("link", name="Propose a change").click()
    claim_minutes = mona.get_by_role("spinbutton", name="Minutes to claim", exact=True)
    expect(claim_minutes).to_have_value("60")
    claim_minutes.fill("30")
    mona.get_by_label("Why this change").fill(WHY)
    mona.get_by_role("button", name="Propose this version").click()

    expect(mona.get_by_text("Proposed v2. It takes effect once")).to_be_visible()
    draft_card = mona.locator("section#v2")
    expect(draft_card.get_by_text("Compared with v1, in force.")).to_be_visible()
    expect(draft_card.locator(".change-list li")).to_have_text([CHANGE])
    expect(draft_card.get_by_text("Waiting for a sales manager")).to_be_visible()
    # Mona signs for marketing only: the page offers her no button for sales.
    expect(draft_card.get_by_role("button", name="Approve for sales")).to_have_count(0)
    shots.take(mona, "agreement-signing-1-proposed")

    # Saul hears of it in his inbox and opens the proposal from there.
    saul.goto(f"{live_server.url}/notifications/")
    news = saul.locator(".inbox__item", has_text="Mona Mercer proposed v2 of the agreement")
    expect(news).to_contain_text(CHANGE)
    news.get_by_role("button", name="Open").click()
    expect(saul).to_have_url(re.compile(r"/agreement/"))
    expect(saul.get_by_role("heading", name="Alignment agreement v1")).to_be_visible()
    saul_draft = saul.locator("section#v2")
    expect(saul_draft.locator(".change-list li")).to_have_text([CHANGE])
    expect(saul_draft.get_by_text(f"Why: {WHY}")).to_be_visible()
    expect(saul_draft.get_by_role("button", name="Approve for marketing")).to_have_count(0)
    saul_draft.get_by_role("button", name="Approve for sales").click()

    expect(
        saul.get_by_text("You approved v2. It takes effect once the other side approves it.")
    ).to_be_visible()
    expect(saul.locator("section#v2").get_by_text("Approved by Saul Sterling on")).to_be_visible()
    expect(saul.locator("section#v2").get_by_role("button")).to_have_count(0)
    # Still v1 in force: one side's approval is not enough.
    expect(saul.get_by_role("heading", name="Alignment agreement v1")).to_be_visible()
    assert AgreementVersion.objects.get(number=2).status == Status.DRAFT

    # Mona hears of Saul's approval and opens the draft from her inbox to sign it.
    mona.goto(f"{live_server.url}/notifications/")
    mona.locator(
        ".inbox__item", has_text="Saul Sterling approved v2 of the agreement for sales"
    ).get_by_role("button", name="Open").click()
    expect(mona.locator("section#v2").get_by_text("Approved by Saul Sterling on")).to_be_visible()
    mona.locator("section#v2").get_by_role("button", name="Approve for marketing").click()

    expect(mona.get_by_text("Agreement v2 is in force from now.")).to_be_visible()
    v1, v2 = AgreementVersion.objects.order_by("number")
    assert (v1.status, v2.status) == (Status.SUPERSEDED, Status.IN_FORCE)
    assert v2.claim_sla_minutes == 30
    assert (v2.marketing_approved_by, v2.sales_approved_by) == (marketing_manager, sales_manager)
    for page in (mona, saul):
        page.goto(f"{live_server.url}/agreement/")
        expect(page.get_by_role("heading", name="Alignment agreement v2")).to_be_visible()
        expect(page.locator(".page-header .badge")).to_have_text("In force")
        expect(page.locator(".kpi", has_text="Claim within")).to_contain_text("30 min")
        expect(
            page.get_by_text(
                f"Signed by Mona Mercer on {day(v2.marketing_approved_at)} and "
                f"Saul Sterling on {day(v2.sales_approved_at)}."
            )
        ).to_be_visible()
        expect(page.get_by_role("heading", name="Proposed versions")).to_have_count(0)
        history = page.get_by_role("region", name="History")
        expect(history.locator("#history-v2")).to_contain_text("In force")
        expect(history.locator("#history-v2")).to_contain_text("Mona Mercer")
        expect(history.locator("#history-v2")).to_contain_text("Saul Sterling")
        expect(history.locator("#history-v2 time").nth(1)).to_have_attribute(
            "datetime", re.compile(rf"^{v2.marketing_approved_at:%Y-%m-%dT%H:%M}")
        )
        expect(history.locator("#history-v2")).to_contain_text("1 change from v1")
        expect(history.locator("#history-v1")).to_contain_text("Superseded")
        expect(history.locator("#history-v1")).to_contain_text("The first version")
    shots.take(mona, "agreement-signing-2-in-force")

    # The next lead to become an MQL is handed to sales under v2: 30 minutes to claim
    # (the test calendar is open around the clock, so 30 working minutes are 30 minutes).
    lead = LeadFactory(stage=Stage.NEW, score=60, first_name="Nora", last_name="Next")
    became_mql = lifecycle.advance(
        lead, Stage.MQL, automatic=True, reason="Score reached the threshold."
    ).changed_at
    handoff = lead.handoffs.get()
    assert handoff.agreement == v2
    assert handoff.sla_segment == ""
    assert handoff.claim_due_at - handoff.created_at == timedelta(minutes=30)
    assert timedelta(minutes=30) <= handoff.claim_due_at - became_mql < timedelta(minutes=31)

    # Sales reads the same deadline in the queue, and both teams on the lead's page.
    saul.goto(f"{live_server.url}/handoffs/queue/")
    expect(saul.locator(f"#handoff-{handoff.pk}")).to_contain_text("Nora Next")
    assert due_shown(saul, f"#handoff-{handoff.pk} .sla-big") == handoff.claim_due_at
    # Under v1 the clock would read an hour.
    expect(saul.locator(f"#handoff-{handoff.pk} .sla-big .sla").first).to_have_text(
        re.compile(r"^(29|30) min left$")
    )
    for page in (saul, mona):
        page.goto(f"{live_server.url}/leads/{lead.pk}/")
        expect(page.get_by_text("Claim within", exact=True)).to_be_visible()
        assert due_shown(page, ".grid-2:has-text('Claim within')") == handoff.claim_due_at
    shots.take(saul, "agreement-signing-3-next-handoff")


def test_a_manager_of_both_teams_approves_one_side_only(open_as, live_server, manager):
    """Bea manages marketing and sales. The page offers her both sides until she signs
    one; a second page left open from before still shows the other side's button, and the
    server refuses it."""
    bea = UserFactory(username="bea", first_name="Bea", last_name="Both",
                      roles=[MANAGER, MARKETING, SALES])  # fmt: skip
    v1 = AgreementVersion.objects.get(number=1)
    draft = propose_agreement(by=manager, based_on=v1, claim_sla_minutes=30)

    page = open_as("bea")
    page.goto(f"{live_server.url}/agreement/")
    stale = page.context.new_page()
    stale.goto(f"{live_server.url}/agreement/")
    for each in (page, stale):
        card = each.locator("section#v2")
        expect(card.get_by_role("button", name="Approve for marketing")).to_be_visible()
        expect(card.get_by_role("button", name="Approve for sales")).to_be_visible()

    page.locator("section#v2").get_by_role("button", name="Approve for marketing").click()
    expect(
        page.get_by_text("You approved v2. It takes effect once the other side approves it.")
    ).to_be_visible()
    card = page.locator("section#v2")
    expect(card.get_by_text("Approved by Bea Both on")).to_be_visible()
    expect(card.get_by_text("Waiting for a sales manager")).to_be_visible()
    expect(card.get_by_role("button")).to_have_count(0)

    stale.locator("section#v2").get_by_role("button", name="Approve for sales").click()
    refused = "You already approved v2 for marketing; sales needs another person's approval."
    expect(stale.get_by_role("alert").filter(has_text=refused)).to_be_visible()
    expect(stale.locator("section#v2").get_by_text("Waiting for a sales manager")).to_be_visible()
    expect(stale.get_by_role("heading", name="Alignment agreement v1")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert (draft.marketing_approved_by, draft.sales_approved_by) == (bea, None)
