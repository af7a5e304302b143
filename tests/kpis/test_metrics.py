"""Every KPI of ``kpis.queries.METRICS`` on small constructed months, worked out by hand.

Each fixture says what it holds and the answers; March 2026 is the period and 29 January
to 28 February the period of equal length before it.
"""

from decimal import Decimal

import pytest

from alignment.models import AgreementVersion
from campaigns.models import Channel
from handoffs.models import Handoff
from kpis.queries import METRICS, Scope, compare, speed_to_lead, time_in_stage, values
from kpis.queries.rollups import latest_rollup
from leads.models import Stage
from tests.factories import CampaignFactory, CostEntryFactory
from tests.kpis.builders import (
    BEFORE_MARCH,
    MARCH,
    MINUTE,
    NOW,
    at,
    history,
    lead_created,
    opened,
)


@pytest.fixture
def funnel_month(db):
    """Leads created in March: x1–x4 (4); in the month before: y, z (2).

    March: MQL x1 x2 x3 (3), SAL x1 x2 (2), SQL x1 (1), won x1 for 2000 (1), lost y (1);
    spend 400. Before: MQL y z (2), SAL y, SQL y; spend 100; nothing the month before.
    """
    campaign = CampaignFactory()
    x1, x2, x3 = (lead_created(at(day), campaign) for day in (1, 2, 3))
    lead_created(at(4), campaign)
    y = lead_created(at(2, month=2), campaign)
    z = lead_created(at(5, month=2), campaign)
    history(x1, ("mql", at(2)), ("sal", at(3)), ("sql", at(5)), ("won", at(20), Decimal(2000)))
    history(x2, ("mql", at(3)), ("sal", at(4)))
    history(x3, ("mql", at(4)))
    history(
        y,
        ("mql", at(3, month=2)),
        ("sal", at(4, month=2)),
        ("sql", at(10, month=2)),
        ("lost", at(20)),
    )
    history(z, ("mql", at(6, month=2)))
    CostEntryFactory(campaign=campaign, date=at(10).date(), amount=Decimal("400"))
    CostEntryFactory(campaign=campaign, date=at(10, month=2).date(), amount=Decimal("100"))
    return campaign


def test_conversion_between_each_pair_of_stages(funnel_month):
    numbers = values(MARCH, now=NOW)
    assert numbers["lead_to_mql_rate"] == 0.75
    assert numbers["mql_to_sal_rate"] == 0.6667
    assert numbers["sal_to_sql_rate"] == 0.5
    assert numbers["sql_to_won_rate"] == 1.0
    assert numbers["mql_to_sql_rate"] == 0.3333


def test_win_rate_is_won_over_won_and_lost(funnel_month):
    assert values(MARCH, names=["win_rate"])["win_rate"] == 0.5


def test_cost_per_stage_and_roi(funnel_month):
    numbers = values(MARCH)
    assert numbers["cost_per_lead"] == Decimal("100.00")
    assert numbers["cost_per_mql"] == Decimal("133.33")
    assert numbers["cost_per_sql"] == Decimal("400.00")
    assert numbers["cost_per_won"] == Decimal("400.00")
    assert numbers["roi"] == 4.0


def test_lead_velocity_compares_mqls_with_the_period_before(funnel_month):
    assert values(MARCH, names=["lead_velocity"])["lead_velocity"] == 0.5


def test_lead_velocity_from_no_mqls_is_none(funnel_month):
    assert values(BEFORE_MARCH, names=["lead_velocity"])["lead_velocity"] is None


def test_compare_gives_the_previous_period_of_equal_length(funnel_month):
    numbers = compare(MARCH, now=NOW)

    assert numbers.previous_period == BEFORE_MARCH
    assert (numbers.current["leads"], numbers.previous["leads"]) == (4, 2)
    assert (numbers.current["mqls"], numbers.previous["mqls"]) == (3, 2)
    assert numbers.previous["sql_to_won_rate"] == 0.0
    assert numbers.previous["win_rate"] is None
    assert numbers.previous["cost_per_lead"] == Decimal("50.00")
    assert numbers.previous["roi"] == -1.0
    assert numbers.currency == "EUR"
    assert numbers.change("leads") == 1.0
    assert numbers.change("win_rate") is None


