"""The dashboard page and its CSV exports: what each role sees, the filters, the numbers
(the KPI layer's, and the API's in the CSV), the campaign table's order and attribution,
and the page's query count."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alignment.models import Preferences, TeamCalendar
from campaigns.models import Channel
from handoffs.models import Handoff
from kpis.dashboard import SECTIONS, show
from kpis.forms import preset_dates
from kpis.goals import team_today
from kpis.models import Goal
from kpis.queries import DEFAULT_METRICS, Period, Scope, compare, rep_rows, summary, trends
from kpis.rollups import refresh_rollups
from leads.models import Stage
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory, UserFactory
from tests.kpis.builders import at, history, lead_created, opened
from tests.pages.dashboard_page import dashboard
from tests.pages.dashboard_story import busy_weeks

URL = reverse("kpis:dashboard")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
MARCH_PERIOD = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31))


def export(table: str) -> str:
    return reverse("kpis:export", args=[table])


def rows_of(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def march(db, marketer, rep):
    """The marketer's campaign W (webinar, 300 spent) and campaign E (email, 100 spent,
    nobody's).

    - w1 (W, the rep's): touched by W on 1 March, then by E on the 4th; an MQL on the
      2nd, claimed by the rep 20 minutes after its handoff opened, contacted 40 minutes
      later, SQL on the 5th, won on the 9th for 1000;
    - w2 (W): sent back by the rep (no need);
    - e1 (E): a lead, nothing more.

    So in March: 3 leads, 1 MQL, 1 SQL, 1 won for 1000, 400 spent: ROI +150 %. The
    campaign table's revenue goes to W under first touch (ROI +233 %), to E under last
    touch, half each under linear (W +67 %, E +400 %).
    """
    webinar = CampaignFactory(name="W", channel=Channel.WEBINAR, owner=marketer)
    email = CampaignFactory(name="E", channel=Channel.EMAIL)
    CostEntryFactory(campaign=webinar, date=at(2).date(), amount=Decimal("300"))
    CostEntryFactory(campaign=email, date=at(2).date(), amount=Decimal("100"))
    w1 = lead_created(at(1), webinar, owner=rep)
    TouchpointFactory(lead=w1, campaign=webinar, occurred_at=at(1))
    TouchpointFactory(lead=w1, campaign=email, occurred_at=at(4))
    history(w1, ("mql", at(2)), ("sal", at(2, 10, 20)), ("sql", at(5)), ("won", at(9), 1000))
    opened(w1, at(2), claimed_at=at(2, 10, 20), claimed_by=rep, first_contact_at=at(2, 11))
    w2 = lead_created(at(6), webinar)
    opened(
        w2,
        at(6),
        routed_to=rep,
        rejected_by=rep,
        status=Handoff.Status.REJECTED,
        rejected_at=at(6, 10, 30),
        rejection_reason="no_need",
    )
    lead_created(at(7), email)
    return {"webinar": webinar, "email": email}


def headings(body: str) -> list[str]:
    return re.findall(r'<h2[^>]*id="[a-z]+-title"[^>]*>([^<]+)</h2>', body)


def campaign_names(response) -> list[str]:
    return [item["row"].name for item in response.context["campaigns"]]


def roi_cells(body: str) -> list[str]:
    return re.findall(r'<td class="num" data-column="roi">([^<]*)</td>', body)


def card(response, name: str):
    return next(c for _, group in response.context["cards"] for c in group if c.name == name)


# Sections and numbers ----------------------------------------------------------------------


def test_a_manager_sees_every_section_in_order(client_as, manager, march):
    body = dashboard(client_as(manager), MARCH).content.decode()

    assert headings(body) == [
        "Goals",
        "Funnel",
        "Speed to lead",
        "Key numbers",
        "Trends",
        "Campaigns",
        "Reps",
    ]
    assert "You and the team" not in body
    assert body.count('class="chart"') == 4


def test_the_numbers_are_the_kpi_layers(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)

    numbers = compare(MARCH_PERIOD)
    assert response.context["numbers"] == summary(MARCH_PERIOD)
    assert response.context["comparison"].current == numbers.current
    for _, group in response.context["cards"]:
        for shown in group:
            assert shown.value == show(shown.name, numbers.current[shown.name]), shown.name


def test_the_cards_read_as_worked_out_by_hand(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)
    body = response.content.decode()

    assert (card(response, "leads").value, card(response, "sqls").value) == ("3", "1")
    assert card(response, "won_amount").value == "1,000.00\u00a0EUR"
    assert card(response, "spend").value == "400.00\u00a0EUR"
    assert card(response, "cost_per_lead").value == "133.33\u00a0EUR"
    assert card(response, "roi").value == "+150 %"
    assert card(response, "acceptance_rate").value == "50.0 %"
    assert '<span class="kpi__value kpi__value--sm">1,000.00\u00a0EUR</span>' in body


def test_each_card_compares_with_the_period_before(client_as, manager, march):
    lead_created(at(20, month=2), march["email"])
    CostEntryFactory(campaign=march["email"], date=at(20, month=2).date(), amount=200)

    response = dashboard(client_as(manager), MARCH)

    leads, spend = card(response, "leads"), card(response, "spend")
    assert (leads.direction, leads.change, leads.previous, leads.tone) == (
        "up",
        "200 %",
        "1",
        "good",
    )
    # Spend going up is not good news by itself.
    assert (spend.direction, spend.change, spend.tone) == ("up", "100 %", "bad")
    body = response.content.decode()
    assert '<span class="delta delta--good"><span aria-hidden="true">▲</span>' in body


def test_a_card_with_nothing_before_shows_a_dash(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)

    roi = card(response, "roi")
    assert (roi.direction, roi.previous) == ("", "—")
    assert "nothing to compare with" in response.content.decode()


def test_a_rate_moves_in_points(client_as, manager, march):
    lead = lead_created(at(20, month=2), march["email"])
    opened(lead, at(20, month=2), claimed_at=at(20, 10, 5, month=2), claimed_by=UserFactory())

    acceptance = card(dashboard(client_as(manager), MARCH), "acceptance_rate")

    assert (acceptance.direction, acceptance.change, acceptance.tone) == ("down", "50.0 pts", "bad")


def test_work_nobody_owns_is_highlighted(client_as, manager, march):
    lead_created(at(8), march["email"], stage=Stage.SQL)

    response = dashboard(client_as(manager), MARCH)

    unowned = card(response, "unowned_leads")
    assert (unowned.value, unowned.alert) == ("1", True)
    assert 'class="card kpi kpi--alert" data-metric="unowned_leads"' in response.content.decode()


def test_speed_to_lead_shows_each_step_with_its_median_and_p90(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)

    steps = {step["step"]: step for step in response.context["speed"]}
    assert (steps["claim"]["median"], steps["contact"]["median"]) == (20.0, 40.0)
    body = response.content.decode()
    assert '<th scope="row">MQL → claimed</th><td class="num">20 min</td>' in body


def test_the_trends_are_drawn_by_week_with_the_kpi_layers_values(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)

    series = trends(
        ["leads", "mqls", "sqls", "won_amount"],
        interval="week",
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
    )
    charts = response.context["charts"]
    assert [chart["name"] for chart in charts] == ["leads", "mqls", "sqls", "won_amount"]
    body = response.content.decode()
    # March 2026 touches the weeks from Monday 23 February to Monday 30 March.
    assert len(series["leads"]) == 6
    assert "<title>23 Feb: 1</title>" in body
    assert f"<title>9 Mar: {show('won_amount', Decimal('1000.00'))}</title>" in body


def test_the_trends_count_by_month_when_asked(client_as, manager, march):
    response = dashboard(client_as(manager), {**MARCH, "interval": "month"})

    assert response.context["query"].interval == "month"
    assert "<title>Mar 2026: 3</title>" in response.content.decode()


def test_a_long_period_is_drawn_by_month_unless_told_otherwise(client_as, manager, march):
    params = {"start": "2025-04-01", "end": "2026-03-31"}

    assert dashboard(client_as(manager), params).context["query"].interval == "month"
    assert dashboard(client_as(manager), MARCH).context["query"].interval == "week"


# Goals -------------------------------------------------------------------------------------


def test_goals_running_today_show_their_progress(client_as, manager, march):
    today = team_today()
    Goal.objects.create(
        metric="sqls", period_start=today.replace(day=1), period_end=today, target=10
    )
    Goal.objects.create(
        metric="won",
        period_start=today - timedelta(days=90),
        period_end=today - timedelta(days=1),
        target=1,
    )

    body = dashboard(client_as(manager)).content.decode()

    assert body.count('role="progressbar"') == 1
    assert 'href="/dashboard/goals/?active=true"' in body


def test_without_goals_a_manager_is_invited_to_set_one(client_as, manager):
    body = dashboard(client_as(manager)).content.decode()

    assert "No goal is running" in body
    assert 'href="/dashboard/goals/#goal-form-title">Set a goal</a>' in body


def test_without_goals_a_rep_is_told_who_sets_them(client_as, rep):
    body = dashboard(client_as(rep)).content.decode()

    assert "Managers set the targets both teams share" in body
    assert "Set a goal</a>" not in body


def test_the_dashboard_shows_a_few_goals_and_links_to_the_rest(client_as, manager):
    today = team_today()
    for _ in range(8):
        Goal.objects.create(metric="sqls", period_start=today, period_end=today, target=5)

    response = dashboard(client_as(manager))

    assert len(response.context["goals"]) == 6
    assert "All goals running now" in response.content.decode()


# The campaign table ------------------------------------------------------------------------


def test_the_campaign_table_follows_the_attribution_model(client_as, manager, march):
    browser = client_as(manager)

    first = dashboard(browser, MARCH).content.decode()
    linear = dashboard(browser, {**MARCH, "attribution": "linear"}).content.decode()
    last = dashboard(browser, {**MARCH, "attribution": "last_touch"}).content.decode()

    assert roi_cells(first) == ["+233 %", "-100 %"]
    assert roi_cells(linear) == ["+67 %", "+400 %"]
    assert roi_cells(last) == ["-100 %", "+900 %"]
    chosen = '<a href="?start=2026-03-01&amp;end=2026-03-31&amp;attribution=linear"'
    assert f'{chosen} aria-current="true">Linear</a>' in linear


def test_the_campaign_table_sorts_by_a_column_either_way(client_as, manager, march):
    browser = client_as(manager)

    by_spend = dashboard(browser, MARCH)
    by_leads_up = dashboard(browser, {**MARCH, "sort": "leads"})
    by_roi = dashboard(browser, {**MARCH, "sort": "-roi", "attribution": "linear"})

    assert campaign_names(by_spend) == ["W", "E"]
    assert campaign_names(by_leads_up) == ["E", "W"]
    assert campaign_names(by_roi) == ["E", "W"]
    header = by_leads_up.content.decode().split('aria-sort="ascending"')[1][:200]
    assert "sort=-leads" in header


def test_the_no_campaign_row_comes_last_whatever_the_order(client_as, manager, march, rep):
    lonely = lead_created(at(10), None, owner=rep)
    history(lonely, ("mql", at(11)), ("sql", at(12)))

    for sort in ("-spend", "spend", "name", "-name", "-sqls"):
        names = campaign_names(dashboard(client_as(manager), {**MARCH, "sort": sort}))
        assert names[-1] == "No campaign", sort


def test_rows_with_nothing_to_divide_come_after_the_others(client_as, manager, march):
    CampaignFactory(name="Quiet")
    CostEntryFactory(campaign=CampaignFactory(name="Spent only"), date=at(3).date(), amount=50)

    for sort in ("cost_per_sql", "-cost_per_sql"):
        names = campaign_names(dashboard(client_as(manager), {**MARCH, "sort": sort}))
        assert names[-2:] == ["E", "Spent only"], sort


def test_the_top_rejection_reason_is_named(client_as, manager, march):
    body = dashboard(client_as(manager), MARCH).content.decode()

    assert 'No need right now <span class="subtle">(1)</span>' in body


# Filters -----------------------------------------------------------------------------------


def test_the_channel_filter_narrows_every_number(client_as, manager, march):
    response = dashboard(client_as(manager), {**MARCH, "channel": "email"})

    assert response.context["query"].scope == Scope(channel="email")
    assert campaign_names(response) == ["E"]
    assert card(response, "spend").value == "100.00\u00a0EUR"


def test_the_owner_filter_shows_their_leads(client_as, manager, march, rep):
    response = dashboard(client_as(manager), {**MARCH, "owner": rep.pk})

    assert response.context["query"].scope == Scope(owner=rep.pk)
    assert card(response, "leads").value == "1"


def test_the_owner_filter_offers_marketers_and_reps(client_as, manager, marketer, rep):
    choices = dashboard(client_as(manager)).context["form"].fields["owner"].queryset

    assert set(choices) == {marketer, rep}


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("this_month", date(2026, 5, 1), date(2026, 5, 20)),
        ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
        ("this_quarter", date(2026, 4, 1), date(2026, 5, 20)),
        ("30", date(2026, 4, 21), date(2026, 5, 20)),
        ("90", date(2026, 2, 20), date(2026, 5, 20)),
    ],
)
def test_each_preset_period_has_its_days(preset, first, last):
    assert preset_dates(preset, date(2026, 5, 20)) == (first, last)


def test_a_preset_period_is_named_and_compared_with_the_days_before(client_as, manager):
    today = timezone.localdate()

    response = dashboard(client_as(manager), {"period": "last_month"})

    first, last = preset_dates("last_month", today)
    assert response.context["period"] == Period.from_dates(first, last)
    body = response.content.decode()
    assert f"<strong>{first:%B %Y}</strong>" in body
    assert "each against" in body


def test_a_preset_wins_over_dates_left_from_before(client_as, manager):
    response = dashboard(client_as(manager), {"period": "90", **MARCH})

    first, last = preset_dates("90", timezone.localdate())
    assert response.context["period"] == Period.from_dates(first, last)


def test_dates_alone_are_a_custom_period(client_as, manager, march):
    response = dashboard(client_as(manager), MARCH)

    assert response.context["period"] == MARCH_PERIOD
    assert "<strong>1 Mar 2026 – 31 Mar 2026</strong>" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "forever"}, "Select a valid choice"),
        ({"start": "2026-03-09", "end": "2026-03-01"}, "The end comes before the start."),
        ({"period": "custom", "start": "2026-03-01"}, "Give both dates, or pick a preset period."),
        ({"start": "1066-10-14", "end": "2026-03-01"}, "Give a date between"),
        ({"start": "2026-13-45", "end": "2026-03-01"}, "Enter a valid date."),
        ({"channel": "smoke_signals"}, "Select a valid choice"),
        ({"campaign": "999999"}, "Select a valid choice"),
        ({"owner": "nobody"}, "Select a valid choice"),
        ({"attribution": "u_shaped"}, "Attribution: Select a valid choice"),
        ({"interval": "fortnight"}, "Trend by: Select a valid choice"),
        ({"sort": "vibes"}, "Campaign table order: Select a valid choice"),
        (
            {"start": "2016-01-01", "end": "2026-01-01", "interval": "week"},
            "A trend draws at most 157 weeks: count by month.",
        ),
    ],
)
def test_bad_filters_are_explained_on_the_page(client_as, manager, params, message):
    response = dashboard(client_as(manager), params)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_days_are_the_teams_whoever_reads_the_page(client_as, manager, settings):
    settings.TIME_ZONE = "UTC"
    TeamCalendar.objects.filter(pk=1).update(time_zone="Europe/Berlin")
    Preferences.objects.create(user=manager, time_zone="America/New_York")
    lead_created(datetime(2026, 1, 31, 23, 30, tzinfo=UTC))  # 1 February, 00:30 in Berlin
    browser = client_as(manager)

    january = dashboard(browser, {"start": "2026-01-01", "end": "2026-01-31"})
    february = dashboard(browser, {"start": "2026-02-01", "end": "2026-02-28"})
    csv_february = rows_of(
        browser.get(export("summary"), {"start": "2026-02-01", "end": "2026-02-28"})
    )

    assert (card(january, "leads").value, card(february, "leads").value) == ("0", "1")
    assert csv_february[0] == {
        "metric": "leads",
        "label": "Leads",
        "kind": "count",
        "value": "1",
        "previous": "0",
        "currency": "",
    }


def test_a_bad_filter_leaves_the_good_ones_in_force(client_as, manager, march):
    response = client_as(manager).get(
        URL, {**MARCH, "channel": "email", "sort": "vibes", "attribution": "linear"}
    )

    query = response.context["query"]
    assert (query.period, query.scope, query.attribution, query.sort) == (
        MARCH_PERIOD,
        Scope(channel="email"),
        "linear",
        "-spend",
    )


def test_the_filter_bar_keeps_the_tables_choices(client_as, manager):
    body = dashboard(client_as(manager), {"attribution": "linear", "sort": "roi"}).content.decode()

    form = body.split('aria-label="Dashboard filters"')[1].split("</form>")[0]
    assert '<input type="hidden" name="attribution" value="linear">' in form
    assert '<input type="hidden" name="sort" value="roi">' in form


# Roles -------------------------------------------------------------------------------------


def test_a_marketer_starts_from_their_own_campaigns(client_as, marketer, march):
    response = dashboard(client_as(marketer), MARCH)

    assert response.context["query"].scope == Scope(owner=marketer.pk)
    assert campaign_names(response) == ["W"]
    assert card(response, "spend").value == "300.00\u00a0EUR"
    body = response.content.decode()
    assert 'href="?start=2026-03-01&amp;end=2026-03-31&amp;whose=everyone"' in body
    assert 'name="owner"' not in body


def test_a_marketer_may_look_at_everyones_numbers(client_as, marketer, march):
    response = dashboard(client_as(marketer), {**MARCH, "whose": "everyone"})

    assert response.context["query"].scope == Scope()
    assert campaign_names(response) == ["W", "E"]
    assert 'name="owner"' in response.content.decode()


def test_a_manager_is_not_offered_mine_and_everyone(client_as, manager, march):
    response = dashboard(client_as(manager), {**MARCH, "whose": "mine"})

    assert response.context["query"].scope == Scope()
    assert 'aria-label="Whose numbers"' not in response.content.decode()


def test_a_rep_sees_their_speed_and_win_rate_next_to_the_teams(client_as, rep, march):
    response = dashboard(client_as(rep), MARCH)

    you = response.context["you"]
    team = compare(MARCH_PERIOD).current
    lines = {line["label"]: line for line in you["lines"]}
    assert lines["Time to claim (median)"]["you"] == "20 min"
    assert lines["Time to claim (median)"]["team"] == show(
        "speed_to_claim_minutes_median", team["speed_to_claim_minutes_median"]
    )
    assert lines["Win rate"]["you"] == "100.0 %"
    assert you["row"] == next(row for row in rep_rows(MARCH_PERIOD) if row.rep == rep.pk)
    body = response.content.decode()
    assert "You and the team" in body
    assert '<tr class="row--me">' in body


def test_a_rep_with_no_numbers_is_told_so(client_as, other_rep, march):
    body = dashboard(client_as(other_rep), MARCH).content.decode()

    assert "No handoff or deal of yours in this period" in body


def test_a_rep_reads_campaign_names_without_links_to_pages_they_cannot_open(
    client_as, rep, manager, march
):
    link = f'href="/campaigns/{march["webinar"].pk}/"'

    assert link not in dashboard(client_as(rep), MARCH).content.decode()
    assert link in dashboard(client_as(manager), MARCH).content.decode()


def test_someone_without_a_role_cannot_open_the_dashboard(client_as, outsider):
    assert dashboard(client_as(outsider)).status_code == 403


def test_the_dashboard_asks_visitors_to_log_in(client):
    response = dashboard(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# CSV exports -------------------------------------------------------------------------------


def test_every_table_offers_its_csv_with_the_pages_filters(client_as, manager, march):
    body = dashboard(client_as(manager), {**MARCH, "attribution": "linear"}).content.decode()

    for table in ("summary", "trend", "campaigns", "reps"):
        assert (
            f'href="/dashboard/export/{table}.csv?start=2026-03-01&amp;end=2026-03-31'
            f'&amp;attribution=linear" download>Download CSV' in body
        )


def test_the_campaign_csv_is_a_download_for_excel(client_as, manager, march):
    response = client_as(manager).get(export("campaigns"), MARCH)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tandem-campaigns-2026-03-01-2026-03-31.csv"'
    )
    assert response.content.startswith("\ufeff".encode())


@pytest.mark.parametrize("attribution", ["first_touch", "last_touch", "linear"])
def test_the_campaign_csv_says_what_the_api_says(client_as, api_as, manager, march, attribution):
    params = {**MARCH, "attribution": attribution}

    rows = rows_of(client_as(manager).get(export("campaigns"), params))
    api = api_as(manager).get("/api/v1/kpis/campaigns/", params).json()

    assert [row["name"] for row in rows] == [row["name"] for row in api]
    for row, expected in zip(rows, api, strict=True):
        for name, value in expected.items():
            if name == "rejection_reasons":
                continue
            assert same(row[name], value), (row["name"], name)
        assert row["currency"] == "EUR"


def same(cell: str, value) -> bool:
    """A CSV cell and an API value say the same: numbers as numbers, null as empty."""
    if value is None:
        return cell == ""
    if isinstance(value, int | float) or re.fullmatch(r"-?\d+\.\d+", str(value)):
        return Decimal(cell) == Decimal(str(value))
    return cell == str(value)


def test_the_rep_csv_says_what_the_api_says(client_as, api_as, manager, march):
    rows = rows_of(client_as(manager).get(export("reps"), MARCH))
    api = api_as(manager).get("/api/v1/kpis/reps/", MARCH).json()

    assert len(rows) == len(api) > 0
    for row, expected in zip(rows, api, strict=True):
        for name, value in expected.items():
            assert same(row[name], value), (row["username"], name)


def test_the_trend_csv_says_what_the_api_says(client_as, api_as, manager, march):
    rows = rows_of(client_as(manager).get(export("trend"), MARCH))

    assert list(rows[0]) == [
        "period_start",
        "period_end",
        "leads",
        "mqls",
        "sqls",
        "won_amount",
        "currency",
    ]
    for metric in ("leads", "mqls", "sqls", "won_amount"):
        api = (
            api_as(manager)
            .get("/api/v1/kpis/trend/", {**MARCH, "metric": metric, "interval": "week"})
            .json()
        )
        assert [(row["period_start"], row[metric]) for row in rows] == [
            (point["period_start"], str(point["value"])) for point in api
        ], metric


def test_the_trend_csv_draws_any_kpi_asked_for(client_as, manager, march):
    rows = rows_of(
        client_as(manager).get(
            export("trend"), {**MARCH, "interval": "month", "metric": ["roi", "spend"]}
        )
    )

    assert rows == [
        {
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "roi": "1.5",
            "spend": "400.00",
            "currency": "EUR",
        }
    ]


def test_the_summary_csv_has_every_kpi_with_the_period_before(client_as, api_as, manager, march):
    rows = rows_of(client_as(manager).get(export("summary"), MARCH))
    api = api_as(manager).get("/api/v1/kpis/summary/", MARCH).json()

    assert [row["metric"] for row in rows] == DEFAULT_METRICS
    for row in rows:
        name = row["metric"]
        assert same(row["value"], api[name]), name
        assert same(row["previous"], api["previous"].get(name)), name
        assert row["currency"] == ("EUR" if row["kind"] == "money" else "")
    assert next(row for row in rows if row["metric"] == "leads")["label"] == "Leads"


def test_the_csv_defuses_text_a_spreadsheet_would_run(client_as, manager, march):
    for name in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"):
        campaign = CampaignFactory(name=name)
        CostEntryFactory(campaign=campaign, date=at(3).date(), amount=1)

    rows = rows_of(client_as(manager).get(export("campaigns"), MARCH))

    names = {row["name"] for row in rows}
    assert {'\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)"} <= names
    # Numbers are numbers, a negative one included.
    assert next(row for row in rows if row["name"] == "E")["roi"] == "-1.0"


def test_the_csv_follows_the_marketers_own_view(client_as, marketer, march):
    mine = rows_of(client_as(marketer).get(export("campaigns"), MARCH))
    everyone = rows_of(client_as(marketer).get(export("campaigns"), {**MARCH, "whose": "everyone"}))

    assert [row["name"] for row in mine] == ["W"]
    assert [row["name"] for row in everyone] == ["W", "E"]


def test_the_campaign_csv_keeps_the_pages_order(client_as, manager, march):
    rows = rows_of(client_as(manager).get(export("campaigns"), {**MARCH, "sort": "leads"}))

    assert [row["name"] for row in rows] == ["E", "W"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start": "2026-03-09", "end": "2026-03-01"}, "end: The end comes before the start."),
        ({"attribution": "u_shaped"}, "attribution: Select a valid choice"),
        ({"start": "2026-03-09"}, "period: Give both dates, or pick a preset period."),
        ({"metric": "unowned_leads"}, "metric: unowned_leads cannot be drawn"),
    ],
)
def test_a_csv_with_bad_filters_is_refused_with_the_reason(client_as, manager, params, words):
    table = "trend" if "metric" in params else "campaigns"

    response = client_as(manager).get(export(table), params)

    assert response.status_code == 400
    assert words in response.content.decode()


def test_an_unknown_table_is_not_found(client_as, manager):
    assert client_as(manager).get("/dashboard/export/secrets.csv").status_code == 404


@pytest.mark.parametrize("persona", ["marketer", "rep", "manager"])
def test_every_role_downloads_the_tables(request, client_as, persona):
    browser = client_as(request.getfixturevalue(persona))

    for table in ("summary", "trend", "campaigns", "reps"):
        assert browser.get(export(table)).status_code == 200, table


def test_someone_without_a_role_cannot_download_a_table(client_as, client, outsider):
    assert client_as(outsider).get(export("campaigns")).status_code == 403
    assert client.get(export("campaigns")).status_code == 302


# Queries -----------------------------------------------------------------------------------


def page_queries(browser, params) -> dict[str, int]:
    """The queries of the page and of each of its sections (a request each)."""
    counts = {}
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(URL, params)
    assert response.status_code == 200
    counts["page"] = len(queries)
    for name in SECTIONS:
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(
                reverse("kpis:section", args=[name]), params, headers={"HX-Request": "true"}
            )
        if response.status_code == 404:  # "you" is for sales reps
            continue
        assert response.status_code == 200
        counts[name] = len(queries)
    return counts


def test_the_page_costs_the_same_queries_for_three_or_twelve_of_everything(
    client_as, manager, marketer
):
    """Campaigns, reps, goals and weeks don't add queries: 3 of each for four weeks cost
    what 12 of each cost for twelve weeks, in the page and in each of its sections, and
    none of them asks more than 10."""
    today = team_today()
    reps = [UserFactory(roles=["sales"]) for _ in range(3)]
    busy_weeks(date(2026, 3, 31), campaigns=3, reps=reps, owner=marketer, days=28)
    for metric in ("sqls", "won", "mqls"):
        Goal.objects.create(metric=metric, period_start=today, period_end=today, target=5)
    browser = client_as(manager)
    dashboard(browser)  # the first request of a client warms caches up
    few = page_queries(browser, {"start": "2026-03-04", "end": "2026-03-31"})

    reps += [UserFactory(roles=["sales"]) for _ in range(9)]
    busy_weeks(date(2026, 3, 31), campaigns=9, reps=reps, owner=marketer, days=84)
    for n in range(9):
        metric = ("sqls", "won", "mqls")[n % 3]
        Goal.objects.create(metric=metric, period_start=today, period_end=today, target=5)
    many = page_queries(browser, {"start": "2026-01-07", "end": "2026-03-31"})

    assert few == many
    assert set(few) == {"page", "goals", "numbers", "trends", "campaigns", "reps"}
    assert max(few.values()) <= 10, few


def test_the_page_says_how_old_the_rolled_up_figures_are(
    client_as, manager, march, django_capture_on_commit_callbacks
):
    browser = client_as(manager)
    assert "as it is now" in browser.get(URL, MARCH).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        rollup = refresh_rollups()
    body = browser.get(URL, MARCH).content.decode()

    assert f"as of {timezone.localtime(rollup.refreshed_at):%-d %b %H:%M}" in body
    assert "every 5 minutes" in body


def test_a_section_alone_is_a_page_without_javascript(client_as, manager, march):
    response = client_as(manager).get(reverse("kpis:section", args=["campaigns"]), MARCH)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Dashboard: campaign table</h1>" in body
    assert "Back to the dashboard" in body and 'class="table table--compact campaign-table"' in body


def test_a_rep_only_section_is_not_found_for_others(client_as, marketer):
    assert client_as(marketer).get(reverse("kpis:section", args=["you"])).status_code == 404
    assert client_as(marketer).get(reverse("kpis:section", args=["nope"])).status_code == 404
