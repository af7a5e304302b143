"""The goals page in a real browser: a manager sets a quarterly SQL goal and reads its
pace; a rep sets one for themselves.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the page as each sees it.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis.models import Goal
from leads.models import Stage
from tests.factories import LeadFactory, StageChangeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def this_quarter():
    today = timezone.localdate()
    return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)


def test_a_manager_sets_a_quarterly_sql_goal_and_reads_its_pace(
    open_as, shots, manager, rep, marketer
):
    for _ in range(3):
        StageChangeFactory(lead=LeadFactory(), to_stage=Stage.SQL, changed_at=timezone.now())

    page = open_as("max", width=1366, height=900)
    page.get_by_role("link", name="Goals").first.click()
    expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible()
    page.get_by_label("KPI").select_option("sqls")
    page.get_by_label("Target").fill("120")
    page.get_by_label("Period").select_option("quarter")
    page.get_by_label("From").fill(this_quarter().isoformat())
    page.get_by_role("button", name="Set goal").click()

    expect(page.get_by_text("Set the goal on SQLs.")).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuetext", re.compile(r"^3 of 120: "))
    expect(page.locator(".goal .pace")).to_have_text(re.compile(r"Behind by|On track|Ahead by"))
    assert Goal.objects.get().period_kind == Goal.PeriodKind.QUARTER
    shots.take(page, "goals-manager")

    mine = open_as("sam", width=1024, height=800)
    mine.goto(page.url)
    mine.get_by_label("KPI").select_option("won")
    mine.get_by_label("Target").fill("5")
    mine.get_by_label("Period").select_option("month")
    mine.get_by_label("From").fill(timezone.localdate().replace(day=1).isoformat())
    mine.get_by_role("button", name="Set goal").click()
    expect(mine.get_by_role("progressbar")).to_have_count(2)
    expect(mine.get_by_role("link", name="Edit")).to_have_count(1)
    shots.take(mine, "goals-rep")

    marketing = open_as("mia", width=1024, height=800)
    marketing.goto(page.url)
    shots.take(marketing, "goals-marketer")