def test_compare_answers_the_same_numbers_as_each_period_alone(funnel_month):
    both = compare(MARCH, now=NOW)

    assert both.current == values(MARCH, now=NOW)
    previous_alone = values(BEFORE_MARCH, now=NOW)
    assert {k: v for k, v in both.previous.items() if not METRICS[k].snapshot} == {
        k: v for k, v in previous_alone.items() if not METRICS[k].snapshot
    }


@pytest.fixture
def handoff_month(db, rep):
    """Six handoffs opened in March (claim due in 60 minutes, contact 240 after claim).

    | # | routed | notified | claimed | contact | end                       |
    | 1 | +1     | +4       | +20     | +80     | claimed: both clocks met  |
    | 2 | +2     | +10      | +90     | +120    | closed: claim late        |
    | 3 | +1     | +5       | —       | —       | rejected at +30: in time  |
    | 4 | +5     | +6       | +10     | never   | claimed: contact missed   |
    | 5 | +1     | —        | —       | —       | withdrawn at +30: not due |
    | 6 | +1     | —        | —       | —       | withdrawn at +120: missed |

    Decisions: accepted 1 2 4, rejected 3 → 0.75. Claim clock: due 1 2 3 4 6, met 1 3 4
    → 0.6; contact clock: due 1 2 4, met 1 2 → 0.6667; both: met 1 3 → 0.4.
    """
    minutes = [
        (2, 1, 4, 20, 80, {}),
        (3, 2, 10, 90, 120, {"status": Handoff.Status.CLOSED}),
        (4, 1, 5, None, None, {"status": Handoff.Status.REJECTED, "rejected_at": 30}),
        (6, 5, 6, 10, None, {}),
        (7, 1, None, None, None, {"status": Handoff.Status.WITHDRAWN, "withdrawn_at": 30}),
        (8, 1, None, None, None, {"status": Handoff.Status.WITHDRAWN, "withdrawn_at": 120}),
    ]
    for day, routed, notified, claimed, contact, extra in minutes:
        start = at(day)

        def later(minutes, start=start):
            return start + minutes * MINUTE if minutes is not None else None

        fields = {
            "routed_at": later(routed),
            "notified_at": later(notified),
            "claimed_at": later(claimed),
            "first_contact_at": later(contact),
        }
        if claimed is not None:
            fields["claimed_by"] = rep
        for stamp in ("rejected_at", "withdrawn_at"):
            if stamp in extra:
                extra[stamp] = later(extra[stamp])
        if extra.get("status") == Handoff.Status.REJECTED:
            extra["rejection_reason"] = "not_a_fit"
        opened(lead_created(start), start, **fields, **extra)


def test_acceptance_counts_sales_decisions_only(handoff_month):
    numbers = values(MARCH, now=NOW)
    assert (numbers["handoffs"], numbers["rejected"], numbers["acceptance_rate"]) == (6, 1, 0.75)


def test_sla_compliance_of_each_clock(handoff_month):
    numbers = values(MARCH, now=NOW)
    assert numbers["claim_sla_rate"] == 0.6
    assert numbers["contact_sla_rate"] == 0.6667
    assert numbers["sla_compliance_rate"] == 0.4


def test_speed_to_lead_in_its_steps_median_and_p90(handoff_month):
    assert speed_to_lead(MARCH, now=NOW) == [
        {"step": "route", "label": "MQL → routed", "median": 1.0, "p90": 3.5},
        {"step": "notify", "label": "Routed → rep notified", "median": 3.5, "p90": 6.8},
        {"step": "pick_up", "label": "Notified → claimed", "median": 16.0, "p90": 67.2},
        {"step": "contact", "label": "Claimed → first contact", "median": 45.0, "p90": 57.0},
        {"step": "claim", "label": "MQL → claimed", "median": 20.0, "p90": 76.0},
        {"step": "lead", "label": "MQL → first contact", "median": 100.0, "p90": 116.0},
    ]


