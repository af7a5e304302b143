"""``handoffs.services.escalate_overdue``: the escalation chain, each step once.

A warning to whoever holds the lead once three quarters of its working time are gone, the
managers at the deadline, and a lead its routed rep did not claim back to the team queue.
"""

from datetime import timedelta

from alignment.models import Event, Notification
from handoffs.models import Handoff, HandoffStep
from handoffs.queries import lead_timeline
from handoffs.services import escalate_overdue, log_activity, reject_handoff
from handoffs.tasks import escalate_overdue_handoffs


def breaches():
    return Notification.objects.filter(kind="sla.breach")


def warnings():
    return Notification.objects.filter(kind="sla.warning")


def route_to(handoff, rep):
    Handoff.objects.filter(pk=handoff.pk).update(routed_to=rep)
    handoff.refresh_from_db()
    return handoff


def test_an_unclaimed_handoff_past_its_deadline_is_escalated(handoff, manager):
    now = handoff.claim_due_at + timedelta(minutes=1)
    assert escalate_overdue(now=now) == 1
    assert Handoff.objects.get(pk=handoff.pk).claim_escalated_at == now


def test_the_managers_are_told_of_a_breach_and_nobody_else(handoff, manager, rep, marketer):
    escalate_overdue(now=handoff.claim_due_at + timedelta(minutes=1))
    rows = breaches()
    assert [row.recipient for row in rows] == [manager]
    assert "not claimed in time" in rows[0].title


def test_the_holder_is_warned_when_three_quarters_of_the_time_are_gone(handoff, rep, manager):
    handoff = route_to(handoff, rep)
    assert handoff.claim_warning_at == handoff.created_at + timedelta(minutes=45)
    assert escalate_overdue(now=handoff.claim_warning_at - timedelta(seconds=1)) == 0
    assert escalate_overdue(now=handoff.claim_warning_at) == 1
    (row,) = warnings()
    assert row.recipient == rep
    assert row.title == f"Claim {handoff.lead} soon"
    assert not breaches().exists()


def test_a_team_queue_warning_goes_to_the_reps_at_work(handoff, rep, other_rep, manager):
    escalate_overdue(now=handoff.claim_warning_at)
    assert {row.recipient for row in warnings()} == {rep, other_rep}


def test_a_handoff_within_its_warning_time_is_left_alone(handoff, manager):
    assert escalate_overdue(now=handoff.claim_warning_at - timedelta(seconds=1)) == 0
    assert not breaches().exists()
    assert not warnings().exists()


def test_a_lead_its_rep_did_not_claim_goes_back_to_the_team_queue(handoff, rep, other_rep, manager):
    handoff = route_to(handoff, rep)
    now = handoff.claim_due_at + timedelta(minutes=1)
    escalate_overdue(now=now)
    stored = Handoff.objects.get(pk=handoff.pk)
    # Where routing sent it stays on the handoff; the offer ended with the clock.
    assert (stored.routed_to, stored.requeued_at) == (rep, now)
    event = Event.objects.get(name="handoff.requeued")
    assert (event.payload["before"], event.payload["after"]) == (
        {"offered_to": "sam"},
        {"offered_to": None},
    )
    step = HandoffStep.objects.get(handoff=handoff, kind="requeued")
    assert step.detail.startswith("Sam Seller did not claim it in time")
    assert Notification.objects.get(kind="handoff.requeued", recipient=rep).title == (
        f"{handoff.lead} went back to the team queue"
    )
    assert Notification.objects.filter(kind="handoff.requeued", recipient=other_rep).exists()


def test_running_the_beat_twice_takes_each_step_once(handoff, rep, manager):
    handoff = route_to(handoff, rep)
    escalate_overdue(now=handoff.claim_warning_at)
    escalate_overdue(now=handoff.claim_warning_at + timedelta(seconds=30))
    later = handoff.claim_due_at + timedelta(minutes=1)
    escalate_overdue(now=later)
    assert escalate_overdue(now=later + timedelta(minutes=1)) == 0
    kinds = sorted(HandoffStep.objects.filter(handoff=handoff).values_list("kind", flat=True))
    assert kinds == ["escalated", "requeued", "warned"]
    assert warnings().count() == 1
    assert breaches().count() == 1
    assert Event.objects.filter(name="handoff.escalated").count() == 2
    titles = [entry.title for entry in lead_timeline(handoff.lead) if entry.kind == "handoff"]
    assert titles.count("SLA warning: claim due soon") == 1
    assert titles.count("Escalated: claim SLA missed") == 1
    assert titles.count("Back to the team queue") == 1


def test_a_breach_found_late_is_not_warned_after_the_fact(handoff, rep, manager):
    handoff = route_to(handoff, rep)
    escalate_overdue(now=handoff.claim_due_at + timedelta(hours=3))
    assert not warnings().exists()
    assert breaches().count() == 1


def test_a_claimed_lead_not_contacted_in_time_is_escalated(claimed_handoff, manager):
    now = claimed_handoff.first_contact_due_at + timedelta(minutes=1)
    assert escalate_overdue(now=now) == 1
    assert Handoff.objects.get(pk=claimed_handoff.pk).contact_escalated_at == now
    assert "not contacted in time" in breaches().get().title


def test_the_claimer_is_warned_before_first_contact_is_due(claimed_handoff, rep, manager):
    escalate_overdue(now=claimed_handoff.contact_warning_at)
    (row,) = warnings()
    assert row.recipient == rep
    assert row.title == f"Contact {claimed_handoff.lead} soon"


def test_a_contacted_lead_is_not_escalated(claimed_handoff, rep, manager):
    log_activity(claimed_handoff.lead, rep=rep, kind="call")
    assert escalate_overdue(now=claimed_handoff.first_contact_due_at + timedelta(hours=1)) == 0


def test_a_rejected_handoff_is_not_escalated(handoff, rep, manager):
    reject_handoff(handoff, rep=rep, reason="not_a_fit")
    assert escalate_overdue(now=handoff.claim_due_at + timedelta(hours=1)) == 0


def test_the_escalation_event_names_the_clock_and_the_step(claimed_handoff, manager):
    escalate_overdue(now=claimed_handoff.first_contact_due_at + timedelta(minutes=1))
    assert Event.objects.get(name="handoff.escalated").payload == {
        "handoff": claimed_handoff.pk,
        "lead": claimed_handoff.lead_id,
        "clock": "first_contact",
        "step": "breach",
    }


def test_a_sweep_takes_more_handoffs_than_one_batch(db, manager, monkeypatch):
    from handoffs.services import sla
    from leads import lifecycle
    from leads.models import Stage
    from tests.factories import LeadFactory

    monkeypatch.setattr(sla, "BATCH", 2)
    for _ in range(5):
        lifecycle.advance(LeadFactory(stage=Stage.NEW, score=60), Stage.MQL, automatic=True)
    due = Handoff.objects.order_by("-claim_due_at").first().claim_due_at
    assert escalate_overdue(now=due + timedelta(minutes=1)) == 5
    assert breaches().count() == 5


def test_the_beat_task_escalates_what_is_overdue_now(handoff, manager):
    Handoff.objects.filter(pk=handoff.pk).update(
        created_at=handoff.created_at - timedelta(hours=2),
        claim_due_at=handoff.claim_due_at - timedelta(hours=2),
        claim_warning_at=handoff.claim_warning_at - timedelta(hours=2),
    )
    assert escalate_overdue_handoffs.delay().get() == 1
    assert breaches().count() == 1
