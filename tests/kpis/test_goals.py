"""Goals (``kpis.goals``): the pace maths with a fixed ``now``, the period rules, and who
may set which goal.

The team calendar is in UTC (the autouse ``always_open`` fixture) unless a test says
otherwise. The second quarter of 2026 has 91 days; ``MID_MAY`` (16 May 00:00) is 45 of
them in, so a target of 91 expects 45 by then.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import TeamCalendar
from campaigns.models import Channel
from kpis.goals import (
    Pace,
    State,
    create_goal,
    delete_goal,
    goal_metrics,
    goal_progress,
    goals_with_progress,
    judge,
    update_goal,
)
from kpis.models import Goal
from kpis.queries.rollups import latest_rollup
from leads.models import Stage
from tests.factories import CampaignFactory, CostEntryFactory, LeadFactory, StageChangeFactory

Q2 = date(2026, 4, 1)
MID_MAY = datetime(2026, 5, 16, tzinfo=UTC)
APRIL_10 = datetime(2026, 4, 10, 12, tzinfo=UTC)


def reached(stage: str, n: int, *, when: datetime = APRIL_10, **lead_fields) -> None:
    """``n`` leads entered ``stage`` at ``when``."""
    for _ in range(n):
        StageChangeFactory(lead=LeadFactory(**lead_fields), to_stage=stage, changed_at=when)


def goal(by, metric: str, target, start: date = Q2, **fields) -> Goal:
    fields.setdefault("period_kind", Goal.PeriodKind.QUARTER)
    return create_goal(
        by=by, metric=metric, target=Decimal(str(target)), period_start=start, **fields
    )


# Pace ------------------------------------------------------------------------------------


def test_a_count_goal_expects_the_share_of_its_target_the_period_has_used(manager):
    reached(Stage.SQL, 30)

    row = goal_progress(goal(manager, "sqls", 91), now=MID_MAY)

    assert row.state == State.RUNNING
    assert row.actual == 30
    assert row.elapsed == pytest.approx(45 / 91)
    assert row.expected_now == 45
    assert row.progress == pytest.approx(30 / 91, abs=1e-4)
    assert row.pace == Pace.BEHIND
    assert row.pace_text == "behind by 33 %"  # (30 − 45) ÷ 45


def test_a_count_goal_past_its_share_is_ahead(manager):
    reached(Stage.SQL, 50)

    row = goal_progress(goal(manager, "sqls", 91), now=MID_MAY)

    assert (row.pace, row.pace_text) == (Pace.AHEAD, "ahead by 11 %")  # (50 − 45) ÷ 45


def test_a_count_within_five_percent_of_its_share_is_on_track(manager):
    reached(Stage.SQL, 43)

    row = goal_progress(goal(manager, "sqls", 91), now=MID_MAY)

    assert (row.pace, row.pace_text) == (Pace.ON_TRACK, "on track")  # 43 is 4.4 % short


@pytest.mark.parametrize(
    ("actual", "expected", "pace"),
    [
        ("95", "100", Pace.ON_TRACK),
        ("105", "100", Pace.ON_TRACK),
        ("94.9", "100", Pace.BEHIND),
        ("105.1", "100", Pace.AHEAD),
        ("0", "0", Pace.ON_TRACK),
        ("3", "0", Pace.AHEAD),
    ],
)
def test_on_track_is_within_five_percent_either_way(actual, expected, pace):
    assert judge(Decimal(actual), Decimal(expected), lower_is_better=False)[0] == pace


@pytest.mark.parametrize(
    ("actual", "expected", "pace"),
    [("90", "100", Pace.AHEAD), ("110", "100", Pace.BEHIND), ("3", "0", Pace.BEHIND)],
)
def test_when_lower_is_better_less_than_expected_is_ahead(actual, expected, pace):
    assert judge(Decimal(actual), Decimal(expected), lower_is_better=True)[0] == pace


def test_a_rate_goal_is_compared_with_its_target_whatever_the_share_of_the_period(manager):
    """4 MQLs and 3 SQLs: an MQL → SQL rate of 0.75 against 0.8."""
    reached(Stage.MQL, 4)
    reached(Stage.SQL, 3)

    row = goal_progress(goal(manager, "mql_to_sql_rate", "0.8"), now=MID_MAY)

    assert row.actual == Decimal("0.7500")
    assert row.expected_now == Decimal("0.8000")
    assert row.progress == pytest.approx(0.9375)
    assert row.pace_text == "behind by 6 %"  # (0.75 − 0.8) ÷ 0.8


def test_a_rate_with_nothing_to_divide_has_no_pace_yet(manager):
    row = goal_progress(goal(manager, "mql_to_sql_rate", "0.5"), now=MID_MAY)

    assert (row.actual, row.progress, row.pace) == (None, None, None)
    assert row.pace_text == "no data yet"


def test_a_cost_per_unit_under_its_target_is_ahead(manager):
    """Spend 1000 over 4 SQLs: 250 per SQL against at most 300."""
    CostEntryFactory(campaign=CampaignFactory(), date=date(2026, 4, 5), amount=Decimal(1000))
    reached(Stage.SQL, 4)

    row = goal_progress(goal(manager, "cost_per_sql", 300), now=MID_MAY)

    assert row.metric.lower_is_better
    assert row.actual == Decimal("250.00")
    assert row.expected_now == Decimal("300.00")
    assert (row.pace, row.pace_text) == (Pace.AHEAD, "ahead by 17 %")  # (300 − 250) ÷ 300


def test_spend_past_its_share_of_the_budget_is_behind(manager):
    """April: 30 days; on 16 April 00:00 half of it is gone and 6000 of 10000 spent."""
    CostEntryFactory(campaign=CampaignFactory(), date=date(2026, 4, 2), amount=Decimal(6000))

    row = goal_progress(
        goal(manager, "spend", 10000, period_kind=Goal.PeriodKind.MONTH),
        now=datetime(2026, 4, 16, tzinfo=UTC),
    )

    assert row.expected_now == Decimal("5000.00")
    assert (row.pace, row.pace_text) == (Pace.BEHIND, "behind by 20 %")


def test_a_goal_whose_period_ended_says_whether_it_was_met(manager):
    reached(Stage.SQL, 2, when=datetime(2026, 3, 10, tzinfo=UTC))
    march = date(2026, 3, 1)
    met = goal(manager, "sqls", 2, start=march, period_kind=Goal.PeriodKind.MONTH)
    missed = goal(manager, "sqls", 4, start=march, period_kind=Goal.PeriodKind.MONTH)

    rows = goals_with_progress([met, missed], now=MID_MAY)

    assert [(row.state, row.met, row.pace_text) for row in rows] == [
        (State.ENDED, True, "met"),
        (State.ENDED, False, "missed by 50 %"),
    ]
    assert rows[0].elapsed == 1.0


def test_a_lower_is_better_goal_that_ended_under_its_target_was_met(manager):
    CostEntryFactory(campaign=CampaignFactory(), date=date(2026, 3, 5), amount=Decimal(900))
    budget = goal(manager, "spend", 1000, start=date(2026, 3, 1), period_kind="month")

    row = goal_progress(budget, now=MID_MAY)

    assert (row.met, row.pace_text) == (True, "met")


def test_a_goal_not_started_yet_reads_no_kpi(manager, django_assert_num_queries):
    later = goal(manager, "sqls", 100, start=date(2026, 7, 1))

    with django_assert_num_queries(1):  # the team's time zone
        row = goal_progress(later, now=MID_MAY)

    assert (row.state, row.actual, row.pace, row.pace_text) == (
        State.UPCOMING,
        0,
        None,
        "not started",
    )


def test_the_share_of_the_period_gone_is_counted_in_the_team_time_zone(manager):
    """16 April 04:00 UTC is midnight in New York: 15 of April's 30 days are gone there."""
    TeamCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    april = goal(manager, "sqls", 30, period_kind="month")

    row = goal_progress(april, now=datetime(2026, 4, 16, 4, tzinfo=UTC))

    assert row.elapsed == 0.5
    assert row.expected_now == 15


