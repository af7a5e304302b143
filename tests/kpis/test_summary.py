"""``kpis.queries.summary`` on a constructed March with answers worked out by hand.

Campaigns: A (email), B (paid search), C (email). The agreement gives 60 minutes to
claim and 240 to first contact. ``NOW`` is mid-April, so every March deadline has passed.

Leads created in March: a1–a4 (A), b1–b2 (B), c1 (C), n1 (no campaign) = 8. Outside:
o1 (A, February) and l1 (A, 1 April 00:00, the first instant after the period).

Stage history in March (distinct leads per stage):
  mql  a1 a2 a3 b1 c1          = 5   (b2 became an MQL in February, a4 on 1 April)
  sal  a1 a2 b1 b2             = 4   (b2 at 1 March 00:00, the first instant inside)
  sql  a1 a2                   = 2
  won  a1 (3000) o1 (1000)     = 2   (o1 was created in February)
  lost a2                      = 1

Spend in March: A 500 + 300, B 200, C 100 = 1100 (A's 999 in February and 777 in
April are outside).

Handoffs opened in March:
  a1 claimed after 20 min, contacted 60 min later            → compliant
  a2 claimed after 90 min (late), contacted 30 min later     → not compliant; closed
  a3 rejected unclaimed after 30 min                         → compliant (answered in time)
  b1 claimed after 10 min, never contacted (due long ago)    → not compliant
  c1 open since 31 March 23:59, deadline passed              → not compliant
  accepted a1 a2 b1, rejected a3 → 3 / 4; compliant a1 a3 → 2 / 5;
  speed to claim 10, 20, 90 → median 20; speed to contact 30, 60 → median 45.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from campaigns.models import Channel
from handoffs.models import Handoff
from kpis.queries import Period, Scope, funnel, summary
from leads.models import Lead, Stage
from tests.factories import (
    CampaignFactory,
    CostEntryFactory,
    HandoffFactory,
    LeadFactory,
    StageChangeFactory,
)

MARCH = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(day, hour=10, minute=0, month=3):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def lead_created(campaign, created_at):
    lead = LeadFactory(campaign=campaign)
    Lead.objects.filter(pk=lead.pk).update(created_at=created_at)
    return lead


def history(lead, *steps):
    """``steps``: (to_stage, when[, amount]); from_stage follows the chain from new."""
    current = Stage.NEW
    for step in steps:
        to_stage, when = step[0], step[1]
        amount = step[2] if len(step) > 2 else None
        StageChangeFactory(
            lead=lead, from_stage=current, to_stage=to_stage, changed_at=when, amount=amount
        )
        current = to_stage


def handoff(lead, created_at, **fields):
    due = created_at + 60 * MINUTE
    if fields.get("claimed_at"):
        fields.setdefault("status", Handoff.Status.CLAIMED)
        fields.setdefault("first_contact_due_at", fields["claimed_at"] + 240 * MINUTE)
    return HandoffFactory(lead=lead, created_at=created_at, claim_due_at=due, **fields)


@pytest.fixture
def march(db, rep):
    a = CampaignFactory(name="A", channel=Channel.EMAIL)
    b = CampaignFactory(name="B", channel=Channel.PAID_SEARCH)
    c = CampaignFactory(name="C", channel=Channel.EMAIL)

    a1, a2, a3, a4 = (lead_created(a, at(day)) for day in (1, 2, 3, 4))
    b1, b2 = lead_created(b, at(5)), lead_created(b, at(1, 0, 0))
    c1 = lead_created(c, at(31, 23, 59))
    lead_created(None, at(20))
    o1 = lead_created(a, at(10, month=2))
    lead_created(a, at(1, 0, 0, month=4))

    history(a1, ("mql", at(2)), ("sal", at(2, 10, 20)), ("sql", at(5)), ("won", at(20), 3000))
    history(a2, ("mql", at(3)), ("sal", at(3, 11, 30)), ("sql", at(10)), ("lost", at(25)))
    history(a3, ("mql", at(4)), ("recycled", at(4, 10, 30)))
    history(a4, ("mql", at(1, 0, 0, month=4)))
    history(b1, ("mql", at(6)), ("sal", at(6, 10, 10)))
    history(b2, ("mql", at(27, month=2)), ("sal", at(1, 0, 0)))
    history(c1, ("mql", datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)))
    history(o1, ("mql", at(12, month=2)), ("sal", at(13, month=2)), ("sql", at(20, month=2)))
    StageChangeFactory(
        lead=o1, from_stage="sql", to_stage="won", changed_at=at(15), amount=Decimal("1000")
    )

    for campaign, day, month, amount in [
        (a, 1, 3, "500"),
        (a, 31, 3, "300"),
        (a, 28, 2, "999"),
        (a, 1, 4, "777"),
        (b, 15, 3, "200"),
        (c, 10, 3, "100"),
    ]:
        CostEntryFactory(campaign=campaign, date=date(2026, month, day), amount=Decimal(amount))

    handoff(a1, at(2), claimed_at=at(2, 10, 20), claimed_by=rep, first_contact_at=at(2, 11, 20))
    handoff(
        a2,
        at(3),
        claimed_at=at(3, 11, 30),
        claimed_by=rep,
        first_contact_at=at(3, 12, 0),
        status=Handoff.Status.CLOSED,
    )
    handoff(
        a3,
        at(4),
        status=Handoff.Status.REJECTED,
        rejected_at=at(4, 10, 30),
        rejection_reason="not_a_fit",
    )
    handoff(b1, at(6), claimed_at=at(6, 10, 10), claimed_by=rep)
    handoff(c1, datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    handoff(b2, at(27, month=2), claimed_at=at(1, 0, 0), claimed_by=rep)
    return {"a": a, "b": b, "c": c, "rep": rep}


def test_the_funnel_counts_leads_that_entered_each_stage_in_the_period(march):
    numbers = summary(MARCH, now=NOW)
    assert (numbers.leads, numbers.mqls, numbers.sals, numbers.sqls) == (8, 5, 4, 2)
    assert (numbers.won, numbers.lost) == (2, 1)


def test_won_revenue_is_the_amount_of_deals_won_in_the_period(march):
    assert summary(MARCH, now=NOW).won_amount == Decimal("4000.00")


def test_conversion_rates_divide_the_stage_counts(march):
    numbers = summary(MARCH, now=NOW)
    assert (numbers.mql_to_sql_rate, numbers.sql_to_won_rate) == (0.4, 1.0)


def test_spend_and_cost_per_stage(march):
    numbers = summary(MARCH, now=NOW)
    assert numbers.spend == Decimal("1100.00")
    assert numbers.cost_per_lead == Decimal("137.50")
    assert numbers.cost_per_mql == Decimal("220.00")
    assert numbers.cost_per_sql == Decimal("550.00")


def test_roi_is_revenue_less_spend_over_spend(march):
    assert summary(MARCH, now=NOW).roi == 2.6364


def test_acceptance_counts_claimed_and_closed_against_rejected(march):
    assert summary(MARCH, now=NOW).acceptance_rate == 0.75


def test_sla_compliance_is_the_share_of_due_handoffs_answered_in_time(march):
    assert summary(MARCH, now=NOW).sla_compliance_rate == 0.4


def test_speed_to_lead_is_the_median_of_each_step(march):
    numbers = summary(MARCH, now=NOW)
    assert numbers.speed_to_claim_minutes_median == 20.0
    assert numbers.speed_to_contact_minutes_median == 45.0


def test_a_handoff_whose_deadline_has_not_come_is_not_yet_counted(march):
    # At 00:30 on 1 April, c1 still has half an hour to be claimed.
    numbers = summary(MARCH, now=datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    assert numbers.sla_compliance_rate == 0.5


def test_a_campaign_scope_counts_only_its_leads_and_costs(march):
    numbers = summary(MARCH, Scope(campaign=march["a"].pk), now=NOW)
    assert (numbers.leads, numbers.mqls, numbers.sals, numbers.sqls) == (4, 3, 2, 2)
    assert (numbers.won, numbers.lost, numbers.won_amount) == (2, 1, Decimal("4000.00"))
    assert numbers.spend == Decimal("800.00")
    assert (numbers.cost_per_lead, numbers.cost_per_mql, numbers.cost_per_sql) == (
        Decimal("200.00"),
        Decimal("266.67"),
        Decimal("400.00"),
    )
    assert numbers.roi == 4.0
    assert (numbers.acceptance_rate, numbers.sla_compliance_rate) == (0.6667, 0.6667)
    assert numbers.speed_to_claim_minutes_median == 55.0


def test_a_channel_scope_counts_the_campaigns_on_that_channel(march):
    email = summary(MARCH, Scope(channel=Channel.EMAIL), now=NOW)
    assert (email.leads, email.mqls, email.spend) == (5, 4, Decimal("900.00"))
    paid = summary(MARCH, Scope(channel=Channel.PAID_SEARCH), now=NOW)
    assert (paid.leads, paid.mqls, paid.sals, paid.spend) == (2, 1, 2, Decimal("200.00"))


def test_a_period_includes_its_first_day_and_its_last_day(march):
    first = summary(Period.from_dates(date(2026, 3, 1), date(2026, 3, 1)), now=NOW)
    assert (first.leads, first.sals, first.spend) == (2, 1, Decimal("500.00"))
    last = summary(Period.from_dates(date(2026, 3, 31), date(2026, 3, 31)), now=NOW)
    assert (last.leads, last.mqls, last.spend) == (1, 1, Decimal("300.00"))


def test_an_empty_period_has_zero_counts_and_no_rates(march):
    numbers = summary(Period.from_dates(date(2025, 1, 1), date(2025, 1, 31)), now=NOW)
    assert (numbers.leads, numbers.mqls, numbers.spend, numbers.won_amount) == (
        0,
        0,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert numbers.mql_to_sql_rate is None
    assert numbers.acceptance_rate is None
    assert numbers.sla_compliance_rate is None
    assert numbers.speed_to_claim_minutes_median is None
    assert (numbers.cost_per_lead, numbers.roi) == (None, None)


def test_the_summary_runs_in_a_fixed_number_of_queries(march, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        summary(MARCH, now=NOW)


def test_the_query_count_does_not_grow_with_the_data(march, django_assert_max_num_queries):
    for lead in LeadFactory.create_batch(20, campaign=march["a"]):
        history(lead, ("mql", at(8)), ("sal", at(8, 10, 5)))
        handoff(lead, at(8), claimed_at=at(8, 10, 5), claimed_by=march["rep"])
    with django_assert_max_num_queries(9):
        summary(MARCH, now=NOW)


def test_the_funnel_rows_follow_the_summary(march):
    assert [(row["stage"], row["count"]) for row in funnel(MARCH)] == [
        ("leads", 8),
        ("mql", 5),
        ("sal", 4),
        ("sql", 2),
        ("won", 2),
    ]


def test_as_dict_has_every_number_the_api_promises(march):
    assert set(summary(MARCH, now=NOW).as_dict()) == {
        "leads",
        "mqls",
        "sals",
        "sqls",
        "won",
        "lost",
        "won_amount",
        "mql_to_sql_rate",
        "sql_to_won_rate",
        "acceptance_rate",
        "speed_to_claim_minutes_median",
        "speed_to_contact_minutes_median",
        "sla_compliance_rate",
        "spend",
        "cost_per_lead",
        "cost_per_mql",
        "cost_per_sql",
        "roi",
    }
