"""``leads.services.score_lead`` with the default rules seeded by the data migration.

A ``LeadFactory`` lead (Marketing Manager, 250 people, US) has a fit of 10 + 15 + 5 = 30;
a VP in the same company has 20 + 15 + 5 = 40; a demo request adds 40.
"""

from datetime import UTC, datetime, timedelta

import pytest

from alignment.models import AgreementVersion, Event
from handoffs.models import Handoff
from leads.models import Lead, Stage, StageChange
from leads.services import score_lead
from tests.factories import LeadFactory, StageChangeFactory, TouchpointFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def hot_lead(**fields):
    """A lead worth 80 points at ``NOW``: an MQL by the default agreement."""
    lead = LeadFactory(job_title="VP Marketing", **fields)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    return lead


def set_agreement(**fields):
    AgreementVersion.objects.filter(status=AgreementVersion.Status.IN_FORCE).update(**fields)


def test_it_writes_the_score_and_its_breakdown(db):
    lead = LeadFactory()
    TouchpointFactory(lead=lead, kind="page_view", occurred_at=NOW)
    score_lead(lead.pk, now=NOW)
    lead.refresh_from_db()
    assert (lead.fit_score, lead.engagement_score, lead.score) == (30, 1, 31)
    assert lead.score_breakdown == [
        {"rule": "Manager title", "kind": "fit", "points": 10},
        {"rule": "Company of 201–1000 people", "kind": "fit", "points": 15},
        {"rule": "Target market", "kind": "fit", "points": 5},
        {"rule": "Page view", "kind": "engagement", "points": 1, "count": 1},
    ]
    assert lead.scored_at == NOW


def test_a_lead_below_the_threshold_stays_new(db):
    lead = LeadFactory()
    score_lead(lead.pk, now=NOW)
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW
    assert not Handoff.objects.exists()


def test_it_records_a_lead_scored_event_with_before_and_after(db):
    lead = LeadFactory()
    score_lead(lead.pk, now=NOW)
    event = Event.objects.get(name="lead.scored")
    assert event.payload == {"lead": lead.pk, "before": {"score": 0}, "after": {"score": 30}}


def test_an_unchanged_score_records_no_second_scored_event(db):
    lead = LeadFactory()
    score_lead(lead.pk, now=NOW)
    score_lead(lead.pk, now=NOW)
    assert Event.objects.filter(name="lead.scored").count() == 1


def test_a_missing_lead_is_ignored(db):
    assert score_lead(999_999, now=NOW) is None


def test_crossing_the_threshold_makes_an_automatic_mql(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    change = StageChange.objects.get(lead=lead)
    assert (change.from_stage, change.to_stage, change.automatic) == (Stage.NEW, Stage.MQL, True)
    assert change.changed_by is None
    assert change.changed_at == NOW
    assert "threshold of 50" in change.reason
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


def test_scoring_twice_makes_the_mql_and_its_handoff_once(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    score_lead(lead.pk, now=NOW + timedelta(minutes=5))
    assert StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).count() == 1
    assert Handoff.objects.filter(lead=lead).count() == 1


def test_the_threshold_comes_from_the_agreement_in_force(db):
    set_agreement(mql_threshold=90)
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_a_required_field_missing_keeps_the_lead_new(db):
    set_agreement(mql_required_fields=["phone"])
    lead = hot_lead(phone="")
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_a_lead_with_the_required_fields_becomes_an_mql(db):
    set_agreement(mql_required_fields=["phone"])
    lead = hot_lead(phone="+1 555 0100")
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


def test_a_lead_without_consent_stays_new_when_the_agreement_requires_it(db):
    set_agreement(mql_requires_consent=True)
    lead = hot_lead(consent=False)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_a_lead_with_consent_becomes_an_mql_when_the_agreement_requires_it(db):
    set_agreement(mql_requires_consent=True)
    lead = hot_lead(consent=True)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


@pytest.mark.parametrize("stage", [Stage.SAL, Stage.SQL, Stage.WON, Stage.LOST, Stage.DISQUALIFIED])
def test_scoring_never_moves_a_lead_that_is_past_new(db, stage):
    lead = hot_lead(stage=stage)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == stage
    assert not StageChange.objects.filter(lead=lead).exists()


def recycled_lead(recycled_at):
    lead = LeadFactory(job_title="VP Marketing", stage=Stage.RECYCLED)
    StageChangeFactory(
        lead=lead, from_stage=Stage.SAL, to_stage=Stage.RECYCLED, changed_at=recycled_at
    )
    return lead


def test_a_recycled_lead_does_not_return_during_the_cool_off(db):
    lead = recycled_lead(NOW - timedelta(days=10))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.RECYCLED


def test_a_recycled_lead_does_not_return_without_a_new_touchpoint(db):
    lead = recycled_lead(NOW - timedelta(days=31))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(days=32))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(days=32))
    score_lead(lead.pk, now=NOW)
    lead.refresh_from_db()
    assert lead.score >= 50
    assert lead.stage == Stage.RECYCLED


def test_a_recycled_lead_returns_as_an_mql_after_the_cool_off_and_a_new_touchpoint(db):
    lead = recycled_lead(NOW - timedelta(days=31))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(days=1))
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_the_cool_off_comes_from_the_agreement_in_force(db):
    set_agreement(recycle_cooloff_days=5)
    lead = recycled_lead(NOW - timedelta(days=6))
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


@pytest.mark.parametrize(
    ("title", "fit"),
    [
        ("VP Marketing", 20),
        ("Vice-President, Sales", 20),
        ("Head of Growth", 20),
        ("Co-founder & CTO", 20),
        ("Marketing Manager", 10),
        ("Team Lead", 10),
        ("Contractor", 0),
        ("Doctor", 0),
        ("Headhunter", 0),
    ],
)
def test_the_default_title_rules_match_whole_words(db, title, fit):
    lead = LeadFactory(job_title=title, company_size=None, country="")
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).fit_score == fit
