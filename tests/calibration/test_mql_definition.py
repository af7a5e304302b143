"""The agreement's MQL definition as scoring applies it: threshold, required fields,
consent; an MQL exactly once, and never taken back by a lower score.
"""

from datetime import timedelta

import pytest

from alignment.models import AgreementVersion
from handoffs.models import Handoff
from handoffs.services import claim_handoff
from leads.models import Lead, Stage, StageChange
from leads.services import meets_mql_definition, mql_gaps, score_lead, update_lead
from tests.calibration.conftest import NOW, hot_lead, set_agreement
from tests.factories import LeadFactory, TouchpointFactory


def stage_of(lead) -> str:
    return Lead.objects.get(pk=lead.pk).stage


def agreement() -> AgreementVersion:
    return AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)


def test_a_score_exactly_at_the_threshold_makes_an_mql(db):
    set_agreement(mql_threshold=80)
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    assert (Lead.objects.get(pk=lead.pk).score, stage_of(lead)) == (80, Stage.MQL)


def test_a_score_one_point_below_the_threshold_stays_new(db):
    set_agreement(mql_threshold=81)
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == Stage.NEW


def test_a_missing_required_field_keeps_a_hot_lead_new(db):
    set_agreement(mql_required_fields=["company", "job_title"])
    lead = hot_lead(company="")
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == Stage.NEW
    assert not Handoff.objects.filter(lead=lead).exists()


def test_a_required_field_of_blanks_counts_as_missing(db):
    set_agreement(mql_required_fields=["company"])
    lead = hot_lead(company="   ")
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == Stage.NEW


def test_filling_the_missing_field_makes_the_lead_an_mql_on_the_next_score(db):
    set_agreement(mql_required_fields=["company", "job_title"])
    lead = hot_lead(company="")
    score_lead(lead.pk, now=NOW)

    update_lead(lead, company="Acme")
    score_lead(lead.pk, now=NOW + timedelta(minutes=1))

    assert stage_of(lead) == Stage.MQL
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_an_edit_that_fills_the_field_queues_the_score_that_qualifies(
    db, django_capture_on_commit_callbacks
):
    set_agreement(mql_required_fields=["company"])
    lead = LeadFactory(job_title="VP Marketing", company="")
    TouchpointFactory(lead=lead, kind="demo_requested")  # now: no decay when the task runs

    with django_capture_on_commit_callbacks(execute=True):
        update_lead(lead, company="Acme")

    assert stage_of(lead) == Stage.MQL


def test_a_lead_without_consent_stays_new_when_the_agreement_asks_for_it(db):
    set_agreement(mql_requires_consent=True)
    lead = hot_lead(consent=False)
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == Stage.NEW


def test_consent_given_later_makes_the_lead_an_mql_on_the_next_score(db):
    set_agreement(mql_requires_consent=True)
    lead = hot_lead(consent=False)
    score_lead(lead.pk, now=NOW)

    update_lead(lead, consent=True)
    score_lead(lead.pk, now=NOW + timedelta(minutes=1))

    assert stage_of(lead) == Stage.MQL


def test_consent_is_not_needed_when_the_agreement_does_not_ask_for_it(db):
    set_agreement(mql_requires_consent=False)
    lead = hot_lead(consent=False)
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == Stage.MQL


def test_the_gaps_say_everything_that_is_missing(db):
    set_agreement(
        mql_threshold=50, mql_required_fields=["company", "phone"], mql_requires_consent=True
    )
    lead = LeadFactory(score=30, company="Acme", phone="", consent=False)
    assert mql_gaps(lead, agreement()) == [
        "Score 30 is below the threshold of 50.",
        "Missing required fields: phone.",
        "No consent.",
    ]


def test_a_lead_meeting_every_part_of_the_definition_has_no_gaps(db):
    set_agreement(mql_required_fields=["company"], mql_requires_consent=True)
    lead = LeadFactory(score=50, company="Acme", consent=True)
    assert mql_gaps(lead, agreement()) == []
    assert meets_mql_definition(lead, agreement())


def test_an_unticked_box_does_not_count_as_a_filled_required_field(db):
    set_agreement(mql_required_fields=["consent"])
    lead = LeadFactory(score=90, consent=False)
    assert not meets_mql_definition(lead, agreement())


def test_crossing_down_and_up_again_still_makes_one_mql_and_one_handoff(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    set_agreement(mql_threshold=200)
    score_lead(lead.pk, now=NOW + timedelta(minutes=1))
    set_agreement(mql_threshold=50)
    score_lead(lead.pk, now=NOW + timedelta(minutes=2))

    assert StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).count() == 1
    assert Handoff.objects.filter(lead=lead).count() == 1


def test_an_mql_whose_score_falls_below_the_threshold_stays_an_mql(db):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)

    # A year on, the demo request has decayed to almost nothing.
    score_lead(lead.pk, now=NOW + timedelta(days=365))

    stored = Lead.objects.get(pk=lead.pk)
    assert stored.score < 50
    assert stored.stage == Stage.MQL
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_a_lead_sales_holds_stays_with_sales_when_its_score_falls(db, rep):
    lead = hot_lead()
    score_lead(lead.pk, now=NOW)
    claim_handoff(Handoff.objects.get(lead=lead), rep=rep, now=NOW + timedelta(minutes=5))

    score_lead(lead.pk, now=NOW + timedelta(days=365))

    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.stage, stored.owner) == (Stage.SAL, rep)
    assert StageChange.objects.filter(lead=lead).count() == 2


@pytest.mark.parametrize("stage", [Stage.MQL, Stage.SAL, Stage.SQL])
def test_scoring_never_moves_a_lead_back_to_new(db, stage):
    lead = LeadFactory(stage=stage, score=90)
    score_lead(lead.pk, now=NOW)
    assert stage_of(lead) == stage
    assert not StageChange.objects.filter(lead=lead).exists()