def test_a_campaign_goal_counts_only_that_campaigns_leads(manager):
    webinar, other = CampaignFactory(), CampaignFactory()
    reached(Stage.SQL, 2, campaign=webinar)
    reached(Stage.SQL, 5, campaign=other)

    row = goal_progress(goal(manager, "sqls", 10, campaign=webinar), now=MID_MAY)

    assert row.actual == 2


def test_a_channel_goal_counts_only_that_channels_leads(manager):
    reached(Stage.SQL, 2, campaign=CampaignFactory(channel=Channel.WEBINAR))
    reached(Stage.SQL, 5, campaign=CampaignFactory(channel=Channel.EMAIL))

    row = goal_progress(goal(manager, "sqls", 10, channel=Channel.WEBINAR), now=MID_MAY)

    assert row.actual == 2


def test_an_owner_goal_counts_the_leads_they_own_and_those_of_their_campaigns(
    manager, rep, other_rep
):
    reached(Stage.SQL, 2, owner=rep)
    reached(Stage.SQL, 1, campaign=CampaignFactory(owner=rep))
    reached(Stage.SQL, 5, owner=other_rep)

    row = goal_progress(goal(manager, "sqls", 10, owner=rep), now=MID_MAY)

    assert row.actual == 3


def test_goals_of_one_period_and_scope_read_the_kpis_once(manager):
    reached(Stage.SQL, 3)
    one = [goal(manager, "sqls", 10)]
    five = one + [goal(manager, name, 10) for name in ("mqls", "sals", "won", "lost")]
    latest_rollup()  # asked once a minute at most: the cache remembers the answer

    with CaptureQueriesContext(connection) as alone:
        goals_with_progress(one, now=MID_MAY)
    with CaptureQueriesContext(connection) as together:
        rows = goals_with_progress(five, now=MID_MAY)

    assert len(together) == len(alone)
    assert [row.actual for row in rows] == [3, 0, 0, 0, 0]


