"""The routing page in a real browser: a manager edits a rule, reads the dry run of the
latest MQLs under the rule as edited, saves it; a rep reads the rules and edits nothing.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the list, the editor with its
dry run, the rules page as a rep sees it, and the new-rule, business-hours and team pages.
"""

import re

import pytest
from playwright.sync_api import expect

from handoffs.models import Handoff
from handoffs.routing import services as routing
from handoffs.routing.models import RoutingRule
from handoffs.routing.services import decisions
from leads import lifecycle
from leads.models import Stage
from tests.factories import LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DACH = {"field": "country", "operator": "one_of", "value": "DE, AT, CH"}


@pytest.fixture(autouse=True)
def fresh_rule_cache():
    """Rules are cached per process; each test starts as a freshly started server would."""
    decisions._cache.update(version=None, rules=[])


def dach_rule(*, manager, rep) -> RoutingRule:
    """Rule 1 "DACH": leads from Germany, Austria and Switzerland go to ``rep``."""
    return routing.create_rule(by=manager, name="DACH", conditions=[DACH], action="rep", rep=rep)


def mql(first_name: str, last_name: str, country: str) -> Handoff:
    """A lead that scoring makes an MQL now, routed by the rules in force."""
    lead = LeadFactory(
        first_name=first_name, last_name=last_name, country=country, stage=Stage.NEW, score=60
    )
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    return lead.handoffs.get()


def test_a_manager_dry_runs_an_edited_rule_then_saves_it(
    open_as, live_server, shots, manager, rep, other_rep
):
    rule = dach_rule(manager=manager, rep=rep)
    greta = mql("Greta", "Gruber", "DE")
    fabien = mql("Fabien", "Faure", "FR")
    uma = mql("Uma", "Usher", "US")
    assert (greta.routed_to, fabien.routed_to, uma.routed_to) == (rep, None, None)
    saved_at = rule.updated_at

    page = open_as("max", width=1366, height=900)
    page.get_by_role("link", name="Routing").first.click()
    expect(page.get_by_role("heading", name="Routing", exact=True)).to_be_visible()
    rules = page.locator(".routing-table")
    expect(rules).to_contain_text("Country is one of DE, AT, CH")
    expect(rules).to_contain_text("Sam Seller")
    shots.take(page, "routing-1-rules-manager")

    # Rob takes over DACH, and France joins it.
    page.get_by_role("link", name="Edit DACH").click()
    expect(page.get_by_role("heading", name="Edit “DACH”")).to_be_visible()
    expect(page.get_by_label("Value of condition 1")).to_have_value("DE, AT, CH")
    page.get_by_label("Value of condition 1").fill("DE, AT, CH, FR")
    page.get_by_label("Rep", exact=True).select_option(label="Rob Rival")
    page.evaluate("window.stillThisPage = true")
    page.get_by_role("button", name="Dry run").click()

    dry_run = page.locator("#dry-run")
    expect(dry_run).to_contain_text("2 of 3 leads would go somewhere else.")
    assert page.evaluate("window.stillThisPage"), "the dry run swaps in place, no reload"
    greta_row = dry_run.locator("tbody tr", has_text="Greta Gruber")
    expect(greta_row.locator("td").nth(1)).to_have_text("Sam Seller")
    expect(greta_row.locator("td").nth(2)).to_contain_text("Rob Rival")
    expect(greta_row).to_contain_text("changed")
    expect(greta_row.locator(".dry-run__reason")).to_have_text("Rule 1 DACH → Rob Rival.")
    fabien_row = dry_run.locator("tbody tr", has_text="Fabien Faure")
    expect(fabien_row.locator("td").nth(1)).to_have_text("Team queue")
    expect(fabien_row.locator(".dry-run__reason")).to_have_text("Rule 1 DACH → Rob Rival.")
    expect(fabien_row).to_have_class(re.compile(r"\bdry-run__changed\b"))
    uma_row = dry_run.locator("tbody tr", has_text="Uma Usher")
    expect(uma_row).not_to_have_class(re.compile(r"\bdry-run__changed\b"))
    expect(uma_row.locator(".dry-run__reason")).to_have_text("No rule matched → team queue.")
    # The edits stay in the form for the save to come.
    expect(page.get_by_label("Value of condition 1")).to_have_value("DE, AT, CH, FR")
    shots.take(page, "routing-2-editor-dry-run")

    # A dry run saves nothing: the rule, and where the leads went, are as they were.
    rule.refresh_from_db()
    assert (rule.rep, rule.conditions, rule.updated_at) == (rep, [DACH], saved_at)
    assert {h.lead.first_name: h.routed_to for h in Handoff.objects.select_related("lead")} == {
        "Greta": rep,
        "Fabien": None,
        "Uma": None,
    }

    page.get_by_role("button", name="Save rule").last.click()
    expect(page).to_have_url(re.compile(r"/handoffs/routing/$"))
    expect(page.locator("#toasts")).to_contain_text("Saved the rule “DACH”.")
    dach = page.locator(".routing-table tbody tr", has_text="DACH")
    expect(dach).to_contain_text("Country is one of DE, AT, CH, FR")
    expect(dach).to_contain_text("Rob Rival")
    expect(dach).not_to_contain_text("Sam Seller")
    shots.take(page, "routing-3-rules-saved")

    rule.refresh_from_db()
    assert rule.rep == other_rep
    assert rule.conditions == [{**DACH, "value": "DE, AT, CH, FR"}]
    assert rule.updated_by == manager

    if shots:
        page.get_by_role("link", name="Add rule").click()
        shots.take(page, "routing-6-new-rule")
        page.goto(f"{live_server.url}/handoffs/hours/")
        shots.take(page, "routing-7-business-hours")
        page.goto(f"{live_server.url}/handoffs/team/")
        shots.take(page, "routing-8-team")