def test_each_month_is_judged_by_the_due_times_of_its_own_agreement(db, rep):
    """Two handoffs claimed an hour after opening: one under a 30-minute target (missed),
    one under a 120-minute target (met). A stricter agreement later changes nothing."""
    for day, target in ((2, 30), (3, 120)):
        lead = lead_created(at(day))
        opened(lead, at(day), claim_minutes=target, claimed_at=at(day, 11), claimed_by=rep)
    assert values(MARCH, now=NOW)["claim_sla_rate"] == 0.5

    AgreementVersion.objects.update(claim_sla_minutes=1)

    assert values(MARCH, now=NOW)["claim_sla_rate"] == 0.5


def _version(number: int, fields: list[str]) -> AgreementVersion:
    return AgreementVersion.objects.create(
        number=number,
        status=AgreementVersion.Status.SUPERSEDED,
        mql_threshold=50,
        mql_required_fields=fields,
        claim_sla_minutes=60,
        first_contact_sla_minutes=240,
    )


def test_brief_completeness_uses_each_handoffs_agreement_and_brief(db):
    """v1 (in force) asks for nothing; v2 asks for company and phone.

    a: v1 → complete. b: v2, the brief has both → complete. c: v2, the brief's phone was
    empty (the lead has one now: it came too late) → incomplete. d: v2, no brief, the
    lead has no phone → incomplete. e: v2, no brief, the lead has both → complete.
    3 of 5.
    """
    v2 = _version(2, ["company", "phone"])
    who = {"company": "Acme", "phone": "+1 555"}
    cases = [
        (None, {}, {}),
        (v2, {"who": who}, {}),
        (v2, {"who": {**who, "phone": ""}}, {"phone": "+1 555"}),
        (v2, {}, {"company": "Beta", "phone": ""}),
        (v2, {}, {"company": "Gamma", "phone": "+1 666"}),
    ]
    for day, (agreement, brief, fields) in enumerate(cases, start=2):
        opened(lead_created(at(day), **fields), at(day), agreement=agreement, brief=brief)

    assert values(MARCH, names=["brief_completeness_rate"])["brief_completeness_rate"] == 0.6


def test_a_required_field_no_lead_has_is_never_filled(db):
    version = _version(3, ["favourite_colour"])
    opened(lead_created(at(2)), at(2), agreement=version)

    assert values(MARCH, names=["brief_completeness_rate"])["brief_completeness_rate"] == 0.0


def test_brief_completeness_without_handoffs_is_none(db):
    assert values(MARCH, names=["brief_completeness_rate"])["brief_completeness_rate"] is None


@pytest.fixture
def stays(db):
    """Stays that ended in March, in days.

    s1 (created 1 Mar): new 2, MQL 0.5, SAL 3, SQL 10 (won on 16 March).
    s2 (created 20 Feb): new 10 (ends 2 March: counted), MQL 0.5; its SAL stay ends in
    April: not counted. s3 (created 1 Mar): new 9, MQL 4 (recycled).
    Medians: new 9, MQL 0.5, SAL 3, SQL 10.
    """
    s1 = lead_created(at(1, 0))
    history(
        s1,
        ("mql", at(3, 0)),
        ("sal", at(3, 12)),
        ("sql", at(6, 12)),
        ("won", at(16, 12), Decimal(1)),
    )
    s2 = lead_created(at(20, 0, month=2))
    history(s2, ("mql", at(2, 0)), ("sal", at(2, 12)), ("sql", at(3, 0, month=4)))
    s3 = lead_created(at(1, 0))
    history(s3, ("mql", at(10, 0)), ("recycled", at(14, 0)))


