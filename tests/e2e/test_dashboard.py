"""The dashboard in a real browser: a manager switches the attribution model and the
period, reads the charts and downloads the campaign table; each role's view.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the dashboard as the
manager, the marketer and the rep see it.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from kpis.models import Goal
from tests.pages.dashboard_story import busy_weeks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_NAME = (
    "Northern Europe enterprise data platform webinar series for heads of revenue "
    "operations, spring edition"
)


@pytest.fixture
def story(manager, marketer, rep, other_rep):
    today = timezone.localdate()
    made = busy_weeks(
        today,
        campaigns=6,
        reps=[rep, other_rep],
        owner=marketer,
        days=90,
        leads_per_campaign=10,
        names=[LONG_NAME, "Pricing page retargeting", "Q3 newsletter"],
    )
    # The marketer owns the first three; the others are someone else's.
    Campaign.objects.filter(pk__in=[campaign.pk for campaign in made[3:]]).update(owner=None)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    Goal.objects.create(
        metric="sqls",
        period_kind=Goal.PeriodKind.QUARTER,
        period_start=quarter,
        period_end=(quarter + timedelta(days=92)).replace(day=1) - timedelta(days=1),
        target=Decimal(40),
    )
    Goal.objects.create(
        metric="sla_compliance_rate",
        period_kind=Goal.PeriodKind.CUSTOM,
        period_start=today - timedelta(days=13),
        period_end=today + timedelta(days=14),
        target=Decimal("0.9"),
    )
    return made


def test_a_manager_switches_the_model_and_the_period_and_downloads_the_campaigns(
    open_as, shots, story, tmp_path
):
    page = open_as("max", width=1366, height=900)
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.get_by_role("progressbar")).to_have_count(2)
    expect(page.locator(".dashboard-section--loading")).to_have_count(0)  # htmx loaded them
    table = page.locator("table.campaign-table")
    roi_first_touch = table.locator("td[data-column=roi]").all_inner_texts()

    linear = page.get_by_role("navigation", name="Attribution model").get_by_role(
        "link", name="Linear"
    )
    linear.click()
    expect(linear).to_have_attribute("aria-current", "true")
    assert "attribution=linear" in page.url
    expect(page.locator(".dashboard-section--loading")).to_have_count(0)  # htmx loaded them
    assert table.locator("td[data-column=roi]").all_inner_texts() != roi_first_touch

    page.get_by_label("Period", exact=True).select_option("90")
    page.get_by_label("Channel", exact=True).select_option("webinar")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=90"))
    assert "attribution=linear" in page.url
    expect(page.locator(".page-header strong")).to_have_text("Last 90 days")
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.locator(".dashboard-section--loading")).to_have_count(0)  # htmx loaded them
    names = table.locator("td.cell-name .cell-title > :first-child").all_inner_texts()
    assert names and all(name.startswith(("Northern", "Campaign 6")) for name in names)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of the campaign table").click()
    saved = tmp_path / "campaigns.csv"
    download.value.save_as(saved)
    assert re.fullmatch(
        r"tandem-campaigns-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv", download.value.suggested_filename
    )
    rows = list(csv.DictReader(io.StringIO(Path(saved).read_text(encoding="utf-8-sig"))))
    assert [row["name"] for row in rows] == names
    assert {row["attribution"] for row in rows} == {"linear"}
    assert {row["channel"] for row in rows} == {"webinar"}

    # The page is never wider than the screen: the long campaign name wraps or scrolls
    # inside the table's card.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def page_amount(text: str) -> Decimal | None:
    """``12,400.00`` as the campaign table writes money; "—" for none."""
    return None if text == "—" else Decimal(text.replace(",", ""))


def page_percent(text: str) -> float | None:
    """``25.0 %`` or ``+150 %`` as a fraction of 1; "—" for none."""
    return None if text == "—" else float(text.removesuffix(" %")) / 100


def csv_amount(cell: str) -> Decimal | None:
    return Decimal(cell).quantize(Decimal("0.01")) if cell else None


def csv_rate(cell: str) -> float | None:
    return float(cell) if cell else None


def same_rate(shown: float | None, exported: float | None, *, within: float) -> bool:
    if shown is None or exported is None:
        return shown is exported
    return abs(shown - exported) <= within


def test_a_manager_filters_by_channel_and_the_csv_has_the_same_rows_and_numbers(
    open_as, manager, marketer, rep, other_rep, tmp_path
):
    """Four campaigns, two by email and two by webinar: filtered to email, the table and
    its CSV list the two email campaigns and nothing else, with the same numbers."""
    made = busy_weeks(
        timezone.localdate(),
        campaigns=4,
        reps=[rep, other_rep],
        owner=marketer,
        days=28,
        leads_per_campaign=6,
        names=["Spring webinar", "Spring newsletter", "Autumn webinar", "Autumn newsletter"],
    )
    for campaign, channel in zip(made, ["webinar", "email", "webinar", "email"], strict=True):
        Campaign.objects.filter(pk=campaign.pk).update(channel=channel)

    page = open_as("max", width=1366, height=900)
    page.get_by_role("link", name="Dashboard").first.click()
    table = page.locator("table.campaign-table")
    names = table.locator("td.cell-name .cell-title > :first-child")
    expect(names).to_have_count(4)

    page.get_by_label("Channel", exact=True).select_option("email")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"channel=email"))
    expect(page.get_by_label("Channel", exact=True)).to_have_value("email")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == ["Autumn newsletter", "Spring newsletter"]
    assert table.locator("td.cell-name .cell-title > span").all_inner_texts() == ["Email"] * 2
    shown = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of the campaign table").click()
    saved = tmp_path / "campaigns.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(Path(saved).read_text(encoding="utf-8-sig"))))

    # The same campaigns in the same order, and every number the page shows.
    assert [row["name"] for row in rows] == names.all_inner_texts()
    assert {row["channel"] for row in rows} == {"email"}
    for row, cells in zip(rows, shown, strict=True):
        assert page_amount(cells[1]) == csv_amount(row["spend"])
        assert [int(cell) for cell in cells[2:6]] == [
            int(row[name]) for name in ("leads", "mqls", "sqls", "won")
        ]
        assert page_amount(cells[6]) == csv_amount(row["attributed_won_amount"])
        assert page_amount(cells[7]) == csv_amount(row["cost_per_lead"])
        assert page_amount(cells[8]) == csv_amount(row["cost_per_sql"])
        # The page rounds ROI to whole percents and acceptance to tenths of one.
        assert same_rate(page_percent(cells[9]), csv_rate(row["roi"]), within=0.005)
        assert same_rate(page_percent(cells[10]), csv_rate(row["acceptance_rate"]), within=0.0005)
        reason = row["top_rejection_reason_label"]
        if reason:
            assert cells[11].startswith(f"{reason} (")
        else:
            assert cells[11] == "—"
    # Not an empty table agreeing with an empty file: the email leads were there.
    assert sum(int(row["leads"]) for row in rows) == 12
    assert all(page_amount(cells[1]) for cells in shown)


def test_screenshots_of_the_dashboard_for_each_role(open_as, shots, story, live_server):
    if not shots:
        pytest.skip("Set E2E_SCREENSHOTS to a folder to take the screenshots.")
    for username, name in [("max", "manager"), ("mia", "marketer"), ("sam", "rep")]:
        page = open_as(username, width=1366, height=900)
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.locator("svg.chart")).to_have_count(4)
        expect(page.locator(".dashboard-section--loading")).to_have_count(0)  # htmx loaded them
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        shots.take(page, f"dashboard-{name}")
    narrow = open_as("max", width=1024, height=800)
    narrow.goto(f"{live_server.url}/dashboard/")
    expect(narrow.locator(".dashboard-section--loading")).to_have_count(0)
    shots.take(narrow, "dashboard-manager-1024")
    # Printed on A4: about 794 CSS pixels wide.
    printed = open_as("max", width=794, height=1123)
    printed.goto(f"{live_server.url}/dashboard/")
    expect(printed.locator(".dashboard-section--loading")).to_have_count(0)
    printed.emulate_media(media="print")
    shots.take(printed, "dashboard-manager-print")
