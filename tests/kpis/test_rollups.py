"""The daily KPI rollups (``kpis.rollups``) and when the queries read them
(``kpis.queries.rollups``), worked out by hand on a small constructed spring.

Days are cut in UTC (the team calendar's zone, unless a test moves it). March 2026
starts on a Sunday: its weeks begin on 23 February, 2, 9, 16, 23 and 30 March.

Campaigns A and B, no spend. Leads (created at 10:00 unless said; each has one page view
of its own campaign when it was created) and their stage history (at 10:00 unless said):

| lead | of | created      | history                                                      |
| r    | A  | 1 Mar 09:00  | mql 2 Mar, recycled 2 Mar 12:00, mql 2 Mar 15:00,            |
|      |    |              | recycled 9 Mar, mql 20 Mar, recycled 21 Mar, mql 3 Apr       |
| s    | B  | 4 Mar        | mql 5 Mar, sal 6 Mar, sql 7 Mar, won 10 Mar (100)            |
| t    | B  | 27 Feb       | mql 28 Feb, recycled 28 Feb 12:00, mql 1 Mar (a Sunday)      |
| w    | A  | 10 Feb       | sql 20 Feb, won 12 Mar (200), sql 13 Mar (reopened),         |
|      |    |              | won 16 Mar (300)                                             |

A lead counts once in a bucket however often it entered the stage there (r, t, w);
won revenue adds up every entry into won (w's two deals).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from alignment.models import TeamCalendar
from kpis.models import DailyCredit, DailyDecisions, DailyLeads, DailyStageEntries, Rollup
from kpis.queries import Period, Scope, campaign_rows, compare, trends, values
from kpis.queries.base import in_kpi_time_zone
from kpis.queries.rollups import latest_rollup
from kpis.rollups import refresh_rollups
from kpis.tasks import refresh_kpi_rollups
from leads.models import Lead
from tests.concurrency import in_threads
from tests.factories import CampaignFactory, TouchpointFactory
from tests.kpis.builders import MARCH, NOW, at, history, lead_created

D = Decimal

#: 10 March – 10 April: 32 days, so the period before it is 6 February – 9 March.
SPRING = Period.from_dates(date(2026, 3, 10), date(2026, 4, 10))
FUNNEL_NAMES = ["leads", "mqls", "sqls", "won", "won_amount", "lead_velocity"]

# fmt: off
#: March, and the period of equal length before it (29 January – 28 February).
MARCH_BY_HAND = {
    "leads": 2,  # r s (t and w were created in February)
    "mqls": 3,  # r (three entries: 2 Mar twice, 20 Mar), s, t (1 Mar)
    "sqls": 2,  # s, w (13 Mar)
    "won": 2,  # s, w (twice)
    "won_amount": D("600.00"),  # 100 + 200 + 300
    "lead_velocity": 2.0,  # (3 − 1) / 1
}
BEFORE_MARCH_BY_HAND = {
    "leads": 2,  # w t
    "mqls": 1,  # t (28 Feb)
    "sqls": 1,  # w (20 Feb)
    "won": 0,
    "won_amount": D("0.00"),
    "lead_velocity": None,  # no MQL from 28 December to 28 January
}
#: 10 March – 10 April, and 6 February – 9 March before it.
SPRING_BY_HAND = {
    "leads": 0,
    "mqls": 1,  # r: 20 Mar and 3 Apr, once
    "sqls": 1,  # w (13 Mar)
    "won": 2,  # s (10 Mar 10:00), w (12 and 16 Mar)
    "won_amount": D("600.00"),  # 100 + 200 + 300
    "lead_velocity": -0.6667,  # (1 − 3) / 3
}
BEFORE_SPRING_BY_HAND = {
    "leads": 4,  # w t r s
    "mqls": 3,  # t (28 Feb and 1 Mar, once), r (2 Mar), s (5 Mar)
    "sqls": 2,  # w (20 Feb), s (7 Mar)
    "won": 0,
    "won_amount": D("0.00"),
    "lead_velocity": None,  # no MQL from 5 January to 5 February
}
#: Week by week, 23 February – 5 April.
WEEKS = [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16),
         date(2026, 3, 23), date(2026, 3, 30)]
WEEKS_BY_HAND = {
    # t (28 Feb, 1 Mar); r (2 Mar twice), s; none (r was recycled); r; none; r (3 Apr)
    "mqls": [1, 2, 0, 1, 0, 1],
    "won": [0, 0, 2, 1, 0, 0],  # s w; w again
    "won_amount": [D(0), D(0), D("300.00"), D("300.00"), D(0), D(0)],  # 100 + 200; 300
    # Against the week before (none in the week of 16 February): from 0 there is no change.
    "lead_velocity": [None, 1.0, -1.0, None, -1.0, None],
}
#: Month by month, February – April.
MONTHS = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
MONTHS_BY_HAND = {
    "mqls": [1, 3, 1],  # t; r s t; r (3 Apr, after 20 Mar)
    "won": [0, 2, 0],
    "won_amount": [D(0), D("600.00"), D(0)],
    "lead_velocity": [None, 2.0, -0.6667],  # none in January; (3 − 1) / 1; (1 − 3) / 3
}
#: The campaign table, March, by the lead's own campaign; attribution (one campaign
#: touched each lead, so every model agrees) credits every entry, so w's two deals.
#: (leads, MQLs, SQLs, won, won revenue, pipeline, attributed won, attributed revenue)
CAMPAIGN_FIELDS = ("leads", "mqls", "sqls", "won", "won_amount", "pipeline", "attributed_won",
                   "attributed_won_amount")
CAMPAIGNS_BY_HAND = {
    "A": (1, 1, 1, 1, D("500.00"), D("1.00"), D("2.00"), D("500.00")),  # r; r; w; w; w w
    "B": (1, 2, 1, 1, D("100.00"), D("1.00"), D("1.00"), D("100.00")),  # s; s t; s; s; s
}
# fmt: on


def spring():
    """The leads of the module docstring; answers the campaigns."""
    a = CampaignFactory(name="A")
    b = CampaignFactory(name="B")

    def lead(when, campaign):
        created = lead_created(when, campaign)
        TouchpointFactory(lead=created, campaign=campaign, occurred_at=when)
        return created

    history(
        lead(at(1, 9), a),
        ("mql", at(2)),
        ("recycled", at(2, 12)),
        ("mql", at(2, 15)),
        ("recycled", at(9)),
        ("mql", at(20)),
        ("recycled", at(21)),
        ("mql", at(3, month=4)),
    )
    history(
        lead(at(4), b),
        ("mql", at(5)),
        ("sal", at(6)),
        ("sql", at(7)),
        ("won", at(10), D(100)),
    )
    history(
        lead(at(27, month=2), b),
        ("mql", at(28, month=2)),
        ("recycled", at(28, 12, month=2)),
        ("mql", at(1)),
    )
    history(
        lead(at(10, month=2), a),
        ("sql", at(20, month=2)),
        ("won", at(12), D(200)),
        ("sql", at(13)),
        ("won", at(16), D(300)),
    )
    return a, b


@pytest.fixture(params=["live", "rolled_up"])
def recycled(request, db):
    """The spring, read twice: from the events, and from the rollups alone (rebuilt,
    then every lead and its history deleted, so no figure can come from the events)."""
    campaigns = spring()
    if request.param == "rolled_up":
        refresh_rollups()
        Lead.objects.all().delete()
    return campaigns


@pytest.fixture
def events(db):
    """The spring, with no rollup yet."""
    return spring()


@pytest.fixture
def refreshed(django_capture_on_commit_callbacks):
    """``refresh_rollups`` as beat runs it: its commit puts the note in the cache."""

    def refresh(**options) -> Rollup:
        with django_capture_on_commit_callbacks(execute=True):
            return refresh_rollups(**options)

    return refresh


def march_lead(campaign, day: int = 15, **fields) -> Lead:
    """A lead created in March, an MQL the day after."""
    lead = lead_created(at(day), campaign, **fields)
    history(lead, ("mql", at(day + 1)))
    return lead


LEADS_AND_MQLS = ["leads", "mqls"]
#: March as the rollup of the spring says it, and with one more lead and MQL.
BEFORE_THE_NEW_LEAD = {"leads": 2, "mqls": 3}
WITH_THE_NEW_LEAD = {"leads": 3, "mqls": 4}


# Leads that enter a stage more than once: live and rolled up alike ---------------------


def test_a_lead_counts_once_in_a_period_however_often_it_entered_the_stage(recycled):
    assert values(MARCH, names=FUNNEL_NAMES, now=NOW) == MARCH_BY_HAND
    assert values(SPRING, names=FUNNEL_NAMES, now=NOW) == SPRING_BY_HAND


def test_the_period_before_counts_its_own_leads_once_too(recycled):
    march = compare(MARCH, names=FUNNEL_NAMES, now=NOW)
    spring_ = compare(SPRING, names=FUNNEL_NAMES, now=NOW)

    assert (march.current, march.previous) == (MARCH_BY_HAND, BEFORE_MARCH_BY_HAND)
    assert spring_.previous_period == Period.from_dates(date(2026, 2, 6), date(2026, 3, 9))
    assert (spring_.current, spring_.previous) == (SPRING_BY_HAND, BEFORE_SPRING_BY_HAND)


def test_a_lead_counts_once_in_each_week_it_entered_the_stage(recycled):
    series = trends(
        list(WEEKS_BY_HAND),
        interval="week",
        start=date(2026, 2, 23),
        end=date(2026, 4, 5),
        now=NOW,
    )

    assert {name: [p.period_start for p in points] for name, points in series.items()} == {
        name: WEEKS for name in WEEKS_BY_HAND
    }
    assert {name: [p.value for p in points] for name, points in series.items()} == WEEKS_BY_HAND


def test_a_lead_counts_once_in_each_month_it_entered_the_stage(recycled):
    series = trends(
        list(MONTHS_BY_HAND),
        interval="month",
        start=date(2026, 2, 1),
        end=date(2026, 4, 30),
        now=NOW,
    )

    assert {name: [p.period_start for p in points] for name, points in series.items()} == {
        name: MONTHS for name in MONTHS_BY_HAND
    }
    assert {name: [p.value for p in points] for name, points in series.items()} == MONTHS_BY_HAND


def test_a_campaign_counts_each_of_its_leads_once(recycled):
    rows = campaign_rows(MARCH)

    assert [row.name for row in rows] == ["A", "B"]
    assert {
        row.name: tuple(getattr(row, field) for field in CAMPAIGN_FIELDS) for row in rows
    } == CAMPAIGNS_BY_HAND


def test_a_campaign_counts_a_lead_once_over_a_period_that_is_not_a_month(recycled):
    # A: r (20 Mar and 3 Apr); B: none (s and t became MQLs before 10 March).
    assert {row.name: row.mqls for row in campaign_rows(SPRING)} == {"A": 1, "B": 0}


# What is read: the rollup while it is fresh and fits, else the events ------------------


def test_the_figures_are_those_of_the_last_refresh(events, refreshed):
    refreshed()
    march_lead(events[0])

    assert values(MARCH, names=LEADS_AND_MQLS) == BEFORE_THE_NEW_LEAD
    refreshed()
    assert values(MARCH, names=LEADS_AND_MQLS) == WITH_THE_NEW_LEAD


@pytest.mark.parametrize(
    ("stale_minutes", "age"),
    [(None, 31), (5, 6)],
    ids=["default limit of 30 minutes", "limit lowered to 5 minutes"],
)
def test_a_rollup_older_than_the_stale_limit_is_not_read(
    events, refreshed, settings, stale_minutes, age
):
    if stale_minutes is not None:
        settings.KPI_ROLLUP_STALE_MINUTES = stale_minutes
    refreshed(now=timezone.now() - timedelta(minutes=age))
    march_lead(events[0])

    assert latest_rollup() is None
    assert values(MARCH, names=LEADS_AND_MQLS) == WITH_THE_NEW_LEAD


def test_a_rollup_within_the_stale_limit_is_read(events, refreshed):
    refreshed(now=timezone.now() - timedelta(minutes=29))
    march_lead(events[0])

    assert values(MARCH, names=LEADS_AND_MQLS) == BEFORE_THE_NEW_LEAD


def test_a_rollup_made_stale_in_the_database_is_not_read(events):
    """Without the note in the cache, the row itself is asked."""
    refresh_rollups()
    Rollup.objects.update(refreshed_at=timezone.now() - timedelta(minutes=31))
    march_lead(events[0])

    assert values(MARCH, names=LEADS_AND_MQLS) == WITH_THE_NEW_LEAD


def test_an_owners_leads_are_read_live_even_with_a_fresh_rollup(events, refreshed, rep):
    """After the refresh, a lead of the rep's: the rep's figures have it, the company's
    (the rollup) not yet."""
    refreshed()
    march_lead(events[0], owner=rep)

    assert values(MARCH, Scope(owner=rep.pk), LEADS_AND_MQLS) == {"leads": 1, "mqls": 1}
    assert values(MARCH, names=LEADS_AND_MQLS) == BEFORE_THE_NEW_LEAD


def test_a_period_that_starts_at_noon_is_read_live(events, refreshed):
    """From 1 March 12:00 to 1 April: not r (created at 09:00) nor t's MQL (10:00), which
    the rollup's day of 1 March has. Leads: s; MQLs: r (2 Mar…) and s."""
    refreshed()
    from_noon = Period(start=at(1, 12), end=at(1, 0, month=4))

    assert values(from_noon, names=LEADS_AND_MQLS) == {"leads": 1, "mqls": 2}


