"""Backtest: the pure maths on a constructed data set, then the cases read from the database."""

from datetime import timedelta

import pytest

from alignment.models import AgreementVersion
from leads.models import Stage
from leads.scoring import TouchpointFact
from leads.scoring.rules import services
from leads.scoring.rules.backtest import Case, backtest, backtest_ruleset, load_cases
from tests.factories import LeadFactory, StageChangeFactory, TouchpointFactory

from .conftest import NOW, engagement, fit

RULES = [
    fit("job_title", "contains", "vp", 30),
    fit("email_domain", "equals", "rival.com", 0, disqualifies=True),
    engagement("demo_requested", 40),
]


def case(
    title="VP Sales", demos_days_ago=(0,), eligible=True, sql=False, won=False, domain="a.com"
):
    return Case(
        facts={"job_title": title, "email_domain": domain},
        touchpoints=[
            TouchpointFact("demo_requested", NOW - timedelta(days=days)) for days in demos_days_ago
        ],
        as_of=NOW,
        eligible=eligible,
        reached_sql=sql or won,
        won=won,
    )


CASES = [
    case(sql=True, won=True),  # 30 + 40 = 70: an MQL that was won
    case(demos_days_ago=(10,), sql=True),  # 30 + 20 = 50: exactly the threshold
    case(demos_days_ago=(20,), sql=True),  # 30 + 10 = 40: below
    case(title="Analyst", sql=True),  # 40: below
    case(demos_days_ago=(-1,)),  # the demo came after the decision: 30
    case(eligible=False, sql=True),  # 70 but a required field is missing
    case(domain="rival.com", sql=True),  # 70 but disqualified
    case(demos_days_ago=(0, 0)),  # 110: an MQL that went nowhere
]


def test_it_counts_the_mqls_a_version_would_have_made_and_their_outcomes():
    outcome = backtest(CASES, RULES, half_life_days=10, threshold=50)
    assert (outcome.leads, outcome.mqls, outcome.sqls, outcome.won) == (8, 3, 2, 1)
    assert outcome.sql_rate == pytest.approx(2 / 3)
    assert outcome.won_rate == pytest.approx(1 / 3)


def test_a_higher_threshold_makes_fewer_and_better_mqls():
    outcome = backtest(CASES, RULES, half_life_days=10, threshold=60)
    assert (outcome.mqls, outcome.sqls, outcome.won) == (2, 1, 1)


def test_no_mqls_means_no_rates():
    outcome = backtest(CASES, RULES, half_life_days=10, threshold=500)
    assert (outcome.mqls, outcome.sql_rate, outcome.won_rate) == (0, None, None)


def judged(lead, *stages, start=NOW):
    """Stage changes along ``stages`` from ``new``, an hour apart from ``start``."""
    previous = Stage.NEW
    for hours, stage in enumerate(stages):
        StageChangeFactory(
            lead=lead,
            from_stage=previous,
            to_stage=stage,
            changed_at=start + timedelta(hours=hours),
        )
        previous = stage


def test_the_cases_are_the_leads_that_reached_an_outcome(db):
    won = LeadFactory()
    judged(won, Stage.MQL, Stage.SAL, Stage.SQL, Stage.WON)
    sent_back = LeadFactory()
    judged(sent_back, Stage.MQL, Stage.RECYCLED)
    waiting = LeadFactory()
    judged(waiting, Stage.MQL)
    LeadFactory()
    cases = {case.facts["email"]: case for case in load_cases()}
    assert set(cases) == {won.email, sent_back.email}
    assert (cases[won.email].reached_sql, cases[won.email].won) == (True, True)
    assert (cases[sent_back.email].reached_sql, cases[sent_back.email].won) == (False, False)


def test_a_case_is_judged_when_it_first_left_new(db):
    lead = LeadFactory()
    judged(lead, Stage.DISQUALIFIED, start=NOW - timedelta(days=3))
    [found] = load_cases()
    assert found.as_of == NOW - timedelta(days=3)


def test_a_case_missing_a_required_field_is_not_eligible(db):
    AgreementVersion.objects.filter(status="in_force").update(mql_required_fields=["phone"])
    lead = LeadFactory(phone="")
    judged(lead, Stage.DISQUALIFIED)
    [found] = load_cases()
    assert found.eligible is False


def test_a_draft_is_backtested_next_to_the_version_in_force(db, marketer):
    # Default rules with a threshold of 75: a VP with a demo request scores 80, a manager
    # with one 70. The draft gives managers 20 instead of 10, so both would be MQLs.
    AgreementVersion.objects.filter(status="in_force").update(mql_threshold=75)
    vp = LeadFactory(job_title="VP Sales")
    TouchpointFactory(lead=vp, kind="demo_requested", occurred_at=NOW - timedelta(hours=1))
    judged(vp, Stage.MQL, Stage.SAL, Stage.SQL)
    manager = LeadFactory()
    TouchpointFactory(lead=manager, kind="demo_requested", occurred_at=NOW - timedelta(hours=1))
    judged(manager, Stage.MQL, Stage.RECYCLED)
    draft = services.create_draft(by=marketer)
    draft.rules.filter(label="Manager title").update(points=20)
    report = backtest_ruleset(draft)
    assert (report.active_outcome.mqls, report.active_outcome.sql_rate) == (1, 1.0)
    assert (report.outcome.mqls, report.outcome.sql_rate, report.outcome.won_rate) == (2, 0.5, 0.0)
    assert report.threshold == 75
