"""``rep_rows`` on a constructed March, worked out by hand.

Handoffs opened in March (claim due in 60 minutes, first contact 240 after the claim):
- sam: h1 claimed after 20, contacted 60 later; h2 claimed after 90 (late), contacted
  30 later; h3 offered to him and sent back unclaimed after 30 (in time).
  → 3 handoffs, 2 claimed, 1 rejection, acceptance 2/3; to claim: median 55, p90 83;
  to contact: median 45, p90 57; SLA h1 h3 of 3 = 0.6667; claim h1 h3 of 3; contact 2/2.
- rob: h4 claimed after 10, never contacted; h5 offered to him, never claimed.
  → 2 handoffs, 1 claimed; SLA 0 of 2; claim 1 of 2; contact 0 of 1.
Outcomes in March of the leads sam owns: 2 SQL, 1 won (500), 1 lost → win rate 0.5.
Ravi, a third rep, did nothing: a row of zeros.
"""

from decimal import Decimal

import pytest

from handoffs.models import Handoff
from kpis.queries import Scope, rep_rows
from tests.factories import UserFactory
from tests.kpis.builders import MARCH, MINUTE, NOW, at, history, lead_created, opened


@pytest.fixture
def reps_month(db, rep, other_rep):
    def claimed(day, by, claim, contact=None):
        lead = lead_created(at(day), owner=by)
        return opened(
            lead,
            at(day),
            claimed_at=at(day) + claim * MINUTE,
            claimed_by=by,
            first_contact_at=at(day) + (claim + contact) * MINUTE if contact else None,
        )

    h1 = claimed(2, rep, 20, 60)
    h2 = claimed(3, rep, 90, 30)
    opened(
        lead_created(at(4)),
        at(4),
        routed_to=rep,
        rejected_by=rep,
        status=Handoff.Status.REJECTED,
        rejected_at=at(4) + 30 * MINUTE,
        rejection_reason="no_need",
    )
    claimed(6, other_rep, 10)
    opened(lead_created(at(7)), at(7), routed_to=other_rep)
    history(h1.lead, ("sql", at(10)), ("won", at(20), Decimal(500)))
    history(h2.lead, ("sql", at(11)), ("lost", at(21)))
    UserFactory(username="ravi", roles=["sales"])


def row_of(rows, username):
    return next(row for row in rows if row.username == username)


def test_claims_speed_and_rejections_per_rep(reps_month):
    sam = row_of(rep_rows(MARCH, now=NOW), "sam")

    assert (sam.handoffs, sam.claimed, sam.rejections, sam.acceptance_rate) == (3, 2, 1, 0.6667)
    assert (sam.speed_to_claim_minutes_median, sam.speed_to_claim_minutes_p90) == (55.0, 83.0)
    assert (sam.speed_to_contact_minutes_median, sam.speed_to_contact_minutes_p90) == (
        45.0,
        57.0,
    )


def test_sla_compliance_per_rep(reps_month):
    rows = rep_rows(MARCH, now=NOW)

    sam, rob = row_of(rows, "sam"), row_of(rows, "rob")
    assert (sam.sla_compliance_rate, sam.claim_sla_rate, sam.contact_sla_rate) == (
        0.6667,
        0.6667,
        1.0,
    )
    assert (rob.handoffs, rob.claimed, rob.speed_to_contact_minutes_median) == (2, 1, None)
    assert (rob.sla_compliance_rate, rob.claim_sla_rate, rob.contact_sla_rate) == (0.0, 0.5, 0.0)


def test_sqls_wins_and_win_rate_of_the_leads_a_rep_owns(reps_month):
    sam = row_of(rep_rows(MARCH, now=NOW), "sam")

    assert (sam.sqls, sam.won, sam.lost, sam.won_amount, sam.win_rate) == (
        2,
        1,
        1,
        Decimal("500.00"),
        0.5,
    )
    assert sam.currency == "EUR"


def test_a_rep_with_nothing_has_a_row_of_zeros_and_no_ratios(reps_month):
    ravi = row_of(rep_rows(MARCH, now=NOW), "ravi")

    assert (ravi.handoffs, ravi.claimed, ravi.sqls) == (0, 0, 0)
    assert (ravi.acceptance_rate, ravi.win_rate, ravi.speed_to_claim_minutes_median) == (
        None,
        None,
        None,
    )


def test_an_owner_scope_keeps_the_reps_with_numbers_for_those_leads(reps_month, rep):
    rows = rep_rows(MARCH, Scope(owner=rep.pk), now=NOW)

    assert [(row.username, row.handoffs, row.sqls) for row in rows] == [("sam", 2, 2)]


def test_the_rep_table_takes_three_queries_whatever_the_reps(reps_month, django_assert_num_queries):
    for n in range(4):
        other = UserFactory(roles=["sales"])
        lead = lead_created(at(12 + n), owner=other)
        opened(lead, at(12 + n), claimed_at=at(12 + n, 11), claimed_by=other)
    with django_assert_num_queries(3):
        rep_rows(MARCH, now=NOW)