def test_the_dry_run_works_without_javascript(browser, live_server, manager, rep, other_rep):
    rule = dach_rule(manager=manager, rep=rep)
    mql("Greta", "Gruber", "DE")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("max")
        page.get_by_label("Password").fill("pass-word-123")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/handoffs/routing/{rule.pk}/")
        page.get_by_label("Rep", exact=True).select_option(label="Rob Rival")
        page.get_by_role("button", name="Dry run").click()

        expect(page.get_by_role("heading", name="Edit “DACH”")).to_be_visible()
        expect(page.get_by_label("Rep", exact=True)).to_have_value(str(other_rep.pk))
        row = page.locator("#dry-run tbody tr", has_text="Greta Gruber")
        expect(row).to_have_class(re.compile(r"\bdry-run__changed\b"))
        expect(row.locator(".dry-run__reason")).to_have_text("Rule 1 DACH → Rob Rival.")
    finally:
        context.close()
    rule.refresh_from_db()
    assert rule.rep == rep


def test_a_rep_reads_the_rules_but_cannot_edit_them(open_as, live_server, shots, manager, rep):
    rule = dach_rule(manager=manager, rep=rep)
    mql("Greta", "Gruber", "DE")

    page = open_as("sam")
    page.get_by_role("link", name="Routing").first.click()
    expect(page.get_by_role("heading", name="Routing", exact=True)).to_be_visible()
    expect(page.locator(".routing-table")).to_contain_text("DACH")
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    expect(page.get_by_role("link", name="Add rule")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Delete|Move)"))).to_have_count(0)

    # Reading includes the dry run of the rules as saved.
    page.get_by_role("link", name="Run it").click()
    expect(page.locator("#dry-run")).to_contain_text("0 of 1 lead would go somewhere else.")
    expect(page.locator("#dry-run .dry-run__reason")).to_have_text("Rule 1 DACH → Sam Seller.")
    shots.take(page, "routing-4-rules-rep")

    response = page.goto(f"{live_server.url}/handoffs/routing/{rule.pk}/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This page isn't part of your work")).to_be_visible()
    response = page.goto(f"{live_server.url}/handoffs/routing/new/")
    assert response is not None and response.status == 403
    shots.take(page, "routing-5-editor-forbidden-rep")
    assert RoutingRule.objects.get().rep == rep