def test_every_kpi_can_carry_a_goal_and_knows_which_way_is_better():
    metrics = goal_metrics()

    assert {"leads", "sqls", "won_amount", "sla_compliance_rate", "cost_per_sql"} <= set(metrics)
    assert not metrics["sqls"].lower_is_better and metrics["sqls"].cumulative
    assert metrics["cost_per_sql"].lower_is_better and not metrics["cost_per_sql"].cumulative
    assert metrics["speed_to_claim_minutes_median"].lower_is_better
    assert metrics["won_amount"].money and metrics["won_amount"].cumulative
    assert not metrics["sla_compliance_rate"].cumulative


# Periods ---------------------------------------------------------------------------------


def test_a_month_goal_ends_on_the_last_day_of_its_month(manager):
    february = goal(manager, "sqls", 10, start=date(2026, 2, 1), period_kind="month")

    assert february.period_end == date(2026, 2, 28)


def test_a_quarter_goal_ends_on_the_last_day_of_its_quarter(manager):
    fourth = goal(manager, "sqls", 10, start=date(2026, 10, 1))

    assert fourth.period_end == date(2026, 12, 31)


def test_dates_spanning_a_calendar_quarter_make_a_quarter_goal(manager):
    made = create_goal(
        by=manager,
        metric="sqls",
        target=Decimal(120),
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
    )

    assert made.period_kind == Goal.PeriodKind.QUARTER


def test_other_dates_make_a_custom_goal(manager):
    made = create_goal(
        by=manager,
        metric="sqls",
        target=Decimal(12),
        period_start=date(2026, 4, 3),
        period_end=date(2026, 5, 9),
    )

    assert made.period_kind == Goal.PeriodKind.CUSTOM