def test_time_in_stage_is_the_median_of_the_stays_that_ended(stays):
    assert time_in_stage(MARCH) == [
        {"stage": "new", "label": "New", "days_median": 9.0},
        {"stage": "mql", "label": "MQL", "days_median": 0.5},
        {"stage": "sal", "label": "SAL", "days_median": 3.0},
        {"stage": "sql", "label": "SQL", "days_median": 10.0},
    ]


def test_leads_without_an_owner_at_their_stage(db, rep):
    """SAL with no owner, SQL with no owner: 2 unowned (an SQL the rep owns is not).
    MQLs: one with no handoff, one whose handoff was rejected: 2 waiting (one with an
    open handoff is not)."""
    lead_created(at(1), stage=Stage.SAL)
    lead_created(at(1), stage=Stage.SQL)
    lead_created(at(1), stage=Stage.SQL, owner=rep)
    lead_created(at(1), stage=Stage.MQL)
    rejected = lead_created(at(1), stage=Stage.MQL)
    opened(rejected, at(1), status=Handoff.Status.REJECTED, rejection_reason="no_need")
    opened(lead_created(at(1), stage=Stage.MQL), at(2))

    numbers = compare(MARCH, now=NOW)

    assert (numbers.current["unowned_leads"], numbers.current["mqls_waiting"]) == (2, 2)
    assert (numbers.previous["unowned_leads"], numbers.previous["mqls_waiting"]) == (None, None)


def test_an_owner_scope_counts_their_leads_and_their_campaigns(db, rep, marketer):
    """The rep owns r1 (of campaign B); the marketer owns campaign A (a1, a2) and its
    300 of spend; campaign B's lead b1 and 50 of spend are nobody's here."""
    mine = CampaignFactory(owner=marketer, channel=Channel.EMAIL)
    other = CampaignFactory()
    lead_created(at(2), other, owner=rep)
    lead_created(at(3), mine)
    lead_created(at(4), mine)
    lead_created(at(5), other)
    CostEntryFactory(campaign=mine, date=at(2).date(), amount=Decimal("300"))
    CostEntryFactory(campaign=other, date=at(2).date(), amount=Decimal("50"))

    for_rep = values(MARCH, Scope(owner=rep.pk), ["leads", "spend"])
    for_marketer = values(MARCH, Scope(owner=marketer.pk), ["leads", "spend"])

    assert for_rep == {"leads": 1, "spend": Decimal("0.00")}
    assert for_marketer == {"leads": 2, "spend": Decimal("300.00")}


def test_every_metric_has_a_label_a_kind_and_a_value(funnel_month):
    numbers = values(MARCH, names=list(METRICS), now=NOW)
    for name, metric in METRICS.items():
        assert metric.name == name
        assert metric.label
        assert metric.kind in ("count", "rate", "money", "minutes", "days")
        assert metric.better in ("higher", "lower")
        assert metric(MARCH, now=NOW) == numbers[name]


def test_one_metric_reads_only_the_tables_it_needs(funnel_month, django_assert_num_queries):
    latest_rollup()  # asked once a minute at most: the cache remembers the answer
    with django_assert_num_queries(1):
        METRICS["leads"](MARCH)
    with django_assert_num_queries(2):
        METRICS["cost_per_sql"](MARCH)


def test_time_in_stage_is_asked_for_by_name_only(funnel_month):
    assert "days_in_sal_median" in METRICS
    assert "days_in_sal_median" not in values(MARCH, now=NOW)
    assert values(MARCH, names=["days_in_sal_median"]) == {"days_in_sal_median": 2.0}


def test_compare_reads_each_table_once_whatever_the_data(
    funnel_month, handoff_month, django_assert_max_num_queries
):
    for day in range(1, 20):
        lead = lead_created(at(day), funnel_month)
        history(lead, ("mql", at(day, 11)), ("sal", at(day, 12)))
        opened(lead, at(day, 11))
    latest_rollup()  # asked once a minute at most: the cache remembers the answer
    with django_assert_max_num_queries(6):
        compare(MARCH, now=NOW)
