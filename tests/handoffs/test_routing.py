"""Routing (``handoffs.routing``): the rules in order, first match wins, a named rep or a
weighted round robin that skips reps who are away or full and says so, a rotation kept in
the database, a dry run that changes nothing, and the rules' own validation."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alignment.notifications import local_time
from alignment.roles import SALES
from handoffs.models import Handoff
from handoffs.routing import engine, services
from handoffs.routing.models import RepAvailability, RoutingMember, RoutingRule
from handoffs.routing.services import decisions
from handoffs.services import claim_handoff, open_handoff
from leads.models import Stage
from tests.factories import CampaignFactory, HandoffFactory, LeadFactory, UserFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def sue(db):
    return UserFactory(username="sue", first_name="Sue", last_name="Summers", roles=[SALES])


@pytest.fixture(autouse=True)
def fresh_rule_cache():
    """Each test starts as a freshly started process would."""
    decisions._cache.update(version=None, rules=[])


def rule(manager, name="Everyone", *, conditions=(), action="team_queue", **more):
    return services.create_rule(
        by=manager, name=name, conditions=list(conditions), action=action, **more
    )


def cond(field, operator, value=""):
    return {"field": field, "operator": operator, "value": value}


def lead(**fields):
    values = {"stage": Stage.MQL, "score": 60, "country": "US"}
    values.update(fields)
    return LeadFactory(**values)


def route(**fields):
    return services.route(lead(**fields), now=NOW)


def names(rows):
    return [row.username if row is not None else None for row in rows]


def away(user, *, until=None, since=None):
    if since is None and until is None:
        since = NOW - timedelta(days=1)  # away since yesterday, until they say otherwise
    RepAvailability.objects.update_or_create(
        user=user, defaults={"away_from": since, "away_until": until}
    )


def capacity(user, limit):
    RepAvailability.objects.update_or_create(user=user, defaults={"capacity": limit})


# Rules in order ---------------------------------------------------------------------------


def test_a_lead_no_rule_matches_goes_to_the_team_queue(db):
    destination = route()

    assert (destination.rep, destination.reason, destination.rule_id) == (
        None,
        "No rule matched → team queue.",
        None,
    )


def test_the_first_matching_rule_wins(manager, rep, other_rep):
    rule(manager, "US to Sam", conditions=[cond("country", "equals", "US")], action="rep", rep=rep)
    rule(manager, "Anyone to Rob", action="rep", rep=other_rep)

    destination = route(country="US")

    assert destination.rep == rep
    assert destination.reason == "Rule 1 US to Sam → Sam Seller."


def test_a_lead_the_first_rule_misses_falls_through_to_the_next(manager, rep, other_rep):
    rule(manager, "US to Sam", conditions=[cond("country", "equals", "US")], action="rep", rep=rep)
    second = rule(manager, "Anyone to Rob", action="rep", rep=other_rep)

    destination = route(country="DE")

    assert (destination.rep, destination.rule_id) == (other_rep, second.pk)
    assert destination.reason == "Rule 2 Anyone to Rob → Rob Rival."


def test_an_inactive_rule_is_skipped(manager, rep, other_rep):
    rule(manager, "Off", action="rep", rep=rep, active=False)
    rule(manager, "On", action="rep", rep=other_rep)

    assert route().rep == other_rep


def test_a_rule_moved_to_the_top_wins_from_then_on(manager, rep, other_rep):
    rule(manager, "To Sam", action="rep", rep=rep)
    to_rob = rule(manager, "To Rob", action="rep", rep=other_rep)
    assert route().rep == rep

    services.update_rule(to_rob, by=manager, position=1)

    assert route().rep == other_rep


def test_a_team_queue_rule_says_which_rule_sent_the_lead_there(manager):
    queue = rule(manager, "Students", conditions=[cond("job_title", "contains", "student")])

    destination = route(job_title="PhD Student")

    assert (destination.rep, destination.rule_id) == (None, queue.pk)
    assert destination.reason == "Rule 1 Students → team queue."


# Conditions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fields", "matches"),
    [
        (cond("country", "equals", "de"), {"country": "DE"}, True),
        (cond("country", "equals", "DE"), {"country": "AT"}, False),
        (cond("country", "one_of", "DE, AT, CH"), {"country": "CH"}, True),
        (cond("country", "one_of", "DE, AT, CH"), {"country": "FR"}, False),
        (cond("company_size", "between", "200-1000"), {"company_size": 250}, True),
        (cond("company_size", "between", "200-1000"), {"company_size": 1001}, False),
        (cond("company_size", "between", "1001-"), {"company_size": 5000}, True),
        (cond("company_size", "between", "1001-"), {"company_size": None}, False),
        (cond("industry", "contains", "software|saas"), {"industry": "B2B SaaS"}, True),
        (cond("industry", "contains", "software|saas"), {"industry": "Retail"}, False),
        (cond("industry", "is_empty"), {"industry": ""}, True),
        (cond("industry", "matches", r"^fin(ance|tech)$"), {"industry": "Fintech"}, True),
        (cond("score", "between", "80-"), {"score": 80}, True),
        (cond("score", "between", "80-"), {"score": 79}, False),
        (cond("score", "between", "-49"), {"score": 10}, True),
        (cond("fit_score", "between", "30-"), {"fit_score": 31}, True),
        (cond("engagement_score", "between", "30-"), {"engagement_score": 3}, False),
        (cond("job_title", "contains", "vp|head"), {"job_title": "VP Sales"}, True),
        (cond("email_domain", "equals", "acme.com"), {"email": "ana@acme.com"}, True),
        (cond("utm_source", "equals", "linkedin"), {"utm_source": "LinkedIn"}, True),
    ],
)
def test_a_condition_tests_a_lead_fact(manager, rep, condition, fields, matches):
    rule(manager, "Test", conditions=[condition], action="rep", rep=rep)

    assert (route(**fields).rep == rep) is matches


def test_a_campaign_condition_matches_the_leads_first_campaign(manager, rep):
    webinar, ads = CampaignFactory(), CampaignFactory()
    rule(manager, "Webinar", conditions=[cond("campaign", "equals", str(webinar.pk))], rep=rep,
         action="rep")  # fmt: skip

    assert route(campaign=webinar).rep == rep
    assert route(campaign=ads).rep is None
    assert route(campaign=None).rep is None


def test_a_channel_condition_matches_the_campaigns_channel(manager, rep):
    rule(manager, "Events", conditions=[cond("channel", "one_of", "event, webinar")], rep=rep,
         action="rep")  # fmt: skip

    assert route(campaign=CampaignFactory(channel="event")).rep == rep
    assert route(campaign=CampaignFactory(channel="email")).rep is None
    assert route(campaign=None).rep is None


def test_every_condition_of_a_rule_must_hold(manager, rep):
    rule(
        manager,
        "DACH enterprise",
        conditions=[
            cond("country", "one_of", "DE, AT, CH"),
            cond("company_size", "between", "500-"),
        ],
        action="rep",
        rep=rep,
    )

    assert route(country="DE", company_size=800).rep == rep
    assert route(country="DE", company_size=100).rep is None
    assert route(country="US", company_size=800).rep is None


def test_a_rule_without_conditions_matches_every_lead(manager, rep):
    rule(manager, "All", action="rep", rep=rep)

    assert route(country="", company_size=None, industry="").rep == rep


def test_the_engine_picks_the_first_match_without_a_database():
    first = engine.CompiledRule(
        1, 1, "DE", "team_queue", (engine.Condition("country", "equals", "DE"),)
    )
    second = engine.CompiledRule(2, 2, "All", "team_queue")

    assert engine.first_match([first, second], {"country": "de"}) is first
    assert engine.first_match([first, second], {"country": "fr"}) is second
    assert engine.first_match([first], {"country": None}) is None


# A named rep ------------------------------------------------------------------------------


def test_a_named_rep_who_is_away_leaves_the_lead_to_the_team_queue(manager, rep):
    named = rule(manager, "Key accounts", action="rep", rep=rep)
    until = NOW + timedelta(days=3)
    away(rep, until=until)

    destination = route()

    assert (destination.rep, destination.rule_id) == (None, named.pk)
    assert destination.reason == (
        f"Rule 1 Key accounts → Sam Seller; Sam Seller is away until "
        f"{local_time(until, UTC, now=NOW)} → team queue."
    )
    assert "Thu 09:00" in destination.reason


def test_a_named_rep_back_from_time_away_gets_leads_again(manager, rep):
    rule(manager, "Key accounts", action="rep", rep=rep)
    away(rep, since=NOW - timedelta(days=5), until=NOW - timedelta(minutes=1))

    assert route().rep == rep


def test_time_away_that_has_not_started_does_not_count(manager, rep):
    rule(manager, "Key accounts", action="rep", rep=rep)
    away(rep, since=NOW + timedelta(days=1), until=NOW + timedelta(days=2))

    assert route().rep == rep


def test_time_away_without_an_end_lasts_until_the_rep_returns(manager, rep):
    rule(manager, "Key accounts", action="rep", rep=rep)
    away(rep, since=NOW - timedelta(days=1))

    assert route().reason == "Rule 1 Key accounts → Sam Seller; Sam Seller is away → team queue."


def test_a_named_rep_at_capacity_leaves_the_lead_to_the_team_queue(manager, rep):
    rule(manager, "Key accounts", action="rep", rep=rep)
    capacity(rep, 1)
    open_handoff(lead(), now=NOW)

    second = open_handoff(lead(), now=NOW)

    assert second.routed_to is None
    assert second.routing_reason == (
        "Rule 1 Key accounts → Sam Seller; Sam Seller is at capacity (1 of 1) → team queue."
    )


def test_a_deactivated_named_rep_leaves_the_lead_to_the_team_queue(manager, rep):
    rule(manager, "Key accounts", action="rep", rep=rep)
    rep.is_active = False
    rep.save()

    assert route().reason.endswith("Sam Seller is deactivated → team queue.")


# Load and capacity ------------------------------------------------------------------------


def test_the_load_counts_leads_offered_and_leads_claimed_and_still_in_play(manager, rep):
    rule(manager, "All to Sam", action="rep", rep=rep)
    offered = open_handoff(lead())
    claimed = claim_handoff(open_handoff(lead()), rep=rep)
    open_handoff(lead())

    assert services.loads([rep.pk]) == {rep.pk: 3}
    assert offered.routed_to == rep
    assert claimed.claimed_by == rep


def test_a_claimed_lead_that_left_play_no_longer_counts(manager, rep):
    from handoffs.services import move_lead

    rule(manager, "All to Sam", action="rep", rep=rep)
    claimed = claim_handoff(open_handoff(lead()), rep=rep)
    move_lead(claimed.lead, to_stage=Stage.LOST, by=rep, reason="Chose a rival.")

    assert services.loads([rep.pk]) == {rep.pk: 0}


def test_the_load_of_reps_without_leads_is_zero(rep, other_rep):
    assert services.loads([rep.pk, other_rep.pk]) == {rep.pk: 0, other_rep.pk: 0}


# Round robin ------------------------------------------------------------------------------


def round_robin(manager, *members, name="DACH", conditions=()):
    return rule(
        manager,
        name,
        conditions=conditions,
        action="round_robin",
        members=[{"user": user, "weight": weight} for user, weight in members],
    )


def test_a_round_robin_takes_turns(manager, rep, other_rep):
    round_robin(manager, (rep, 1), (other_rep, 1))

    assert names(route().rep for _ in range(4)) == ["sam", "rob", "sam", "rob"]


def test_a_round_robin_shares_leads_by_weight(manager, rep, other_rep, sue):
    round_robin(manager, (rep, 3), (other_rep, 2), (sue, 1))

    chosen = names(route().rep for _ in range(60))

    assert (chosen.count("sam"), chosen.count("rob"), chosen.count("sue")) == (30, 20, 10)


def test_a_weighted_round_robin_interleaves_instead_of_sending_runs(manager, rep, other_rep):
    round_robin(manager, (rep, 2), (other_rep, 1))

    chosen = names(route().rep for _ in range(6))

    assert chosen.count("sam") == 4
    assert "sam, sam, sam" not in ", ".join(chosen)


def test_the_round_robin_counts_what_each_member_was_given(manager, rep, other_rep):
    dach = round_robin(manager, (rep, 2), (other_rep, 1))
    for _ in range(6):
        route()

    assigned = dict(
        RoutingMember.objects.filter(rule=dach).values_list("user__username", "assigned")
    )
    assert assigned == {"sam": 4, "rob": 2}


def test_a_round_robin_skips_a_rep_at_capacity_and_says_so_in_words(manager, other_rep, sue):
    rule(manager, "Students", conditions=[cond("job_title", "contains", "student")])
    dach = round_robin(
        manager, (other_rep, 1), (sue, 1), conditions=[cond("country", "one_of", "DE, AT, CH")]
    )
    capacity(sue, 1)
    HandoffFactory(routed_to=sue)  # waiting for her claim: she is full

    handoff = open_handoff(lead(country="AT"), now=NOW)

    assert (handoff.routed_to, handoff.routing_rule_id) == (other_rep, dach.pk)
    assert handoff.routing_reason == (
        "Rule 2 DACH → round robin Rob Rival, Sue Summers; "
        "Sue Summers is at capacity (1 of 1) → Rob Rival."
    )


def test_a_rep_with_room_again_rejoins_the_rotation(manager, other_rep, sue):
    round_robin(manager, (other_rep, 1), (sue, 1))
    capacity(sue, 1)
    waiting = HandoffFactory(routed_to=sue)
    assert route().rep == other_rep

    Handoff.objects.filter(pk=waiting.pk).update(status=Handoff.Status.WITHDRAWN)

    assert route().rep == sue


def test_a_round_robin_skips_a_rep_who_is_away_and_says_until_when(manager, rep, other_rep):
    round_robin(manager, (rep, 1), (other_rep, 1))
    until = NOW + timedelta(days=3)
    away(rep, until=until)

    destinations = [route() for _ in range(3)]

    assert names(d.rep for d in destinations) == ["rob", "rob", "rob"]
    assert destinations[0].reason == (
        "Rule 1 DACH → round robin Sam Seller, Rob Rival; "
        "Sam Seller is away until Thu 09:00 → Rob Rival."
    )


def test_a_round_robin_with_nobody_available_leaves_the_lead_to_the_team_queue(
    manager, rep, other_rep
):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))
    away(rep)
    capacity(other_rep, 0)

    destination = route()

    assert (destination.rep, destination.rule_id) == (None, dach.pk)
    assert destination.reason == (
        "Rule 1 DACH → round robin Sam Seller, Rob Rival; Sam Seller is away, "
        "Rob Rival is at capacity (0 of 0) → team queue."
    )


def test_a_deactivated_member_is_skipped(manager, rep, other_rep):
    round_robin(manager, (rep, 1), (other_rep, 1))
    rep.is_active = False
    rep.save()

    destinations = [route() for _ in range(2)]

    assert names(d.rep for d in destinations) == ["rob", "rob"]
    assert "Sam Seller is deactivated" in destinations[0].reason


def test_the_rotation_survives_a_restart(manager, rep, other_rep, sue):
    round_robin(manager, (rep, 1), (other_rep, 1), (sue, 1))
    before = names(route().rep for _ in range(2))

    decisions._cache.update(version=None, rules=[])  # a new process: nothing in memory
    after = names(route().rep for _ in range(4))

    assert before + after == ["sam", "rob", "sue", "sam", "rob", "sue"]


def test_the_rotation_state_lives_in_the_database(manager, rep, other_rep):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))
    route()

    dach.refresh_from_db()
    turns = dict(RoutingMember.objects.filter(rule=dach).values_list("user__username", "turn"))
    assert turns == {"sam": 1.0, "rob": 0.0}


def test_a_rep_back_from_time_away_does_not_get_a_burst(manager, rep, other_rep, sue):
    round_robin(manager, (rep, 1), (other_rep, 1), (sue, 1))
    away(sue)
    assert set(names(route().rep for _ in range(30))) == {"sam", "rob"}

    away(sue, since=NOW - timedelta(days=2), until=NOW - timedelta(minutes=1))
    chosen = names(route().rep for _ in range(9))

    assert (chosen.count("sam"), chosen.count("rob"), chosen.count("sue")) == (3, 3, 3)
    assert chosen[:3].count("sue") == 1


def test_a_rep_added_to_a_busy_rotation_joins_at_its_clock(manager, rep, other_rep, sue):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))
    for _ in range(20):
        route()

    services.update_rule(
        dach,
        by=manager,
        members=[{"user": rep, "weight": 1}, {"user": other_rep, "weight": 1}, {"user": sue}],
    )
    chosen = names(route().rep for _ in range(6))

    assert chosen.count("sue") == 2


def test_members_kept_in_an_edit_keep_their_turn(manager, rep, other_rep):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))
    route()

    services.update_rule(
        dach, by=manager, members=[{"user": rep, "weight": 2}, {"user": other_rep}]
    )

    assert RoutingMember.objects.get(rule=dach, user=rep).turn == 1.0
    assert RoutingMember.objects.get(rule=dach, user=rep).weight == 2


def test_the_engine_picks_the_lowest_turn_and_rejoins_a_late_turn_at_the_clock():
    seats = [
        engine.Seat(user_id=1, name="A", weight=1, turn=0.0, position=0),
        engine.Seat(user_id=2, name="B", weight=2, turn=5.0, position=1),
    ]

    result = engine.pick(seats, clock=4.0)

    assert (result.chosen.user_id, result.clock, result.new_turn) == (1, 4.0, 5.0)


def test_the_engine_breaks_ties_by_position():
    seats = [
        engine.Seat(user_id=7, name="A", weight=1, turn=1.0, position=1),
        engine.Seat(user_id=8, name="B", weight=1, turn=1.0, position=0),
    ]

    assert engine.pick(seats, clock=0.0).chosen.user_id == 8


# Dry run ----------------------------------------------------------------------------------


def test_a_dry_run_changes_nothing(manager, rep, other_rep):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))
    route()
    leads = [lead() for _ in range(4)]
    members_before = list(
        RoutingMember.objects.filter(rule=dach).values("user", "turn", "assigned")
    )
    dach.refresh_from_db()
    clock_before = dach.clock

    rows = services.dry_run(leads, now=NOW)

    assert len(rows) == 4
    assert list(RoutingMember.objects.filter(rule=dach).values("user", "turn", "assigned")) == (
        members_before
    )
    dach.refresh_from_db()
    assert dach.clock == clock_before
    assert not Handoff.objects.filter(lead__in=leads).exists()


def test_a_dry_run_continues_the_saved_rotation_in_memory(manager, rep, other_rep):
    round_robin(manager, (rep, 1), (other_rep, 1))
    route()  # Sam took the last lead: Rob is next

    rows = services.dry_run([lead() for _ in range(3)], now=NOW)

    assert names(row.rep for row in rows) == ["rob", "sam", "rob"]


def test_a_dry_run_fills_capacity_as_it_goes(manager, rep, other_rep):
    round_robin(manager, (rep, 1), (other_rep, 1))
    capacity(rep, 1)

    rows = services.dry_run([lead() for _ in range(3)], now=NOW)

    assert names(row.rep for row in rows) == ["sam", "rob", "rob"]
    assert "Sam Seller is at capacity (1 of 1)" in rows[2].reason


def test_a_dry_run_compares_with_where_each_lead_went(manager, rep, other_rep):
    to_sam = rule(manager, "To Sam", action="rep", rep=rep)
    went = open_handoff(lead(), now=NOW)
    services.update_rule(to_sam, by=manager, rep=other_rep, name="To Rob")

    (row,) = services.dry_run([went.lead], now=NOW)

    assert (row.rep, row.went_to, row.changed) == (other_rep, rep, True)
    assert row.went_reason == "Rule 1 To Sam → Sam Seller."
    assert row.reason == "Rule 1 To Rob → Rob Rival."


def test_a_dry_run_of_a_lead_that_would_go_the_same_way_is_unchanged(manager, rep):
    rule(manager, "To Sam", action="rep", rep=rep)
    went = open_handoff(lead(), now=NOW)

    (row,) = services.dry_run([went.lead], now=NOW)

    assert (row.rep, row.went_to, row.changed) == (rep, rep, False)


def test_a_dry_run_compares_with_where_routing_sent_a_lead_not_who_claimed_it(
    manager, rep, other_rep
):
    went = claim_handoff(open_handoff(lead(), now=NOW), rep=other_rep)
    rule(manager, "To Sam", action="rep", rep=rep)

    (row,) = services.dry_run([went.lead], now=NOW)

    assert (row.went_to, row.rep, row.changed) == (None, rep, True)


def test_latest_mqls_are_the_leads_of_the_latest_handoffs_each_once(db):
    first, second = lead(), lead()
    open_handoff(first, now=NOW - timedelta(hours=2))
    open_handoff(second, now=NOW - timedelta(hours=1))

    assert services.latest_mqls(5) == [second, first]
    assert services.latest_mqls(1) == [second]


def test_a_dry_run_tries_an_edited_rule_in_place_of_the_saved_one(manager, rep, other_rep):
    saved = rule(manager, "To Sam", action="rep", rep=rep)
    draft = services.compile_draft(
        name="To Rob", conditions=[], action="rep", rep=other_rep, rule_id=saved.pk
    )

    rows = services.dry_run([lead()], rules=services.rules_with(draft), now=NOW)

    assert rows[0].rep == other_rep
    assert rows[0].reason == "Rule 1 To Rob → Rob Rival."
    assert RoutingRule.objects.get(pk=saved.pk).rep == rep


def test_a_dry_run_tries_a_new_rule_at_a_position(manager, rep, other_rep):
    rule(manager, "To Sam", action="rep", rep=rep)
    draft = services.compile_draft(
        name="DE to Rob", conditions=[cond("country", "equals", "DE")], action="rep", rep=other_rep
    )

    rules = services.rules_with(draft, position=1)
    rows = services.dry_run([lead(country="DE"), lead(country="US")], rules=rules, now=NOW)

    assert [r.name for r in rules] == ["DE to Rob", "To Sam"]
    assert [r.number for r in rules] == [1, 2]
    assert names(row.rep for row in rows) == ["rob", "sam"]
    assert rows[1].reason == "Rule 2 To Sam → Sam Seller."


def test_a_dry_run_leaves_out_a_rule_switched_off_in_the_edit(manager, rep):
    saved = rule(manager, "To Sam", action="rep", rep=rep)
    draft = services.compile_draft(name="To Sam", conditions=[], action="rep", rep=rep,
                                   rule_id=saved.pk)  # fmt: skip

    assert services.rules_with(draft, active=False) == []


def test_two_new_round_robins_in_a_dry_run_keep_separate_rotations(manager, rep, other_rep, sue):
    de = services.compile_draft(
        name="DE",
        conditions=[cond("country", "equals", "DE")],
        action="round_robin",
        members=[{"user": rep}, {"user": other_rep}],
    )
    at = services.compile_draft(
        name="AT",
        conditions=[cond("country", "equals", "AT")],
        action="round_robin",
        members=[{"user": rep}, {"user": sue}],
    )
    rules = [replace(at, number=1), replace(de, number=2)]  # as the edited list numbers them

    rows = services.dry_run(
        [lead(country="DE"), lead(country="AT"), lead(country="DE"), lead(country="AT")],
        rules=rules,
        now=NOW,
    )

    assert names(row.rep for row in rows) == ["sam", "sam", "rob", "sue"]


# Writing the rules ------------------------------------------------------------------------


def test_rules_are_numbered_one_to_n_in_the_order_added(manager):
    for name in ("A", "B", "C"):
        rule(manager, name)

    assert list(RoutingRule.objects.values_list("name", "position")) == [
        ("A", 1),
        ("B", 2),
        ("C", 3),
    ]


def test_a_rule_added_at_a_position_pushes_the_others_down(manager):
    for name in ("A", "B"):
        rule(manager, name)

    rule(manager, "First", position=1)

    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["First", "A", "B"]
    assert list(RoutingRule.objects.values_list("position", flat=True)) == [1, 2, 3]


def test_a_position_past_the_end_puts_the_rule_last(manager):
    rule(manager, "A")

    added = rule(manager, "B", position=99)

    added.refresh_from_db()
    assert added.position == 2


def test_moving_a_rule_renumbers_the_rest(manager):
    a, b, c = (rule(manager, name) for name in "ABC")

    services.update_rule(c, by=manager, position=1)

    assert list(RoutingRule.objects.values_list("name", "position")) == [
        ("C", 1),
        ("A", 2),
        ("B", 3),
    ]


def test_deleting_a_rule_closes_the_gap(manager):
    a, b, c = (rule(manager, name) for name in "ABC")

    services.delete_rule(b, by=manager)

    assert list(RoutingRule.objects.values_list("name", "position")) == [("A", 1), ("C", 2)]


def test_a_deleted_rule_leaves_its_reason_on_the_handoffs_it_routed(manager, rep):
    to_sam = rule(manager, "To Sam", action="rep", rep=rep)
    handoff = open_handoff(lead(), now=NOW)

    services.delete_rule(to_sam, by=manager)

    handoff.refresh_from_db()
    assert (handoff.routing_rule, handoff.routing_reason) == (None, "Rule 1 To Sam → Sam Seller.")


def test_changing_a_rule_takes_effect_for_the_next_lead(manager, rep, other_rep):
    to_sam = rule(manager, "To Sam", action="rep", rep=rep)
    assert route().rep == rep

    services.update_rule(to_sam, by=manager, rep=other_rep)

    assert route().rep == other_rep


def test_switching_a_rule_off_takes_effect_for_the_next_lead(manager, rep):
    to_sam = rule(manager, "To Sam", action="rep", rep=rep)
    assert route().rep == rep

    services.update_rule(to_sam, by=manager, active=False)

    assert route().rep is None


def test_a_rule_that_stops_rotating_drops_its_members(manager, rep, other_rep):
    dach = round_robin(manager, (rep, 1), (other_rep, 1))

    services.update_rule(dach, by=manager, action="rep", rep=rep)

    assert not RoutingMember.objects.filter(rule=dach).exists()


def test_a_rep_rule_stores_no_members_and_a_round_robin_no_rep(manager, rep, other_rep):
    named = rule(manager, "Named", action="rep", rep=rep, members=[{"user": other_rep}])
    rotating = round_robin(manager, (rep, 1))

    assert not RoutingMember.objects.filter(rule=named).exists()
    assert rotating.rep is None


def test_conditions_are_stored_trimmed(manager):
    saved = rule(manager, "  DE  ", conditions=[cond("country", "equals", "  DE ")])

    saved.refresh_from_db()
    assert saved.name == "DE"
    assert saved.conditions == [cond("country", "equals", "DE")]


def test_an_integer_value_is_stored_as_text(manager):
    saved = rule(manager, "Big", conditions=[{"field": "company_size", "operator": "equals",
                                              "value": 500}])  # fmt: skip

    assert saved.conditions == [cond("company_size", "equals", "500")]


@pytest.mark.parametrize("writer", ["marketer", "rep", "outsider"])
def test_only_a_manager_writes_rules(request, manager, writer):
    user = request.getfixturevalue(writer)
    saved = rule(manager, "A")

    with pytest.raises(PermissionDenied):
        services.create_rule(by=user, name="B", conditions=[], action="team_queue")
    with pytest.raises(PermissionDenied):
        services.update_rule(saved, by=user, name="C")
    with pytest.raises(PermissionDenied):
        services.delete_rule(saved, by=user)
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["A"]


def errors_of(manager, **values):
    fields = {"name": "A rule", "conditions": [], "action": "team_queue"}
    fields.update(values)
    with pytest.raises(ValidationError) as caught:
        services.create_rule(by=manager, **fields)
    assert not RoutingRule.objects.exists()
    return caught.value.message_dict


def test_a_rule_needs_a_name(manager):
    assert errors_of(manager, name="   ") == {"name": ["Give the rule a name."]}


def test_a_rule_name_has_at_most_100_characters(manager):
    assert errors_of(manager, name="x" * 101) == {"name": ["At most 100 characters."]}


def test_an_unknown_action_is_refused(manager):
    assert list(errors_of(manager, action="coin_toss")) == ["action"]


@pytest.mark.parametrize(
    ("condition", "key"),
    [
        ({"field": "shoe_size", "operator": "equals", "value": "9"}, "field"),
        ({"field": "country", "operator": "sounds_like", "value": "DE"}, "operator"),
        ({"field": "country", "operator": "equals", "value": ""}, "value"),
        ({"field": "country", "operator": "between", "value": "1-5"}, "value"),
        ({"field": "score", "operator": "between", "value": "90-10"}, "value"),
        ({"field": "score", "operator": "between", "value": "lots"}, "value"),
        ({"field": "industry", "operator": "matches", "value": "(unclosed"}, "value"),
        ({"field": "country", "operator": "one_of", "value": " , "}, "value"),
        ({"field": "country", "operator": "equals", "value": ["DE"]}, "value"),
        ({"field": "country", "operator": "equals", "value": {"$ne": 1}}, "value"),
        ({"field": "country", "operator": "equals", "value": True}, "value"),
        ({"field": "country", "operator": "equals", "value": "x" * 501}, "value"),
        ({"field": "country", "operator": "equals", "value": "DE", "extra": 1}, "non_field_errors"),
        ("country equals DE", "non_field_errors"),
    ],
)
def test_a_bad_condition_is_refused_with_its_reason(manager, condition, key):
    messages = errors_of(manager, conditions=[condition])["conditions"]

    assert len(messages) >= 1
    assert messages[0].startswith(f"Condition 1 ({key}): ")


def test_conditions_must_be_a_list(manager):
    assert list(errors_of(manager, conditions={"field": "country"})) == ["conditions"]


def test_at_most_20_conditions(manager):
    many = [cond("country", "equals", "DE")] * 21

    assert errors_of(manager, conditions=many) == {"conditions": ["At most 20 conditions."]}


def test_a_rep_rule_needs_a_rep(manager):
    assert errors_of(manager, action="rep") == {"rep": ["Choose the rep this rule sends leads to."]}


def test_a_rep_rule_needs_an_active_sales_rep(manager, marketer, rep):
    rep.is_active = False
    rep.save()

    assert errors_of(manager, action="rep", rep=marketer) == {
        "rep": ["Mia Marketer is not an active sales rep."]
    }
    assert errors_of(manager, action="rep", rep=rep) == {
        "rep": ["Sam Seller is not an active sales rep."]
    }


def test_a_round_robin_needs_members(manager):
    assert errors_of(manager, action="round_robin") == {
        "members": ["Choose the reps to rotate between."]
    }


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (0, "Sam Seller: give a weight from 1 to 100."),
        (101, "Sam Seller: give a weight from 1 to 100."),
        (True, "Sam Seller: the weight is a whole number."),
        (1.5, "Sam Seller: the weight is a whole number."),
        ("2", "Sam Seller: the weight is a whole number."),
    ],
)
def test_a_member_weight_is_a_whole_number_from_1_to_100(manager, rep, weight, message):
    errors = errors_of(manager, action="round_robin", members=[{"user": rep, "weight": weight}])

    assert errors == {"members": [message]}


def test_a_member_listed_twice_is_refused(manager, rep):
    errors = errors_of(manager, action="round_robin", members=[{"user": rep}, {"user": rep}])

    assert errors == {"members": ["Sam Seller is listed twice."]}


def test_a_member_must_be_an_active_sales_rep(manager, marketer):
    errors = errors_of(manager, action="round_robin", members=[{"user": marketer}])

    assert errors == {"members": ["Mia Marketer is not an active sales rep."]}


def test_a_rotation_has_at_most_50_members(manager):
    reps = [UserFactory(roles=[SALES]) for _ in range(51)]

    errors = errors_of(manager, action="round_robin", members=[{"user": u} for u in reps])

    assert errors == {"members": ["At most 50 reps."]}


def test_an_invalid_edit_changes_nothing(manager, rep):
    saved = rule(manager, "To Sam", action="rep", rep=rep)

    with pytest.raises(ValidationError):
        services.update_rule(saved, by=manager, action="round_robin", members=[])

    saved.refresh_from_db()
    assert (saved.action, saved.rep) == ("rep", rep)


def test_update_rule_refuses_unknown_changes(manager):
    saved = rule(manager, "A")

    with pytest.raises(TypeError):
        services.update_rule(saved, by=manager, clock=0)


# Availability -----------------------------------------------------------------------------


def test_a_rep_sets_their_own_time_away(rep):
    until = NOW + timedelta(days=2)

    row = services.set_availability(rep, by=rep, capacity=None, away_from=NOW, away_until=until)

    assert (row.away_from, row.away_until, row.updated_by) == (NOW, until, rep)


def test_a_rep_cannot_set_their_own_capacity(rep):
    with pytest.raises(PermissionDenied):
        services.set_availability(rep, by=rep, capacity=50)

    assert not RepAvailability.objects.exists()


def test_a_rep_cannot_set_another_reps_time_away(rep, other_rep):
    with pytest.raises(PermissionDenied):
        services.set_availability(other_rep, by=rep, capacity=None, away_from=NOW)


def test_a_manager_sets_capacity_and_time_away(manager, rep):
    row = services.set_availability(rep, by=manager, capacity=8, away_until=NOW)

    assert (row.capacity, row.away_until, row.updated_by) == (8, NOW, manager)


def test_a_rep_keeps_the_capacity_a_manager_set_when_they_set_time_away(manager, rep):
    services.set_availability(rep, by=manager, capacity=8)

    row = services.set_availability(rep, by=rep, capacity=8, away_from=NOW)

    assert (row.capacity, row.away_from) == (8, NOW)


def test_time_away_must_end_after_it_starts(manager, rep):
    with pytest.raises(ValidationError) as caught:
        services.set_availability(rep, by=manager, capacity=None, away_from=NOW, away_until=NOW)

    assert list(caught.value.message_dict) == ["away_until"]


def test_availability_is_for_sales_reps(manager, marketer):
    with pytest.raises(ValidationError):
        services.set_availability(marketer, by=manager, capacity=3)


def test_available_reps_are_active_sales_reps_who_are_not_away(rep, other_rep, sue, manager):
    away(sue)
    capacity(other_rep, 0)

    assert set(services.available_reps(now=NOW)) == {rep, other_rep}


def test_the_reason_numbers_a_rule_by_its_place_in_the_list_even_after_a_switched_off_one(
    manager, rep
):
    rule(manager, "Paused", action="rep", rep=rep, active=False)
    rule(manager, "To Sam", action="rep", rep=rep)

    assert route().reason == "Rule 2 To Sam → Sam Seller."


def test_a_dry_run_numbers_rules_as_the_list_shows_them(manager, rep, other_rep):
    rule(manager, "Paused", action="rep", rep=rep, active=False)
    to_sam = rule(manager, "To Sam", action="rep", rep=rep)
    draft = services.compile_draft(name="To Rob", conditions=[], action="rep", rep=other_rep)

    rules = services.rules_with(draft, position=2)

    assert [(r.number, r.name) for r in rules] == [(2, "To Rob"), (3, "To Sam")]
    edited = services.compile_draft(name="To Sam", conditions=[], action="rep", rep=rep,
                                    rule_id=to_sam.pk)  # fmt: skip
    assert [(r.number, r.name) for r in services.rules_with(edited)] == [(2, "To Sam")]
    assert [(r.number, r.name) for r in services.rules_with(edited, position=1)] == [(1, "To Sam")]


def test_a_lead_back_in_the_team_queue_no_longer_counts_against_its_rep(manager, rep):
    handoff = open_handoff(lead(), now=NOW)
    Handoff.objects.filter(pk=handoff.pk).update(routed_to=rep)
    assert services.loads([rep.pk]) == {rep.pk: 1}

    Handoff.objects.filter(pk=handoff.pk).update(requeued_at=NOW)

    assert services.loads([rep.pk]) == {rep.pk: 0}


def test_rules_replaced_by_as_many_older_looking_ones_are_read_again(manager, rep, other_rep):
    first = rule(manager, "To Sam", action="rep", rep=rep)
    assert services.route(lead(), now=NOW).rep == rep
    stamp = first.updated_at
    first.delete()
    second = rule(manager, "To Rob", action="rep", rep=other_rep)
    RoutingRule.objects.filter(pk=second.pk).update(updated_at=stamp)

    assert services.route(lead(), now=NOW).rep == other_rep


def test_a_rep_who_left_sales_is_skipped_and_the_reason_says_so(manager, rep):
    rule(manager, "To Sam", action="rep", rep=rep)
    rep.groups.clear()
    rep = type(rep).objects.get(pk=rep.pk)

    decision = services.route(lead(), now=NOW)

    assert decision.rep is None
    assert decision.reason == (
        "Rule 1 To Sam → Sam Seller; Sam Seller is no longer in sales → team queue."
    )