def test_a_month_of_a_new_team_zone_is_read_live_from_a_rollup_of_the_old_one(events, refreshed):
    """The team moves to New York after a refresh in UTC: its March (from 05:00 UTC on
    1 March, daylight saving from 8 March, to 04:00 UTC on 1 April) is no run of UTC days.
    Its leads: r (04:00 in New York), s and the new lead; MQLs r s t and the new one."""
    refreshed()
    TeamCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    march_lead(events[0])

    with in_kpi_time_zone():
        new_york_march = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31))
        assert values(new_york_march, names=LEADS_AND_MQLS) == WITH_THE_NEW_LEAD


def test_a_rollup_counts_the_days_of_the_team_zone(db, refreshed):
    """Refreshed in New York, then the events deleted: only the rollup can answer. A lead
    created on 1 March at 03:00 UTC was created on 28 February there, one created on
    1 April at 02:00 UTC on 31 March (daylight saving time: UTC−4)."""
    TeamCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    campaign = CampaignFactory()
    lead_created(datetime(2026, 3, 1, 3, tzinfo=UTC), campaign)
    lead_created(datetime(2026, 4, 1, 2, tzinfo=UTC), campaign)
    assert refreshed().time_zone == "America/New_York"
    Lead.objects.all().delete()

    with in_kpi_time_zone():
        by_month = trends(
            ["leads"], interval="month", start=date(2026, 2, 1), end=date(2026, 3, 31)
        )

    assert [(p.period_start, p.value) for p in by_month["leads"]] == [
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 1),
    ]


