"""``handoffs.services.escalate_overdue``: each SLA breach escalated once, managers told."""

from datetime import timedelta

from alignment.models import Event, Notification
from handoffs.models import Handoff
from handoffs.services import escalate_overdue, log_activity, reject_handoff
from handoffs.tasks import escalate_overdue_handoffs


def escalations():
    return Notification.objects.filter(kind="handoff.escalated")


def test_an_unclaimed_handoff_past_its_deadline_is_escalated(handoff, manager):
    now = handoff.claim_due_at + timedelta(minutes=1)
    assert escalate_overdue(now=now) == 1
    assert Handoff.objects.get(pk=handoff.pk).claim_escalated_at == now


def test_the_managers_are_told_and_nobody_else(handoff, manager, rep, marketer):
    escalate_overdue(now=handoff.claim_due_at + timedelta(minutes=1))
    rows = escalations()
    assert [row.recipient for row in rows] == [manager]
    assert "not claimed in time" in rows[0].title


def test_a_handoff_within_its_deadline_is_not_escalated(handoff, manager):
    assert escalate_overdue(now=handoff.claim_due_at - timedelta(seconds=1)) == 0
    assert not escalations().exists()


def test_running_twice_escalates_a_breach_once(handoff, manager):
    later = handoff.claim_due_at + timedelta(minutes=1)
    escalate_overdue(now=later)
    assert escalate_overdue(now=later + timedelta(minutes=1)) == 0
    assert escalations().count() == 1
    assert Event.objects.filter(name="handoff.escalated").count() == 1


def test_a_claimed_lead_not_contacted_in_time_is_escalated(claimed_handoff, manager):
    now = claimed_handoff.first_contact_due_at + timedelta(minutes=1)
    assert escalate_overdue(now=now) == 1
    assert Handoff.objects.get(pk=claimed_handoff.pk).contact_escalated_at == now
    assert "not contacted in time" in escalations().get().title


def test_a_contacted_lead_is_not_escalated(claimed_handoff, rep, manager):
    log_activity(claimed_handoff.lead, rep=rep, kind="call")
    assert escalate_overdue(now=claimed_handoff.first_contact_due_at + timedelta(hours=1)) == 0


def test_a_rejected_handoff_is_not_escalated(handoff, rep, manager):
    reject_handoff(handoff, rep=rep, reason="not_a_fit")
    assert escalate_overdue(now=handoff.claim_due_at + timedelta(hours=1)) == 0


def test_the_escalation_event_names_the_clock(claimed_handoff, manager):
    escalate_overdue(now=claimed_handoff.first_contact_due_at + timedelta(minutes=1))
    assert Event.objects.get(name="handoff.escalated").payload == {
        "handoff": claimed_handoff.pk,
        "lead": claimed_handoff.lead_id,
        "clock": "first_contact",
    }


def test_the_beat_task_escalates_what_is_overdue_now(handoff, manager):
    Handoff.objects.filter(pk=handoff.pk).update(
        created_at=handoff.created_at - timedelta(hours=2),
        claim_due_at=handoff.claim_due_at - timedelta(hours=2),
    )
    assert escalate_overdue_handoffs.delay().get() == 1
    assert escalations().count() == 1
