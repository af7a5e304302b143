"""The rules page in a real browser: a marketer edits a rule of a draft, watches the
preview follow, saves, activates, and the lead's score follows.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the editor and the version
in force.
"""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, ScoringRuleSet
from leads.services import score_lead
from tests.factories import LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_marketer_changes_a_rule_previews_it_and_activates_it(open_as, shots, marketer):
    # A manager in a 250-person US company: 10 + 15 + 5 = 30 points by the default rules.
    lead = LeadFactory(first_name="Pia", last_name="Preview", job_title="Marketing Manager")
    score_lead(lead.pk)
    assert Lead.objects.get(pk=lead.pk).score == 30

    page = open_as("mia", width=1366, height=900)
    page.get_by_role("link", name="Scoring rules").click()
    expect(page.get_by_role("heading", name="Scoring rules")).to_be_visible()
    page.get_by_role("button", name="New draft").click()
    draft = ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.DRAFT)
    expect(page.get_by_role("heading", name=re.compile(rf"^v{draft.pk} "))).to_be_visible()

    # A broken regular expression: the preview says what to fix, saving shows it inline.
    title = page.get_by_label("Value of fit rule 2")
    original = title.input_value()
    title.fill("(manager")
    expect(page.locator("#preview")).to_contain_text("Not a valid regular expression")
    page.get_by_role("button", name="Save draft", exact=True).last.click()
    expect(page.locator(".rules-table__row--invalid .field-errors")).to_contain_text(
        "Not a valid regular expression"
    )
    shots.take(page, "rules-0-editor-error")
    page.get_by_label("Value of fit rule 2").fill(original)

    # "Target market" is the sixth fit rule of the default set: 5 points become 25.
    draft_score = page.locator(f'[data-draft-score="{lead.pk}"]')
    expect(draft_score).to_contain_text("30")
    points = page.get_by_label("Points of fit rule 6")
    expect(points).to_have_value("5")
    points.fill("25")
    expect(draft_score).to_contain_text("50")
    expect(page.locator("#preview")).to_contain_text("+20")
    shots.take(page, "rules-1-editor-preview")

    page.get_by_role("button", name="Save draft", exact=True).last.click()
    expect(page.locator("#toasts")).to_contain_text(f"Draft version {draft.pk} saved")
    expect(page.get_by_label("Points of fit rule 6")).to_have_value("25")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Activate v{draft.pk}").click()
    expect(page.locator("#rescore")).to_contain_text("Every lead rescored")
    expect(page.locator(".page-header__meta")).to_contain_text("Active")
    shots.take(page, "rules-2-version-in-force")

    lead.refresh_from_db()
    assert lead.score == 50
    assert {"rule": "Target market", "kind": "fit", "points": 25} in lead.score_breakdown
    page.goto(page.url.split("/leads/")[0] + f"/leads/{lead.pk}/")
    expect(page.locator(".score-chip").first).to_contain_text("50")