def test_a_zone_with_the_same_midnights_reads_the_rollup(events, refreshed):
    """Abidjan keeps UTC all year: its days are the rollup's."""
    refreshed()
    march_lead(events[0])
    abidjan = ZoneInfo("Africa/Abidjan")
    abidjan_march = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31), tz=abidjan)

    assert values(abidjan_march, names=LEADS_AND_MQLS) == BEFORE_THE_NEW_LEAD


def test_days_with_the_same_midnights_but_other_dates_are_read_live(db, refreshed):
    """Apia and Pago Pago share their midnights a day apart. Refreshed in Pago Pago, the
    rollup's 28 February is Apia's 1 March: Apia's March (a lead created on 28 February
    at 12:00 UTC, 1 March in Apia) is read live, not from the rollup's days."""
    TeamCalendar.objects.filter(pk=1).update(time_zone="Pacific/Pago_Pago")
    lead_created(datetime(2026, 2, 28, 12, tzinfo=UTC), CampaignFactory())
    assert refreshed().time_zone == "Pacific/Pago_Pago"
    apia = ZoneInfo("Pacific/Apia")
    apia_march = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31), tz=apia)

    assert values(apia_march, names=["leads"]) == {"leads": 1}


def test_a_zones_month_written_in_utc_is_read_live(db, refreshed):
    """Refreshed in New York; its March written in UTC (1 March 05:00 to 1 April 04:00
    UTC) names the days 1 March to 1 April: read live, one lead (15 March), not the one
    of 1 April at 10:00 UTC."""
    TeamCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    campaign = CampaignFactory()
    lead_created(datetime(2026, 3, 15, 12, tzinfo=UTC), campaign)
    lead_created(datetime(2026, 4, 1, 10, tzinfo=UTC), campaign)
    refreshed()
    in_utc = Period(
        start=datetime(2026, 3, 1, 5, tzinfo=UTC), end=datetime(2026, 4, 1, 4, tzinfo=UTC)
    )

    assert values(in_utc, names=["leads"]) == {"leads": 1}


