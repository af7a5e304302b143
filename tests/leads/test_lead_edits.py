"""``update_lead`` and ``record_touchpoint``: edits that make the score stale."""

import pytest
from django.core.exceptions import ValidationError

from leads.models import Lead, Stage, Touchpoint
from leads.services import record_touchpoint, update_lead
from tests.factories import CampaignFactory, LeadFactory


def test_update_lead_saves_the_profile_and_rescores_after_commit(
    db, django_capture_on_commit_callbacks
):
    lead = LeadFactory(job_title="Analyst")
    with django_capture_on_commit_callbacks(execute=True):
        update_lead(lead, job_title="VP Operations", country="de")
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.job_title, stored.country) == ("VP Operations", "DE")
    assert stored.score == 20 + 15 + 5
    assert stored.scored_at is not None


def test_a_stale_copy_cannot_put_back_an_old_stage_or_owner(db, rep):
    lead = LeadFactory(stage=Stage.NEW)
    stale = Lead.objects.get(pk=lead.pk)
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.SAL, owner=rep, score=80)
    update_lead(stale, phone="+49 30 000")
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.stage, stored.owner, stored.score) == (Stage.SAL, rep, 80)
    assert stored.phone == "+49 30 000"


def test_update_lead_refuses_fields_with_their_own_rules(db):
    with pytest.raises(TypeError):
        update_lead(LeadFactory(), stage=Stage.WON)


def test_consent_given_by_an_edit_is_timed(db):
    lead = update_lead(LeadFactory(consent=False), consent=True)
    assert Lead.objects.get(pk=lead.pk).consent_at is not None


def test_record_touchpoint_adds_to_the_journey_and_marks_the_score_stale(db):
    lead = LeadFactory(scored_at="2026-01-01T00:00:00Z")
    campaign = CampaignFactory()
    touchpoint = record_touchpoint(lead, kind="content_download", campaign=campaign)
    assert Touchpoint.objects.get(pk=touchpoint.pk).campaign == campaign
    assert Lead.objects.get(pk=lead.pk).scored_at is None


def test_record_touchpoint_refuses_an_unknown_kind(db):
    with pytest.raises(ValidationError):
        record_touchpoint(LeadFactory(), kind="smoke_signal")
    assert not Touchpoint.objects.exists()
