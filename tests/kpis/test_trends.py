"""``trend`` and ``trends``: a KPI week by week or month by month, every bucket present.

March 2026 starts on a Sunday: its weeks begin on 23 February, 2, 9, 16, 23 and 30 March.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis.queries import Scope, TrendPoint, check_trend, trend, trends
from kpis.queries.rollups import latest_rollup
from tests.factories import CampaignFactory, CostEntryFactory
from tests.kpis.builders import NOW, at, history, lead_created

WEEKS = [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]


@pytest.fixture
def weeks(db):
    """Leads: 1 on Sun 1 Mar, 2 in the week of 9 Mar, none in the weeks of 2 and 16 Mar.
    MQLs: 2 in the week of 2 Mar, 3 in the week of 9 Mar. Won: 700 on 10 Mar. Spend:
    100 on 3 Mar, 60 on 17 Mar."""
    campaign = CampaignFactory()
    lead_created(at(1), campaign)
    second, third = lead_created(at(9), campaign), lead_created(at(13), campaign)
    for day in (2, 4):
        history(lead_created(at(1, month=2), campaign), ("mql", at(day)))
    history(second, ("mql", at(9)), ("sal", at(9, 11)), ("sql", at(9, 12)))
    history(lead_created(at(1, month=2), campaign), ("mql", at(12)))
    history(third, ("mql", at(14)))
    history(lead_created(at(1, month=2), campaign), ("sql", at(8, month=2)), ("won", at(10), 700))
    CostEntryFactory(campaign=campaign, date=date(2026, 3, 3), amount=Decimal("100"))
    CostEntryFactory(campaign=campaign, date=date(2026, 3, 17), amount=Decimal("60"))
    return campaign


def points(series):
    return [(point.period_start, point.value) for point in series]


def test_every_week_is_present_and_counts_its_own(weeks):
    series = trend("leads", interval="week", start=date(2026, 3, 1), end=date(2026, 3, 20))

    assert points(series) == list(zip(WEEKS, [1, 0, 2, 0], strict=True))
    assert series[0] == TrendPoint(date(2026, 2, 23), date(2026, 3, 1), 1)


def test_money_and_ratios_per_week(weeks):
    both = trends(
        ["won_amount", "spend", "mql_to_sql_rate", "lead_velocity"],
        interval="week",
        start=date(2026, 3, 1),
        end=date(2026, 3, 20),
        now=NOW,
    )

    assert [p.value for p in both["won_amount"]] == [0, 0, Decimal("700.00"), 0]
    assert [p.value for p in both["spend"]] == [0, Decimal("100.00"), 0, Decimal("60.00")]
    assert [p.value for p in both["mql_to_sql_rate"]] == [None, 0.0, 0.3333, None]
    # MQLs per week: 0, 2, 3, 0, after 0 the week before the first.
    assert [p.value for p in both["lead_velocity"]] == [None, None, 0.5, -1.0]


def test_months_of_a_quarter(weeks):
    series = trend("mqls", interval="month", start=date(2026, 2, 15), end=date(2026, 4, 1))

    assert points(series) == [
        (date(2026, 2, 1), 0),
        (date(2026, 3, 1), 5),
        (date(2026, 4, 1), 0),
    ]
    assert series[0].period_end == date(2026, 2, 28)


def test_a_scope_narrows_the_trend(weeks):
    other = CampaignFactory()
    lead_created(at(3), other)

    scoped = trend(
        "leads", start=date(2026, 3, 2), end=date(2026, 3, 8), scope=Scope(campaign=other.pk)
    )

    assert points(scoped) == [(date(2026, 3, 2), 1)]


def test_weeks_are_cut_in_the_current_time_zone(db):
    # 23:30 on Sunday 1 March in UTC is already Monday 2 March in Paris.
    lead_created(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))

    with timezone.override("UTC"):
        in_utc = trend("leads", start=date(2026, 3, 1), end=date(2026, 3, 2))
    with timezone.override("Europe/Paris"):
        in_paris = trend("leads", start=date(2026, 3, 1), end=date(2026, 3, 2))

    assert points(in_utc) == [(date(2026, 2, 23), 1), (date(2026, 3, 2), 0)]
    assert points(in_paris) == [(date(2026, 2, 23), 0), (date(2026, 3, 2), 1)]


def test_a_trend_reads_each_table_once_however_many_weeks(weeks, django_assert_num_queries):
    latest_rollup()  # asked once a minute at most: the cache remembers the answer
    with django_assert_num_queries(2):
        trends(
            ["leads", "mqls", "sqls", "won_amount"],
            interval="week",
            start=date(2025, 4, 1),
            end=date(2026, 3, 31),
        )


@pytest.mark.parametrize(
    ("names", "interval", "start", "end", "message"),
    [
        (["nonsense"], "week", date(2026, 3, 1), date(2026, 3, 2), "Unknown metric"),
        (["unowned_leads"], "week", date(2026, 3, 1), date(2026, 3, 2), "about now"),
        (["leads"], "day", date(2026, 3, 1), date(2026, 3, 2), "week or month"),
        (["leads"], "week", date(2026, 3, 2), date(2026, 3, 1), "end before"),
        (["leads"], "week", date(2020, 1, 1), date(2026, 3, 1), "at most 157 weeks"),
    ],
)
def test_a_trend_that_cannot_be_drawn_says_why(names, interval, start, end, message):
    with pytest.raises(ValueError, match=message):
        check_trend(names, interval, start, end)