def test_a_month_goal_must_start_on_the_first(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", 10, start=date(2026, 4, 2), period_kind="month")

    assert error.value.message_dict == {
        "period_start": ["A month goal starts on the 1st of a month."]
    }


def test_a_quarter_goal_must_start_a_quarter(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", 10, start=date(2026, 5, 1))

    assert list(error.value.message_dict) == ["period_start"]


def test_a_month_goal_with_another_end_is_refused(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", 10, period_kind="month", period_end=date(2026, 4, 20))

    assert error.value.message_dict == {
        "period_end": ["A month goal starting on 2026-04-01 ends on 2026-04-30."]
    }


def test_a_custom_period_cannot_end_before_it_starts(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", 10, period_kind="custom", period_end=date(2026, 3, 1))

    assert error.value.message_dict == {"period_end": ["The period cannot end before it starts."]}


def test_an_unknown_kpi_is_answered_with_the_ones_there_are(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "happiness", 10)

    [message] = error.value.message_dict["metric"]
    assert message.startswith('"happiness" is not a KPI; use one of: leads, mqls,')


def test_a_goal_has_at_most_one_scope(manager, marketer):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", 10, channel=Channel.EMAIL, owner=marketer)

    assert error.value.message_dict == {
        "scope": ["Give at most one of campaign, channel and owner."]
    }


def test_a_rate_target_is_a_fraction_of_one(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sla_compliance_rate", 90)

    assert error.value.message_dict == {"target": ["A rate is a fraction of 1: 0.9 for 90 %."]}


def test_a_count_target_is_a_whole_number(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", "12.5")

    assert error.value.message_dict == {"target": ["A count is a whole number."]}


def test_a_target_cannot_be_negative(manager):
    with pytest.raises(ValidationError) as error:
        goal(manager, "sqls", -1)

    assert list(error.value.message_dict) == ["target"]


def test_moving_a_month_goal_moves_its_end(manager):
    april = goal(manager, "sqls", 10, period_kind="month")

    update_goal(april, by=manager, period_start=date(2026, 2, 1))

    april.refresh_from_db()
    assert (april.period_start, april.period_end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_a_new_scope_replaces_the_old_one(manager, rep):
    email = goal(manager, "sqls", 10, channel=Channel.EMAIL)

    update_goal(email, by=manager, owner=rep)

    email.refresh_from_db()
    assert (email.channel, email.owner_id) == ("", rep.pk)


# Who may set which goal ------------------------------------------------------------------


@pytest.fixture
def persona(request, db):
    """A persona fixture by name, for tests parametrized over roles."""
    return lambda name: request.getfixturevalue(name)


@pytest.fixture
def scopes(marketer, rep, other_rep):
    """Each scope a goal can have, by name."""
    return {
        "company": {},
        "channel": {"channel": Channel.EMAIL},
        "own campaign": {"campaign": CampaignFactory(owner=marketer)},
        "someone else's campaign": {"campaign": CampaignFactory(owner=other_rep)},
        "the marketer": {"owner": marketer},
        "the rep": {"owner": rep},
        "another rep": {"owner": other_rep},
    }


ALLOWED = {
    "manager": {
        "company",
        "channel",
        "own campaign",
        "someone else's campaign",
        "the marketer",
        "the rep",
        "another rep",
    },
    "marketer": {"own campaign", "the marketer"},
    "rep": {"the rep"},
    "outsider": set(),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_sets_goals_on_the_scopes_it_may(persona, role, scopes):
    user = persona(role)
    allowed = set()
    for name, scope in scopes.items():
        try:
            goal(user, "sqls", 10, **scope)
        except PermissionDenied:
            continue
        allowed.add(name)

    assert allowed == ALLOWED[role]
    assert Goal.objects.count() == len(ALLOWED[role])


def test_a_marketer_cannot_turn_their_campaign_goal_into_a_company_goal(marketer):
    mine = goal(marketer, "mqls", 50, campaign=CampaignFactory(owner=marketer))

    with pytest.raises(PermissionDenied):
        update_goal(mine, by=marketer, campaign=None)

    mine.refresh_from_db()
    assert mine.campaign_id is not None


def test_a_rep_cannot_change_a_company_goal(manager, rep):
    company = goal(manager, "sqls", 100)

    with pytest.raises(PermissionDenied):
        update_goal(company, by=rep, target=Decimal(1))

    company.refresh_from_db()
    assert company.target == 100


def test_a_rep_deletes_their_own_goal_but_not_anothers(rep, other_rep):
    mine = goal(rep, "sqls", 5, owner=rep)
    theirs = goal(other_rep, "sqls", 5, owner=other_rep)

    delete_goal(mine, by=rep)
    with pytest.raises(PermissionDenied):
        delete_goal(theirs, by=rep)

    assert list(Goal.objects.values_list("pk", flat=True)) == [theirs.pk]
