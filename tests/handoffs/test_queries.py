"""``handoffs.queries``: the claim queue, a rep's leads and the lead timeline."""

from datetime import UTC, datetime, timedelta

from alignment.models import Notification
from alignment.roles import SALES
from handoffs.models import Handoff
from handoffs.queries import claim_queue, lead_timeline, leads_of
from handoffs.services import claim_handoff, log_activity, reject_handoff
from leads import lifecycle
from leads.models import Stage
from tests.factories import HandoffFactory, LeadFactory, TouchpointFactory

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_queue_lists_open_handoffs_most_urgent_first(db):
    later = HandoffFactory(created_at=T0 + timedelta(minutes=30))
    sooner = HandoffFactory(created_at=T0)
    HandoffFactory(created_at=T0 - timedelta(hours=1), status="rejected", rejection_reason="other")
    assert list(claim_queue()) == [sooner, later]


def test_the_queue_leaves_out_claimed_handoffs(claimed_handoff):
    assert not claim_queue().exists()


def test_a_rep_sees_the_team_queue_and_what_was_routed_to_them(db, rep, other_rep):
    team = HandoffFactory(created_at=T0)
    mine = HandoffFactory(created_at=T0 + timedelta(minutes=1), routed_to=rep)
    HandoffFactory(created_at=T0 + timedelta(minutes=2), routed_to=other_rep)
    assert list(claim_queue(rep, now=T0)) == [team, mine]


def test_a_rep_also_sees_a_lead_whose_offer_to_another_rep_ran_out(db, rep, other_rep):
    offered = HandoffFactory(created_at=T0, routed_to=other_rep)
    assert list(claim_queue(rep, now=offered.claim_due_at)) == [offered]


def test_the_queue_loads_its_rows_in_one_query(db, django_assert_num_queries):
    HandoffFactory.create_batch(5, lead__campaign=None)
    with django_assert_num_queries(1):
        rows = [(h.lead.email, h.routed_to, h.claimed_by) for h in claim_queue()]
    assert len(rows) == 5


def test_leads_of_lists_only_the_reps_leads(claimed_handoff, rep, other_rep):
    LeadFactory(owner=other_rep)
    assert list(leads_of(rep)) == [claimed_handoff.lead]


def test_the_timeline_merges_everything_newest_first(db, rep):
    lead = LeadFactory(stage=Stage.NEW)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=T0 - timedelta(days=1))
    lifecycle.advance(lead, Stage.MQL, automatic=True, at=T0)
    handoff = Handoff.objects.get(lead=lead)
    claim_handoff(handoff, rep=rep, now=T0 + timedelta(minutes=10))
    log_activity(
        lead, rep=rep, kind="call", outcome="connected", occurred_at=T0 + timedelta(hours=1)
    )
    reject_handoff(handoff, rep=rep, reason="bad_timing", now=T0 + timedelta(hours=2))
    assert [(entry.kind, entry.title) for entry in lead_timeline(lead)] == [
        ("stage_change", "SAL → Recycled"),
        ("handoff", "Rejected: Bad timing"),
        ("activity", "Call"),
        ("stage_change", "MQL → SAL"),
        ("handoff", "Claimed"),
        ("stage_change", "New → MQL"),
        ("handoff", "Handed off to sales"),
        ("touchpoint", "Demo requested"),
    ]


def test_the_timeline_names_who_did_what(claimed_handoff, rep):
    log_activity(claimed_handoff.lead, rep=rep, kind="demo")
    actors = {entry.title: entry.actor for entry in lead_timeline(claimed_handoff.lead)}
    assert actors["Demo"] == "Sam Seller"
    assert actors["MQL → SAL"] == "Sam Seller"
    assert actors["New → MQL"] == "Scoring"


def test_the_timeline_reads_in_a_fixed_number_of_queries(
    claimed_handoff, rep, other_rep, django_assert_num_queries
):
    from leads.comments import add_comment

    lead = claimed_handoff.lead
    TouchpointFactory.create_batch(3, lead=lead)
    for _ in range(3):
        log_activity(lead, rep=rep, kind="email")
    for _ in range(3):
        add_comment(lead, author=rep, body="@rob can you take a look?")
    with django_assert_num_queries(9):
        entries = [entry.as_dict() for entry in lead_timeline(lead)]
    assert len(entries) == 3 + 3 + 2 + 2 + 3


def test_a_lead_with_no_history_has_an_empty_timeline(db):
    assert lead_timeline(LeadFactory(stage=Stage.NEW)) == []


def _queries_to_open_one_in_the_team_queue() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from handoffs.services import open_handoff

    lead = LeadFactory(stage=Stage.MQL, campaign=None)
    with CaptureQueriesContext(connection) as captured:
        handoff = open_handoff(lead, now=T0)
    handoff.refresh_from_db()
    assert handoff.routed_to is None
    assert handoff.notified_at == T0
    return len(captured)


def test_announcing_a_queued_mql_costs_the_same_for_two_reps_or_twelve(db):
    from tests.factories import UserFactory

    UserFactory.create_batch(2, roles=[SALES])
    _queries_to_open_one_in_the_team_queue()  # the first reads what is then cached
    with_two = _queries_to_open_one_in_the_team_queue()
    UserFactory.create_batch(10, roles=[SALES])
    with_twelve = _queries_to_open_one_in_the_team_queue()
    assert Notification.objects.filter(kind="handoff.opened").count() == 2 + 2 + 12
    assert with_twelve == with_two
