"""Recycled leads return to MQL only after the agreement's cool-off days and a new
engagement that happened once the cool-off had ended (constructed times throughout).
"""

from datetime import timedelta

from handoffs.models import Handoff
from handoffs.services import reject_handoff
from leads.models import Lead, Stage, StageChange
from leads.services import score_lead
from tests.calibration.conftest import NOW, hot_lead, set_agreement
from tests.factories import LeadFactory, StageChangeFactory, TouchpointFactory

COOLOFF = 30  # the default agreement's days


def recycled_at(when, job_title="VP Marketing"):
    """A VP (40 fit points) that sales sent back at ``when``."""
    lead = LeadFactory(job_title=job_title, stage=Stage.RECYCLED)
    StageChangeFactory(lead=lead, from_stage=Stage.SAL, to_stage=Stage.RECYCLED, changed_at=when)
    return lead


def stage_of(lead) -> str:
    return Lead.objects.get(pk=lead.pk).stage


def test_engagement_during_the_cool_off_does_not_bring_the_lead_back_after_it(db):
    sent_back = NOW - timedelta(days=COOLOFF + 5)
    lead = recycled_at(sent_back)
    # A demo request ten days after the recycle: inside the cool-off.
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=sent_back + timedelta(days=10))

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.RECYCLED


def test_engagement_after_the_cool_off_brings_the_lead_back(db):
    sent_back = NOW - timedelta(days=COOLOFF + 5)
    lead = recycled_at(sent_back)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(days=1))

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.MQL
    change = StageChange.objects.get(lead=lead, to_stage=Stage.MQL)
    assert (change.from_stage, change.automatic) == (Stage.RECYCLED, True)


def test_engagement_at_the_very_end_of_the_cool_off_counts(db):
    sent_back = NOW - timedelta(days=COOLOFF)
    lead = recycled_at(sent_back)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.MQL


def test_the_lead_waits_out_the_cool_off_even_with_fresh_engagement(db):
    lead = recycled_at(NOW - timedelta(days=COOLOFF - 1))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.RECYCLED


def test_an_import_after_the_cool_off_is_not_a_new_engagement(db):
    sent_back = NOW - timedelta(days=COOLOFF + 5)
    lead = recycled_at(sent_back)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=sent_back + timedelta(days=1))
    TouchpointFactory(lead=lead, kind="imported", occurred_at=NOW - timedelta(days=1))

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.RECYCLED


def test_new_engagement_still_needs_the_mql_definition(db):
    lead = recycled_at(NOW - timedelta(days=COOLOFF + 5), job_title="Intern")
    TouchpointFactory(lead=lead, kind="page_view", occurred_at=NOW - timedelta(days=1))

    score_lead(lead.pk, now=NOW)

    assert Lead.objects.get(pk=lead.pk).score < 50
    assert stage_of(lead) == Stage.RECYCLED


def test_the_cool_off_counts_from_the_latest_recycle(db):
    lead = recycled_at(NOW - timedelta(days=100))
    StageChangeFactory(
        lead=lead,
        from_stage=Stage.SAL,
        to_stage=Stage.RECYCLED,
        changed_at=NOW - timedelta(days=10),
    )
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.RECYCLED


def test_a_shorter_cool_off_in_the_agreement_brings_the_lead_back_sooner(db):
    set_agreement(recycle_cooloff_days=7)
    lead = recycled_at(NOW - timedelta(days=10))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(days=2))

    score_lead(lead.pk, now=NOW)

    assert stage_of(lead) == Stage.MQL


def test_a_rejected_lead_returns_with_a_new_handoff_after_the_cool_off(db, rep):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    first = Handoff.objects.get(lead=lead)
    reject_handoff(first, rep=rep, reason="bad_timing", now=NOW + timedelta(hours=1))
    back_at = NOW + timedelta(hours=1, days=COOLOFF)

    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=back_at + timedelta(hours=1))
    score_lead(lead.pk, now=back_at + timedelta(hours=2))

    assert stage_of(lead) == Stage.MQL
    assert Handoff.objects.get(pk=first.pk).status == Handoff.Status.REJECTED
    assert Handoff.objects.exclude(pk=first.pk).get(lead=lead).status == Handoff.Status.OPEN
