"""``handoffs.services.log_activity``: the first activity after a claim stops the clock."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from alignment.models import Event
from handoffs.models import Activity, Handoff
from handoffs.services import NotAllowed, log_activity


def test_it_records_the_activity_against_the_live_handoff(claimed_handoff, rep):
    activity = log_activity(
        claimed_handoff.lead, rep=rep, kind="call", outcome="connected", note="Wants a demo."
    )
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.lead, stored.handoff, stored.rep) == (
        claimed_handoff.lead,
        claimed_handoff,
        rep,
    )
    assert (stored.kind, stored.outcome, stored.note) == ("call", "connected", "Wants a demo.")


def test_the_first_activity_after_the_claim_sets_the_first_contact(claimed_handoff, rep):
    at = claimed_handoff.claimed_at + timedelta(minutes=30)
    log_activity(claimed_handoff.lead, rep=rep, kind="call", occurred_at=at)
    assert Handoff.objects.get(pk=claimed_handoff.pk).first_contact_at == at


def test_later_activities_do_not_move_the_first_contact(claimed_handoff, rep):
    first = claimed_handoff.claimed_at + timedelta(minutes=30)
    log_activity(claimed_handoff.lead, rep=rep, kind="call", occurred_at=first)
    log_activity(
        claimed_handoff.lead, rep=rep, kind="email", occurred_at=first + timedelta(hours=2)
    )
    assert Handoff.objects.get(pk=claimed_handoff.pk).first_contact_at == first


def test_an_activity_dated_before_the_claim_counts_from_the_claim(claimed_handoff, rep):
    before = claimed_handoff.claimed_at - timedelta(hours=1)
    log_activity(claimed_handoff.lead, rep=rep, kind="email", occurred_at=before)
    stored = Handoff.objects.get(pk=claimed_handoff.pk)
    assert stored.first_contact_at == stored.claimed_at


def test_a_rep_cannot_log_an_activity_before_claiming_the_lead(handoff, rep):
    with pytest.raises(NotAllowed, match="Claim the lead before you work it"):
        log_activity(handoff.lead, rep=rep, kind="call", outcome="no_answer")
    assert not Activity.objects.exists()


def test_a_managers_activity_before_any_claim_does_not_start_the_contact_clock(handoff, manager):
    log_activity(handoff.lead, rep=manager, kind="call", outcome="no_answer")
    assert Handoff.objects.get(pk=handoff.pk).first_contact_at is None


def test_a_marketer_cannot_log_an_activity(claimed_handoff, marketer):
    with pytest.raises(NotAllowed):
        log_activity(claimed_handoff.lead, rep=marketer, kind="call")
    assert not Activity.objects.exists()


def test_a_rep_cannot_log_on_another_reps_lead(claimed_handoff, other_rep):
    with pytest.raises(NotAllowed):
        log_activity(claimed_handoff.lead, rep=other_rep, kind="call")
    assert not Activity.objects.exists()


def test_a_manager_can_log_on_any_lead(claimed_handoff, manager):
    log_activity(claimed_handoff.lead, rep=manager, kind="meeting")
    assert Activity.objects.get().rep == manager


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"kind": "smoke_signal"}, "kind"), ({"kind": "call", "outcome": "maybe"}, "outcome")],
)
def test_an_unknown_kind_or_outcome_is_refused(claimed_handoff, rep, fields, field):
    with pytest.raises(ValidationError) as caught:
        log_activity(claimed_handoff.lead, rep=rep, **fields)
    assert field in caught.value.message_dict
    assert not Activity.objects.exists()


def test_it_records_an_activity_logged_event(claimed_handoff, rep):
    activity = log_activity(claimed_handoff.lead, rep=rep, kind="demo", outcome="interested")
    event = Event.objects.get(name="activity.logged")
    assert event.payload == {
        "activity": activity.pk,
        "lead": claimed_handoff.lead_id,
        "kind": "demo",
        "outcome": "interested",
    }
