"""The demo company: built once per module (it takes a few seconds), then read.

The seed sets its own business hours (Berlin, Mon–Fri 08:00–18:00, public holidays off),
so these tests keep them instead of the suite's round-the-clock calendar, and build the
demo as of a fixed Tuesday morning: its SLA clocks read the same whenever the suite runs.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from alignment import events, notifications
from alignment.business_hours import add_working_minutes
from alignment.models import Event, Notification, TeamCalendar
from alignment.roles import MANAGER, MARKETING, SALES
from alignment.services import working_calendar
from campaigns.models import Campaign, CostEntry
from handoffs.models import Activity, Handoff, HandoffStep, RepAvailability, RoutingRule
from handoffs.services import escalate_overdue
from handoffs.services.handoffs import due_times
from kpis.queries import Period, calibration, summary
from leads.models import Comment, Lead, Stage, StageChange, Touchpoint
from leads.scoring.rescoring import run_rescore, start_rescore
from leads.scoring.rules.models import ScoreChange
from tests.conftest import ensure_reference_data
from tests.pages.dashboard_page import dashboard

pytestmark = pytest.mark.no_always_open

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
DEMO_MODELS = (Campaign, CostEntry, Lead, Touchpoint, StageChange, Handoff, Activity, Event)
NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # Tuesday, 10:30 in Berlin
ESCALATIONS = (HandoffStep.Kind.WARNED, HandoffStep.Kind.ESCALATED, HandoffStep.Kind.REQUEUED)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards."""
    fast_hashing = override_settings(PASSWORD_HASHERS=[MD5])  # as conftest does per test
    with fast_hashing, django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        out = StringIO()
        # As ./run builds it: DEBUG on, so with the superuser.
        call_command("seed_demo", "--with-admin", stdout=out, now=NOW)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return demo


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*DEMO_MODELS, Notification)}


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.mark.parametrize(
    ("username", "role"),
    [("marketer", MARKETING), ("manager", MANAGER), ("rep1", SALES), ("rep2", SALES)],
)
def test_it_creates_a_demo_user_for_each_role(seeded, username, role):
    assert user(username).groups.filter(name=role).exists()
    assert user(username).check_password("tandem-demo")


