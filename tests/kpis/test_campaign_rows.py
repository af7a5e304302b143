"""``campaign_rows`` and attribution on a constructed March, worked out by hand.

Campaigns: A (email, the marketer's, 500 spent), B (paid search, 200), C (social,
nothing spent), D (display, 50 spent and nothing else).

Journeys (touchpoints with a campaign, then the stages):
- l1 (A's): A 1 Mar, B 5 Mar, SQL 10 Mar, C 20 Mar, won 25 Mar for 900;
- l2 (B's): B 2 Mar, B 3 Mar, A 4 Mar, SQL 6 Mar, won 8 Mar for 100;
- l3 (no campaign): a touchpoint with none, SQL 12 Mar → no campaign before it;
- l4 (C's): SQL 14 Mar, C 15 Mar → no campaign before the SQL either;
- l5, l6, l7 (A's): MQLs sales sent back (no budget, not a fit, no budget); l8 (A's):
  an MQL sales claimed. l1 and l2 were claimed too.

Pipeline (4 SQLs) and won (2 deals, 1000):
| model  | A                 | B                 | C        | none |
| first  | 1 SQL; 1 won, 900 | 1 SQL; 1 won, 100 | —        | 2    |
| last   | 1 SQL; 1 won, 100 | 1 SQL             | 1, 900   | 2    |
| linear | ½+⅓ = 0.83 SQL;   | ½+⅔ = 1.17 SQL;   | ⅓, 300   | 2    |
|        | ⅓+⅓ won, 333.33   | ⅓+⅔ won, 366.67   |          |      |
"""

from datetime import date
from decimal import Decimal

import pytest

from campaigns.models import Channel
from handoffs.models import Handoff
from kpis.queries import ATTRIBUTIONS, Scope, campaign_rows, credit_by_campaign, values
from kpis.queries.rollups import latest_rollup
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory
from tests.kpis.builders import MARCH, NOW, at, history, lead_created, opened


@pytest.fixture
def journeys(db, rep, marketer):
    a = CampaignFactory(name="A", channel=Channel.EMAIL, owner=marketer)
    b = CampaignFactory(name="B", channel=Channel.PAID_SEARCH)
    c = CampaignFactory(name="C", channel=Channel.SOCIAL)
    d = CampaignFactory(name="D", channel=Channel.DISPLAY)
    for campaign, amount in ((a, "500"), (b, "200"), (d, "50")):
        CostEntryFactory(campaign=campaign, date=date(2026, 3, 9), amount=Decimal(amount))

    def touched(lead, *touches):
        for campaign, when in touches:
            TouchpointFactory(lead=lead, campaign=campaign, occurred_at=when)

    l1 = lead_created(at(1, 9), a)
    touched(l1, (a, at(1)), (b, at(5)), (c, at(20)))
    history(l1, ("mql", at(2)), ("sal", at(3)), ("sql", at(10)), ("won", at(25), Decimal(900)))
    l2 = lead_created(at(2, 9), b)
    touched(l2, (b, at(2)), (b, at(3)), (a, at(4)))
    history(l2, ("mql", at(5)), ("sal", at(5, 11)), ("sql", at(6)), ("won", at(8), Decimal(100)))
    l3 = lead_created(at(3), None)
    touched(l3, (None, at(3)))
    history(l3, ("mql", at(11)), ("sal", at(11, 11)), ("sql", at(12)))
    l4 = lead_created(at(4), c)
    touched(l4, (c, at(15)))
    history(l4, ("mql", at(13)), ("sal", at(13, 11)), ("sql", at(14)))
    for lead, day in ((l1, 2), (l2, 5)):
        opened(lead, at(day), claimed_at=at(day, 11), claimed_by=rep)
    for day, reason in ((20, "no_budget"), (21, "not_a_fit"), (22, "no_budget")):
        lead = lead_created(at(day, 9), a)
        history(lead, ("mql", at(day)), ("recycled", at(day, 12)))
        opened(
            lead,
            at(day),
            status=Handoff.Status.REJECTED,
            rejected_at=at(day, 12),
            rejection_reason=reason,
        )
    l8 = lead_created(at(23, 9), a)
    history(l8, ("mql", at(23)), ("sal", at(23, 11)))
    opened(l8, at(23), claimed_at=at(23, 11), claimed_by=rep)
    return {"a": a, "b": b, "c": c, "d": d}


def by_name(rows):
    return {row.name: row for row in rows}


def test_the_lead_own_campaign_columns(journeys):
    rows = by_name(campaign_rows(MARCH))

    a, b = rows["A"], rows["B"]
    assert (a.spend, a.leads, a.mqls, a.sqls, a.won, a.won_amount) == (
        Decimal("500.00"),
        5,
        5,
        1,
        1,
        Decimal("900.00"),
    )
    assert (a.cost_per_lead, a.cost_per_mql, a.cost_per_sql) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("500.00"),
    )
    assert (b.leads, b.sqls, b.won_amount, b.cost_per_lead) == (
        1,
        1,
        Decimal("100.00"),
        Decimal("200.00"),
    )
    assert (rows["C"].spend, rows["C"].cost_per_lead, rows["C"].roi) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
    )