# The rebuild ----------------------------------------------------------------------------


def rollup_rows() -> dict[str, list[tuple]]:
    """Every row of every daily rollup, without its id, in order."""
    return {
        table.__name__: sorted(
            table.objects.values_list(
                *(f.attname for f in table._meta.concrete_fields if not f.primary_key)
            ),
            key=repr,
        )
        for table in (DailyLeads, DailyStageEntries, DailyDecisions, DailyCredit)
    }


def test_refreshing_again_rebuilds_the_same_rows(events, settings):
    settings.KPI_ROLLUP_MIN_LEADS = 0
    refresh_rollups()
    first = rollup_rows()

    seconds = refresh_kpi_rollups.delay().get()

    assert isinstance(seconds, float)
    assert rollup_rows() == first
    assert Rollup.objects.count() == 1


def test_below_the_size_that_needs_them_the_rollups_are_dropped(events, settings):
    """Five leads, and rollups from a time there were more: beat drops them, and every
    figure is live again."""
    settings.KPI_ROLLUP_MIN_LEADS = 10
    refresh_rollups()
    march_lead(events[0])

    assert refresh_kpi_rollups.delay().get() is None

    assert not Rollup.objects.exists() and not DailyStageEntries.objects.exists()
    assert latest_rollup() is None
    assert values(MARCH, names=LEADS_AND_MQLS) == WITH_THE_NEW_LEAD


