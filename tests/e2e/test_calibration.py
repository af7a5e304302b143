"""The calibration loop in a real browser: a manager reads where the threshold should be
and proposes it as the next agreement version; a marketer reads the same report.
"""

import pytest
from playwright.sync_api import expect

from handoffs.models import Handoff
from leads.models import Stage
from tests.calibration.test_queries import handed_off

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def outcomes():
    """Sales kept every handoff scored 60 or more and sent back those below."""
    for score in (90, 80, 70, 60):
        handed_off(score, status=Handoff.Status.CLAIMED, path=[Stage.SAL, Stage.SQL])
    for score in (55, 55, 50):
        handed_off(score, status=Handoff.Status.REJECTED, path=[Stage.RECYCLED])


def test_a_manager_proposes_the_suggested_threshold(open_as, manager, shots):
    outcomes()
    page = open_as("max")

    page.get_by_role("link", name="Calibration").click()
    expect(page.get_by_role("heading", name="Score calibration")).to_be_visible()
    expect(page.get_by_text("1.00", exact=True)).to_be_visible()
    shots.take(page, "calibration-manager")

    page.get_by_role("button", name="Propose a threshold of 60").click()

    expect(page.get_by_role("heading", name="Proposed versions")).to_be_visible()
    proposed = page.get_by_label("Proposed versions")
    expect(proposed.get_by_text("MQL threshold: 50 → 60")).to_be_visible()
    expect(page.get_by_text("Proposed v2 with an MQL threshold of 60.")).to_be_visible()
    shots.take(page, "agreement-with-proposal")


def test_a_marketer_reads_the_report_without_the_button(open_as, marketer, shots):
    outcomes()
    page = open_as("mia")

    page.get_by_role("link", name="Calibration").click()

    expect(page.get_by_role("heading", name="Score calibration")).to_be_visible()
    expect(page.get_by_role("button", name="Propose a threshold of 60")).to_have_count(0)
    shots.take(page, "calibration-marketer")