def test_a_campaign_with_only_spend_has_a_row_with_no_ratios(journeys):
    d = by_name(campaign_rows(MARCH))["D"]

    assert (d.spend, d.leads, d.cost_per_lead, d.acceptance_rate, d.roi) == (
        Decimal("50.00"),
        0,
        None,
        None,
        -1.0,
    )


def test_acceptance_and_rejection_reasons_per_campaign(journeys):
    a = by_name(campaign_rows(MARCH))["A"]

    assert (a.accepted, a.rejected, a.acceptance_rate) == (2, 3, 0.4)
    assert a.top_rejection_reason == "no_budget"
    assert [(r["reason"], r["count"]) for r in a.rejection_reasons] == [
        ("no_budget", 2),
        ("not_a_fit", 1),
    ]
    assert a.rejection_reasons[0]["label"] == "No budget"
    assert by_name(campaign_rows(MARCH))["B"].top_rejection_reason is None


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            "first_touch",
            {
                "A": ("1.00", "1.00", "900.00"),
                "B": ("1.00", "1.00", "100.00"),
                "C": ("0.00", "0.00", "0.00"),
            },
        ),
        (
            "last_touch",
            {
                "A": ("1.00", "1.00", "100.00"),
                "B": ("1.00", "0.00", "0.00"),
                "C": ("0.00", "1.00", "900.00"),
            },
        ),
        (
            "linear",
            {
                "A": ("0.83", "0.67", "333.33"),
                "B": ("1.17", "1.00", "366.67"),
                "C": ("0.00", "0.33", "300.00"),
            },
        ),
    ],
)
def test_each_attribution_model_credits_the_journey(journeys, model, expected):
    rows = by_name(campaign_rows(MARCH, attribution=model))

    for name, (pipeline, won, amount) in expected.items():
        row = rows[name]
        assert (row.pipeline, row.attributed_won, row.attributed_won_amount) == (
            Decimal(pipeline),
            Decimal(won),
            Decimal(amount),
        ), name
        assert row.attribution == model
    assert rows["No campaign"].pipeline == Decimal("2.00")


def test_the_three_models_add_up_to_the_same_totals(journeys):
    totals = set()
    for model in ATTRIBUTIONS:
        credit = credit_by_campaign(MARCH, model=model).values()
        totals.add(
            (
                sum(c.pipeline for c in credit),
                sum(c.won for c in credit),
                sum(c.won_amount for c in credit),
            )
        )

    assert totals == {(Decimal("4.00"), Decimal("2.00"), Decimal("1000.00"))}
    numbers = values(MARCH, names=["sqls", "won", "won_amount"])
    assert (numbers["sqls"], numbers["won"], numbers["won_amount"]) == (4, 2, Decimal("1000.00"))


def test_roi_follows_the_attribution_model(journeys):
    roi = {
        model: by_name(campaign_rows(MARCH, attribution=model))["A"].roi for model in ATTRIBUTIONS
    }

    assert roi == {"first_touch": 0.8, "last_touch": -0.8, "linear": -0.3333}


def test_the_no_campaign_row_comes_last(journeys):
    rows = campaign_rows(MARCH)

    assert [row.name for row in rows] == ["A", "B", "D", "C", "No campaign"]
    none = rows[-1]
    assert (none.campaign, none.leads, none.sqls, none.channel) == (None, 1, 1, "")


def test_a_channel_keeps_only_its_campaigns(journeys):
    rows = campaign_rows(MARCH, Scope(channel=Channel.EMAIL), attribution="last_touch")

    assert [(row.name, row.leads, row.pipeline) for row in rows] == [("A", 5, Decimal("1.00"))]


def test_the_rows_add_up_to_the_summary(journeys):
    rows = campaign_rows(MARCH)
    numbers = values(MARCH, now=NOW)

    assert sum(row.leads for row in rows) == numbers["leads"]
    assert sum(row.spend for row in rows) == numbers["spend"]
    assert sum(row.won_amount for row in rows) == numbers["won_amount"]


@pytest.mark.parametrize("model", ATTRIBUTIONS)
def test_the_table_takes_six_queries_whatever_the_campaigns(
    journeys, model, django_assert_num_queries
):
    for n in range(5):
        campaign = CampaignFactory()
        lead = lead_created(at(10 + n), campaign)
        TouchpointFactory(lead=lead, campaign=campaign, occurred_at=at(10 + n))
        history(lead, ("mql", at(11 + n)), ("sal", at(11 + n, 11)), ("sql", at(12 + n)))
    latest_rollup()  # asked once a minute at most: the cache remembers the answer
    with django_assert_num_queries(6):
        campaign_rows(MARCH, attribution=model)