def test_the_daily_leads_add_up_to_every_lead(events):
    refresh_rollups()

    total = sum(DailyLeads.objects.values_list("leads", flat=True))
    assert total == Lead.objects.count() == 4  # r s t w


def test_a_refresh_remembers_the_rollup_in_the_cache(events, refreshed, django_assert_num_queries):
    rollup = refreshed()

    with django_assert_num_queries(0):
        noted = latest_rollup()

    assert noted is not None
    assert (noted.refreshed_at, noted.time_zone) == (rollup.refreshed_at, "UTC")


def test_leads_moved_to_another_campaign_move_at_the_next_refresh(events, refreshed):
    """B's leads (s, t) go to A after a refresh: B keeps them until the next one, then A
    has r s (leads) and r s t (MQLs). B keeps only the credit of its touchpoint (s's SQL
    and deal), which is the journey's, not the lead's campaign."""
    a, b = events
    refreshed()
    Lead.objects.filter(campaign=b).update(campaign=a)

    def leads_and_mqls():
        return {row.name: (row.leads, row.mqls) for row in campaign_rows(MARCH)}

    assert leads_and_mqls() == {"A": (1, 1), "B": (1, 2)}
    refreshed()
    assert leads_and_mqls() == {"A": (2, 3), "B": (0, 0)}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="rebuilds at once need PostgreSQL (DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(3))
def test_two_rebuilds_at_once_leave_one_set_of_rows(round_number):
    """Beat's rebuild and one started by hand: the second waits for the first, then
    rebuilds; the rows are those of one rebuild, not both."""
    spring()
    refresh_rollups()
    once = rollup_rows()

    outcomes = in_threads(refresh_rollups, refresh_rollups, describe=lambda _: "rebuilt")

    assert outcomes == ["rebuilt", "rebuilt"]
    assert rollup_rows() == once
    assert Rollup.objects.count() == 1
