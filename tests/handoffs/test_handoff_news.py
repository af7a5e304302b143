"""What a handoff's life tells people: the routed rep when marketing takes a lead back, the
campaign's owner when sales sends a lead back or wins it, and the escalation chain on
real business hours (a lead due on Monday is not breached on Saturday)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from alignment.models import Notification, TeamCalendar
from handoffs.models import Handoff, HandoffStep
from handoffs.queries import lead_timeline, speed_to_lead
from handoffs.routing.services import create_rule
from handoffs.services import (
    claim_handoff,
    escalate_overdue,
    move_lead,
    open_handoff,
    reject_handoff,
)
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory


@pytest.fixture
def campaign(marketer):
    return CampaignFactory(name="Spring webinar", owner=marketer)


@pytest.fixture
def lead(campaign):
    return LeadFactory(stage=Stage.MQL, first_name="Ana", last_name="Lima", campaign=campaign)


def news(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind)


# Marketing takes a lead back --------------------------------------------------------------


def test_the_routed_rep_is_told_when_marketing_takes_the_lead_back(lead, marketer, manager, rep):
    create_rule(by=manager, name="To Sam", conditions=[], action="rep", rep=rep)
    handoff = open_handoff(lead)

    move_lead(lead, to_stage=Stage.RECYCLED, by=marketer, reason="Nurture first.")

    (row,) = news(rep, "handoff.requeued")
    assert row.title == "Ana Lima was taken back by marketing"
    assert row.body == "Mia Marketer: Recycled: Nurture first."
    assert row.subject == f"handoff:{handoff.pk}"


def test_nobody_is_told_when_a_team_queue_lead_is_taken_back(lead, marketer, rep):
    open_handoff(lead)

    move_lead(lead, to_stage=Stage.DISQUALIFIED, by=marketer, reason="Spam.")

    assert not Notification.objects.filter(kind="handoff.requeued").exists()


def test_a_withdrawn_handoff_leaves_the_queue_and_is_on_the_timeline(lead, marketer, rep):
    handoff = open_handoff(lead)

    move_lead(lead, to_stage=Stage.RECYCLED, by=marketer, reason="Nurture first.")

    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.WITHDRAWN
    from handoffs.services import claim_next

    assert claim_next(rep) is None
    titles = [entry.title for entry in lead_timeline(lead)]
    assert "Withdrawn by marketing" in titles


def test_a_withdrawn_lead_that_returns_opens_a_new_handoff(lead, marketer):
    first = open_handoff(lead)
    move_lead(lead, to_stage=Stage.RECYCLED, by=marketer, reason="Nurture first.")

    move_lead(lead, to_stage=Stage.MQL, by=marketer, reason="Ready now.")

    assert lead.handoffs.exclude(pk=first.pk).get().status == Handoff.Status.OPEN


def test_a_withdrawn_handoff_is_not_a_rejection_for_the_campaign_owner(lead, marketer, manager):
    open_handoff(lead)

    move_lead(lead, to_stage=Stage.RECYCLED, by=manager, reason="Wrong region.")

    assert not news(marketer, "lead.rejected").exists()


# The campaign owner hears of sales' decisions ---------------------------------------------


def test_the_campaign_owner_is_told_when_sales_rejects_a_lead(lead, marketer, rep):
    handoff = open_handoff(lead)

    reject_handoff(handoff, rep=rep, reason="no_budget", note="Frozen until Q3")

    (row,) = news(marketer, "lead.rejected")
    assert row.title == "Sam Seller sent back Ana Lima"
    assert row.body == "Reason: No budget. “Frozen until Q3” Campaign: Spring webinar."
    assert row.url == f"/leads/{lead.pk}/"


def test_the_campaign_owner_is_told_when_the_claimer_sends_the_lead_back(lead, marketer, rep):
    claim_handoff(open_handoff(lead), rep=rep)

    move_lead(lead, to_stage=Stage.RECYCLED, by=rep, reason="Not ready yet.")

    (row,) = news(marketer, "lead.rejected")
    assert row.body == "Reason: Sent back. “Not ready yet.” Campaign: Spring webinar."


def test_a_lead_without_a_campaign_tells_nobody_when_rejected(marketer, rep):
    handoff = open_handoff(LeadFactory(stage=Stage.MQL, campaign=None))

    reject_handoff(handoff, rep=rep, reason="not_a_fit")

    assert not Notification.objects.filter(kind="lead.rejected").exists()


def test_an_owner_who_rejects_their_own_campaigns_lead_is_not_told(manager, rep):
    campaign = CampaignFactory(owner=manager)
    handoff = open_handoff(LeadFactory(stage=Stage.MQL, campaign=campaign))

    reject_handoff(handoff, rep=manager, reason="duplicate")

    assert not Notification.objects.filter(kind="lead.rejected").exists()


def test_the_campaign_owner_is_told_when_a_lead_is_won(lead, marketer, rep):
    claim_handoff(open_handoff(lead), rep=rep)
    move_lead(lead, to_stage=Stage.SQL, by=rep)

    move_lead(lead, to_stage=Stage.WON, by=rep, amount=Decimal("12500"))

    (row,) = news(marketer, "lead.won")
    assert row.title == "Ana Lima was won for 12,500.00 EUR"
    assert row.body == "Won by Sam Seller. First touch: Spring webinar."


def test_a_lost_lead_tells_the_campaign_owner_nothing(lead, marketer, rep):
    claim_handoff(open_handoff(lead), rep=rep)
    move_lead(lead, to_stage=Stage.SQL, by=rep)

    move_lead(lead, to_stage=Stage.LOST, by=rep, reason="Chose a rival.")

    assert not news(marketer, "lead.won").exists()
    assert not news(marketer, "lead.rejected").exists()


def test_the_owner_may_turn_campaign_news_off(lead, marketer, rep):
    from alignment.services import update_preferences

    update_preferences(marketer, channels={"lead.rejected": []})

    reject_handoff(open_handoff(lead), rep=rep, reason="no_budget")

    assert not news(marketer, "lead.rejected").exists()


# The escalation chain on real business hours ----------------------------------------------

FRIDAY_17_55 = datetime(2026, 5, 8, 17, 55, tzinfo=UTC)
MONDAY = datetime(2026, 5, 11, tzinfo=UTC)


@pytest.fixture
def office_hours(db):
    TeamCalendar.objects.filter(pk=1).update(
        time_zone="UTC", days={d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )


@pytest.fixture
def routed_friday_evening(office_hours, manager, rep):
    create_rule(by=manager, name="To Sam", conditions=[], action="rep", rep=rep)
    return open_handoff(LeadFactory(stage=Stage.MQL, score=60), now=FRIDAY_17_55)


@pytest.mark.no_always_open
def test_a_lead_due_on_monday_is_neither_warned_nor_breached_over_the_weekend(
    routed_friday_evening,
):
    for hours in (1, 12, 24, 48, 63):
        assert escalate_overdue(now=FRIDAY_17_55 + timedelta(hours=hours)) == 0
    assert not HandoffStep.objects.exists()


@pytest.mark.no_always_open
def test_the_routed_rep_is_warned_on_monday_morning(routed_friday_evening, rep):
    assert escalate_overdue(now=MONDAY.replace(hour=9, minute=39)) == 0
    assert escalate_overdue(now=MONDAY.replace(hour=9, minute=40)) == 1

    (row,) = news(rep, "sla.warning")
    assert row.body.startswith("The claim is due ")
    assert row.body.endswith("09:55.")


@pytest.mark.no_always_open
def test_at_the_deadline_managers_hear_and_the_lead_goes_to_the_team(
    routed_friday_evening, rep, other_rep, manager
):
    due = MONDAY.replace(hour=9, minute=55)

    escalate_overdue(now=due)

    stored = Handoff.objects.get(pk=routed_friday_evening.pk)
    assert (stored.routed_to, stored.requeued_at, stored.claim_escalated_at) == (rep, due, due)
    (breach,) = news(manager, "sla.breach")
    assert "the lead was routed to Sam Seller. It is back in the team queue." in breach.body
    assert news(rep, "handoff.requeued").get().title.endswith("went back to the team queue")
    assert news(other_rep, "handoff.requeued").get().title.endswith("is open to the team")
    kinds = list(HandoffStep.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["escalated", "requeued"]


@pytest.mark.no_always_open
def test_a_rep_away_is_not_told_of_a_lead_open_to_the_team(
    routed_friday_evening, rep, other_rep, manager
):
    from handoffs.routing.models import RepAvailability

    RepAvailability.objects.create(user=other_rep, away_from=FRIDAY_17_55)

    escalate_overdue(now=MONDAY.replace(hour=10))

    assert not news(other_rep, "handoff.requeued").exists()


@pytest.mark.no_always_open
def test_once_requeued_any_rep_may_claim_it(routed_friday_evening, other_rep, manager):
    escalate_overdue(now=MONDAY.replace(hour=10))

    claimed = claim_handoff(routed_friday_evening, rep=other_rep, now=MONDAY.replace(hour=10))

    assert claimed.claimed_by == other_rep


# Speed to lead ------------------------------------------------------------------------------


def test_speed_to_lead_counts_seconds_between_the_steps(db):
    created = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    handoff = Handoff(
        created_at=created,
        routed_at=created,
        notified_at=created + timedelta(seconds=30),
        claimed_at=created + timedelta(minutes=5),
        first_contact_at=created + timedelta(minutes=65),
    )

    assert speed_to_lead(handoff) == {
        "mql_to_routed": 0.0,
        "routed_to_notified": 30.0,
        "notified_to_claimed": 270.0,
        "claimed_to_first_contact": 3600.0,
    }


def test_a_notice_delivered_after_the_claim_is_not_a_step(db):
    created = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    handoff = Handoff(
        created_at=created,
        routed_at=created,
        notified_at=created + timedelta(minutes=10),
        claimed_at=created + timedelta(minutes=5),
    )

    steps = speed_to_lead(handoff)

    assert (steps["routed_to_notified"], steps["notified_to_claimed"]) == (None, 300.0)
    assert steps["claimed_to_first_contact"] is None