def test_it_creates_an_admin_superuser(seeded):
    admin = user("admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("tandem-demo")


@override_settings(DEBUG=False)
def test_with_debug_off_it_makes_no_superuser(seeded):
    user("admin").delete()
    out = StringIO()

    call_command("seed_demo", stdout=out, now=NOW)

    assert not get_user_model().objects.filter(username="admin").exists()
    assert not get_user_model().objects.filter(is_superuser=True).exists()
    assert " admin " not in out.getvalue()
    assert " marketer " in out.getvalue()


@override_settings(DEBUG=False)
def test_with_debug_off_the_flag_makes_the_superuser(seeded):
    user("admin").delete()
    out = StringIO()

    call_command("seed_demo", "--with-admin", stdout=out, now=NOW)

    admin = user("admin")
    assert admin.is_superuser and admin.check_password("tandem-demo")
    assert " admin " in out.getvalue()


@override_settings(DEBUG=True)
def test_with_debug_on_as_run_has_it_it_makes_the_superuser(seeded):
    user("admin").delete()

    call_command("seed_demo", stdout=StringIO(), now=NOW)

    assert user("admin").is_superuser


def test_it_prints_the_logins_with_their_password(seeded):
    for username in ("marketer", "manager", "rep1", "rep2", "admin"):
        assert f" {username} " in seeded
    assert "tandem-demo" in seeded


def test_it_prints_what_it_built(seeded):
    assert "3 routing rules" in seeded
    assert "Europe/Berlin" in seeded
    assert f"{Comment.objects.count()} comments" in seeded


def test_it_creates_campaigns_on_several_channels_with_spend(seeded):
    campaigns = Campaign.objects.all()
    assert len({campaign.channel for campaign in campaigns}) >= 5
    assert CostEntry.objects.values("campaign").distinct().count() >= 5
    assert not CostEntry.objects.filter(date__gt=NOW.date()).exists()


def test_the_active_campaigns_have_web_forms_that_open(seeded, client):
    active = Campaign.objects.filter(status=Campaign.Status.ACTIVE)
    assert active.exists()
    for campaign in active:
        assert campaign.form_headline and campaign.form_fields.get("company") == "required"
        page = client.get(f"/f/{campaign.form_key}/")
        assert page.status_code == 200
        assert campaign.form_headline in page.content.decode()


def test_it_creates_a_few_hundred_leads_spread_over_ninety_days(seeded):
    created = Lead.objects.values_list("created_at", flat=True)
    assert len(created) >= 250
    assert min(created) < NOW - timedelta(days=75)
    assert max(created) > NOW - timedelta(hours=1)


def test_leads_arrived_in_each_week_of_the_quarter_and_more_of_them_later(seeded):
    weeks: dict[tuple[int, int], int] = {}
    for created in Lead.objects.values_list("created_at", flat=True):
        week = tuple(created.isocalendar()[:2])
        weeks[week] = weeks.get(week, 0) + 1
    per_week = [weeks[week] for week in sorted(weeks)]
    assert len(per_week) >= 12
    assert sum(per_week[-6:]) > 1.5 * sum(per_week[:6])  # the audience grew


def test_the_scores_foretold_what_sales_made_of_the_leads(seeded):
    report = calibration()
    assert report.outcomes >= 50
    assert 0.7 < report.auc < 0.95  # as real rules would: far better than a coin, not perfect


def test_the_campaigns_paid_back_a_few_times_over_and_one_did_not(seeded):
    quarter = Period.from_dates(NOW.date() - timedelta(days=120), NOW.date())
    assert 1.5 < summary(quarter, now=NOW).roi < 6
    paid_back = []
    for campaign in Campaign.objects.exclude(costs=None):
        spent = sum(campaign.costs.values_list("amount", flat=True))
        won = StageChange.objects.filter(lead__campaign=campaign, to_stage=Stage.WON)
        paid_back.append(sum(won.values_list("amount", flat=True)) > spent)
    assert paid_back.count(False) >= 1 and paid_back.count(True) >= 3


def test_every_lead_was_scored_by_the_rules_with_an_explanation(seeded):
    unexplained = [lead.pk for lead in Lead.objects.all() if not lead.score_breakdown]
    assert unexplained == []


def test_every_mql_opened_a_handoff(seeded):
    assert StageChange.objects.filter(to_stage=Stage.MQL).count() == Handoff.objects.count()


@pytest.mark.parametrize("status", Handoff.Status.values)
def test_it_leaves_handoffs_in_each_status(seeded, status):
    assert Handoff.objects.filter(status=status).exists()


def test_the_team_works_berlin_office_hours_with_public_holidays_off(seeded):
    calendar = TeamCalendar.objects.get(pk=1)
    assert calendar.time_zone == "Europe/Berlin"
    assert calendar.days == {day: ["08:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert {"2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"} <= set(calendar.holidays)
    assert "2027-03-29" in calendar.holidays  # Easter Monday
    assert calendar.updated_by == user("manager")
    assert calendar.updated_at < NOW - timedelta(days=90)


def test_the_manager_set_routing_rules_before_the_history_began(seeded):
    rules = list(RoutingRule.objects.order_by("position"))
    assert [rule.name for rule in rules] == [
        "Enterprise (1,000+ employees)",
        "DACH (DE, AT, CH)",
        "North America (US, CA)",
    ]
    assert rules[0].action == RoutingRule.Action.REP and rules[0].rep == user("rep1")
    dach = {member.user.username: member.weight for member in rules[1].members.all()}
    assert rules[1].action == RoutingRule.Action.ROUND_ROBIN and dach == {"rep2": 2, "rep1": 1}
    assert all(rule.created_by == user("manager") for rule in rules)
    assert all(rule.created_at < NOW - timedelta(days=90) for rule in rules)


def test_each_rep_has_a_capacity_and_tom_had_a_week_away(seeded):
    capacities = dict(RepAvailability.objects.values_list("user__username", "capacity"))
    assert capacities == {"rep1": 25, "rep2": 25}
    away = RepAvailability.objects.get(user__username="rep2")
    assert away.away_until - away.away_from > timedelta(days=7)
    assert away.away_until < NOW


def test_historic_handoffs_were_routed_to_reps_by_the_rules_and_say_why(seeded):
    routed = Handoff.objects.exclude(routed_to=None).exclude(routing_rule=None)
    assert routed.filter(routing_reason__startswith="Rule 1 Enterprise").exists()
    assert routed.filter(routing_reason__contains="round robin").exists()
    unmatched = Handoff.objects.filter(routing_reason="No rule matched → team queue.")
    assert unmatched.filter(routed_to=None, routing_rule=None).exists()


def test_round_robin_skipped_a_rep_who_was_away_or_full(seeded):
    reasons = Handoff.objects.values_list("routing_reason", flat=True)
    assert any("Tom Becker is away until" in reason for reason in reasons)
    assert any("is at capacity" in reason for reason in reasons)


def test_a_lead_offered_to_a_rep_went_to_another_only_after_its_claim_clock_ran_out(seeded):
    offered = {
        event.payload["handoff"]: event.payload["routed_to"]
        for event in Event.objects.filter(name=events.HANDOFF_OPENED)
    }
    reassigned = set(
        HandoffStep.objects.filter(kind=HandoffStep.Kind.REASSIGNED).values_list(
            "handoff", flat=True
        )
    )
    claimed = Handoff.objects.exclude(claimed_by=None).select_related("claimed_by")
    taken = [h for h in claimed if offered[h.pk] not in (None, h.claimed_by.username)]
    assert taken, "a teammate took over some leads whose rep did not claim them in time"
    early = [h.pk for h in taken if h.pk not in reassigned and h.claimed_at < h.claim_due_at]
    assert early == []


def test_sales_claimed_leads_in_business_hours(seeded):
    calendar = working_calendar()
    claims = Handoff.objects.exclude(claimed_at=None).values_list("claimed_at", flat=True)
    assert [at for at in claims if add_working_minutes(calendar, at, 0) != at] == []


def test_reps_logged_activities_only_on_leads_they_had_claimed(seeded):
    holders: dict[int, set[str]] = {}
    for event in Event.objects.filter(name=events.HANDOFF_CLAIMED):
        holders.setdefault(event.payload["handoff"], set()).add(event.payload["claimed_by"])
    for event in Event.objects.filter(name=events.HANDOFF_REASSIGNED):
        holders.setdefault(event.payload["handoff"], set()).add(event.payload["after"]["assignee"])
    activities = Activity.objects.select_related("handoff", "rep")
    assert activities.count() >= 50
    for activity in activities:
        assert activity.handoff is not None and activity.handoff.claimed_at is not None
        assert activity.occurred_at >= activity.handoff.claimed_at
        assert activity.rep.username in holders[activity.handoff_id]


def test_reps_won_deals_with_amounts_and_lost_others_with_reasons(seeded):
    won = StageChange.objects.filter(to_stage=Stage.WON)
    lost = StageChange.objects.filter(to_stage=Stage.LOST)
    assert won.exists() and not won.filter(amount__isnull=True).exists()
    assert lost.exists() and not lost.filter(reason="").exists()


def test_some_claims_missed_the_sla_and_the_chain_escalated_them(seeded):
    late = [h for h in Handoff.objects.exclude(claimed_at=None) if h.claimed_at > h.claim_due_at]
    assert late
    steps = set(HandoffStep.objects.values_list("kind", "clock"))
    assert {("warned", "claim"), ("escalated", "claim"), ("requeued", "claim")} <= steps
    assert ("escalated", "first_contact") in steps
    breaches = Notification.objects.filter(kind=notifications.SLA_BREACH)
    assert breaches.filter(recipient=user("manager"), delivery="digest").exists()


def test_reps_logged_activities_that_stopped_the_contact_clock(seeded):
    assert Handoff.objects.exclude(first_contact_at=None).exists()


def test_each_past_handoff_was_announced_at_its_own_time(seeded):
    """Notices newer than an hour wait for the worker; the older ones were delivered."""
    past = Handoff.objects.filter(created_at__lt=NOW - timedelta(hours=1))
    assert not past.filter(notified_at=None).exists()
    late = [h.pk for h in past if h.notified_at - h.created_at > timedelta(hours=1)]
    assert late == []
    assert not past.filter(notified_at__lt=F("created_at")).exists()


def test_the_teams_talked_on_leads_with_mentions_that_notified(seeded):
    comments = Comment.objects.select_related("author", "lead").prefetch_related("mentions")
    authors = {comment.author.username for comment in comments}
    assert {"marketer", "manager"} <= authors and authors & {"rep1", "rep2"}
    assert any("EUR" in comment.body for comment in comments)
    mentioned = [(comment, person) for comment in comments for person in comment.mentions.all()]
    assert len(mentioned) >= 8
    for comment, person in mentioned:
        assert Notification.objects.filter(
            recipient=person, kind=notifications.MENTION, subject=f"lead:{comment.lead_id}"
        ).exists()


def test_the_history_is_stamped_with_its_own_time(seeded):
    hour_ago = NOW - timedelta(hours=1)
    assert Event.objects.filter(created_at__lt=hour_ago).count() > Event.objects.count() / 2
    assert Notification.objects.filter(created_at__lt=hour_ago).exists()
    assert not Notification.objects.filter(created_at__gt=NOW).exists()


def test_the_open_handoffs_are_fresh_mqls_waiting_in_the_queue(seeded):
    open_handoffs = Handoff.objects.filter(status=Handoff.Status.OPEN)
    assert open_handoffs.count() >= 5
    assert not open_handoffs.filter(created_at__lt=NOW - timedelta(hours=1)).exists()
    assert all(handoff.lead.stage == Stage.MQL for handoff in open_handoffs)


def test_the_waiting_mqls_claim_clocks_count_business_hours(seeded):
    calendar = working_calendar()
    for handoff in Handoff.objects.filter(status=Handoff.Status.OPEN):
        minutes = handoff.agreement.sla_for(handoff.brief["score"]).claim_minutes
        due, warning = due_times(calendar, handoff.created_at, minutes)
        assert (handoff.claim_due_at, handoff.claim_warning_at) == (due, warning)


def test_a_rescore_right_after_seeding_changes_no_score(seeded):
    scores = dict(Lead.objects.values_list("pk", "score"))
    history = ScoreChange.objects.count()
    job = start_rescore(reason="Nightly rescore for decay.")
    run_rescore(job.pk, now=NOW)
    job.refresh_from_db()
    assert (job.result["scored"], job.result["changed"], job.result["moved"]) == (
        len(scores),
        0,
        0,
    )
    assert ScoreChange.objects.count() == history
    assert dict(Lead.objects.values_list("pk", "score")) == scores


def test_a_second_run_changes_nothing(seeded):
    before = counts()
    out = StringIO()
    call_command("seed_demo", stdout=out, now=NOW)
    assert counts() == before
    assert "already there" in out.getvalue()


def test_a_later_run_makes_the_waiting_mqls_fresh_again(seeded):
    waiting = Handoff.objects.filter(status=Handoff.Status.OPEN)
    opened = dict(waiting.values_list("pk", "created_at"))
    offered = dict(waiting.values_list("pk", "routed_to"))
    later = NOW + timedelta(days=3, hours=2)
    escalate_overdue(now=later)  # the worker's sweeps while the app was stopped
    assert not waiting.filter(claim_escalated_at=None).exists()

    call_command("seed_demo", stdout=StringIO(), now=later)

    calendar = working_calendar()
    assert set(waiting.values_list("pk", flat=True)) == set(opened)
    for handoff in waiting.select_related("agreement", "lead"):
        assert handoff.created_at == opened[handoff.pk] + (later - NOW)
        assert handoff.routed_to_id == offered[handoff.pk]
        minutes = handoff.agreement.sla_for(handoff.brief["score"]).claim_minutes
        assert handoff.claim_due_at == due_times(calendar, handoff.created_at, minutes)[0]
        assert handoff.claim_due_at > handoff.created_at
        assert (handoff.claim_warned_at, handoff.claim_escalated_at, handoff.requeued_at) == (
            None,
            None,
            None,
        )
        assert not handoff.steps.filter(kind__in=ESCALATIONS).exists()
        last_touch = handoff.lead.touchpoints.order_by("-occurred_at").first()
        assert later - timedelta(hours=1) < last_touch.occurred_at <= handoff.created_at
    assert not Notification.objects.filter(created_at__gt=later).exists()


def test_a_later_run_leaves_scores_a_rescore_then_would_give(seeded):
    later = NOW + timedelta(days=3)
    call_command("seed_demo", stdout=StringIO(), now=later)
    history = ScoreChange.objects.count()
    job = start_rescore(reason="Nightly rescore for decay.")
    run_rescore(job.pk, now=later)
    job.refresh_from_db()
    assert job.result["changed"] == 0
    assert ScoreChange.objects.count() == history


def test_reset_rebuilds_the_demo_and_keeps_other_leads(seeded):
    own = Lead.objects.create(email="buyer@customer.com")
    demo_campaigns = set(Campaign.objects.values_list("pk", flat=True))
    demo_rules = set(RoutingRule.objects.values_list("pk", flat=True))
    call_command("seed_demo", "--reset", stdout=StringIO(), now=NOW)
    assert Lead.objects.filter(pk=own.pk).exists()
    assert Lead.objects.filter(email__endswith=".example").count() >= 250
    assert not Campaign.objects.filter(pk__in=demo_campaigns).exists()
    assert RoutingRule.objects.count() == 3
    assert not RoutingRule.objects.filter(pk__in=demo_rules).exists()


def test_goals_run_for_the_month_and_quarter_the_demo_is_opened_in(seeded, client):
    from datetime import date

    from kpis.models import Goal

    goals = {(g.metric, g.period_kind, g.period_start, g.owner_id) for g in Goal.objects.all()}
    rep1 = user("rep1").pk
    assert goals == {
        ("sqls", "quarter", date(2026, 10, 1), None),
        ("mqls", "month", date(2026, 12, 1), None),
        ("cost_per_lead", "quarter", date(2026, 10, 1), None),
        ("won", "month", date(2026, 12, 1), rep1),
    }

    call_command("seed_demo", stdout=StringIO(), now=NOW)
    assert Goal.objects.count() == 4

    client.force_login(user("manager"))
    page = dashboard(client).content.decode()
    assert 'role="progressbar"' in page
