"""Calibration queries on constructed leads, handoffs and stage changes.

The data set is the one ``test_maths`` works out by hand, stored as real rows: ten
handoffs with an outcome (AUC 0.86) plus two still being worked.
"""

from datetime import timedelta

import pytest

from handoffs.models import Handoff, RejectionReason
from kpis.queries import (
    calibration,
    calibration_bands,
    decision_counts,
    handoff_outcomes,
    outcome_counts,
)
from leads.models import ScoreChange, Stage
from leads.scoring.calibration import Acceptance
from tests.calibration.conftest import NOW
from tests.factories import HandoffFactory, LeadFactory, StageChangeFactory, UserFactory

HOUR = timedelta(hours=1)


def handed_off(score, *, status=Handoff.Status.CLAIMED, path=(), at=NOW, lead=None, **fields):
    """A handoff opened at ``at`` with ``score`` in its brief, then the lead moved along
    ``path`` (one stage an hour). The lead's score now is 0: only the brief has the score.
    """
    lead = lead or LeadFactory(score=0)
    extra = dict(fields)
    if status in (Handoff.Status.CLAIMED, Handoff.Status.CLOSED, Handoff.Status.REJECTED):
        extra.setdefault("claimed_by", UserFactory())
        extra.setdefault("claimed_at", at + HOUR / 2)
    if status == Handoff.Status.REJECTED:
        extra.setdefault("rejection_reason", RejectionReason.NOT_A_FIT)
        extra.setdefault("rejected_at", at + HOUR)
    handoff = HandoffFactory(
        lead=lead, created_at=at, status=status, brief={"score": score}, **extra
    )
    stage = Stage.MQL
    for step, to_stage in enumerate(path, start=1):
        StageChangeFactory(
            lead=lead, from_stage=stage, to_stage=to_stage, changed_at=at + step * HOUR
        )
        stage = to_stage
    return handoff


@pytest.fixture
def known_data(db):
    claimed, closed, rejected, open_ = (
        Handoff.Status.CLAIMED,
        Handoff.Status.CLOSED,
        Handoff.Status.REJECTED,
        Handoff.Status.OPEN,
    )
    sal, sql, won, lost = Stage.SAL, Stage.SQL, Stage.WON, Stage.LOST
    # Positives: reached SQL.
    handed_off(90, status=claimed, path=[sal, sql, won])
    handed_off(80, status=claimed, path=[sal, sql])
    handed_off(70, status=claimed, path=[sal, sql, won])
    handed_off(70, status=closed, path=[sal, sql, lost, Stage.RECYCLED])
    handed_off(40, status=claimed, path=[sal, sql])
    # Negatives: left sales' hands without reaching SQL.
    handed_off(70, status=rejected, path=[Stage.RECYCLED])
    handed_off(60, status=claimed, path=[sal, lost])
    handed_off(40, status=rejected, path=[Stage.DISQUALIFIED])
    handed_off(30, status=rejected, path=[sal, Stage.RECYCLED])
    handed_off(20, status=rejected, path=[Stage.RECYCLED])
    # Still being worked: no outcome yet.
    handed_off(95, status=open_)
    handed_off(10, status=claimed, path=[sal])


def test_only_handoffs_with_an_outcome_count(known_data):
    assert handoff_outcomes().count() == 10


def test_the_outcome_counts_per_score(known_data):
    assert outcome_counts() == [
        (20, 0, 1),
        (30, 0, 1),
        (40, 1, 1),
        (60, 0, 1),
        (70, 2, 1),
        (80, 1, 0),
        (90, 1, 0),
    ]


def test_the_bands_are_counted_in_the_database(known_data):
    assert calibration_bands() == [
        (20, 1, 0, 0),
        (30, 1, 0, 0),
        (40, 2, 1, 0),
        (60, 1, 0, 0),
        (70, 3, 2, 1),
        (80, 1, 1, 0),
        (90, 1, 1, 1),
    ]


def test_the_decisions_count_claimed_and_closed_as_accepted(known_data):
    assert decision_counts() == [
        (10, 1, 0),
        (20, 0, 1),
        (30, 0, 1),
        (40, 1, 1),
        (60, 1, 0),
        (70, 2, 1),
        (80, 1, 0),
        (90, 1, 0),
    ]


def test_the_report_of_the_known_data_set(known_data):
    report = calibration(0.8, current_threshold=50)

    assert report.auc == 0.86
    assert (report.outcomes, report.positives) == (10, 5)
    # From 60 up sales accepted 5 of 6; from 40 up only 6 of 8.
    assert report.suggested == Acceptance(60, accepted=5, rejected=1)
    assert report.suggested_threshold == 60
    assert report.current == Acceptance(50, accepted=5, rejected=1)
    assert [(band.low, band.leads) for band in report.bands] == [
        (20, 1),
        (30, 1),
        (40, 2),
        (50, 0),
        (60, 1),
        (70, 3),
        (80, 1),
        (90, 1),
    ]


def test_a_lower_target_suggests_a_lower_threshold(known_data):
    assert calibration(0.75).suggested == Acceptance(40, accepted=6, rejected=2)


def test_the_report_takes_three_queries(known_data, django_assert_num_queries):
    with django_assert_num_queries(3):
        calibration(0.8, current_threshold=50)


def test_no_handoffs_make_an_empty_report(db):
    report = calibration()
    assert (report.bands, report.auc, report.outcomes, report.suggested) == ([], None, 0, None)


def test_positives_only_have_no_auc(db):
    handed_off(80, path=[Stage.SAL, Stage.SQL])
    handed_off(60, path=[Stage.SAL, Stage.SQL])
    report = calibration()
    assert (report.auc, report.outcomes, report.positives) == (None, 2, 2)


def test_a_lead_handed_off_twice_counts_each_handoff_with_its_own_outcome(db):
    lead = LeadFactory(score=0)
    handed_off(45, status=Handoff.Status.REJECTED, path=[Stage.RECYCLED], lead=lead)
    back = NOW + timedelta(days=40)
    StageChangeFactory(lead=lead, from_stage=Stage.RECYCLED, to_stage=Stage.MQL, changed_at=back)
    handed_off(75, path=[Stage.SAL, Stage.SQL], lead=lead, at=back)

    # The SQL after the second handoff is not the first handoff's outcome.
    assert outcome_counts() == [(45, 0, 1), (75, 1, 0)]


def test_the_score_history_at_the_handoff_comes_before_the_brief(db):
    handoff = handed_off(70, path=[Stage.SAL, Stage.SQL])
    for score, at in ((30, NOW - HOUR), (55, NOW), (99, NOW + HOUR)):
        ScoreChange.objects.create(
            lead=handoff.lead,
            score=score,
            fit_score=score,
            engagement_score=0,
            previous_score=0,
            source=ScoreChange.Source.LEAD,
            scored_at=at,
        )
    assert outcome_counts() == [(55, 1, 0)]


def test_a_handoff_older_than_the_score_history_uses_its_brief(db):
    handoff = handed_off(70, path=[Stage.SAL, Stage.SQL])
    ScoreChange.objects.create(
        lead=handoff.lead,
        score=99,
        fit_score=99,
        engagement_score=0,
        previous_score=70,
        source=ScoreChange.Source.RESCORE,
        scored_at=NOW + HOUR,
    )
    assert outcome_counts() == [(70, 1, 0)]


def test_a_handoff_without_a_score_in_its_brief_uses_the_lead_score(db):
    lead = LeadFactory(score=42)
    handoff = handed_off(0, path=[Stage.SAL, Stage.SQL], lead=lead)
    Handoff.objects.filter(pk=handoff.pk).update(brief={})
    assert outcome_counts() == [(42, 1, 0)]


def test_negative_scores_fall_in_the_band_below_zero(db):
    handed_off(-5, status=Handoff.Status.REJECTED, path=[Stage.RECYCLED])
    handed_off(-10, status=Handoff.Status.REJECTED, path=[Stage.RECYCLED])
    handed_off(-11, status=Handoff.Status.REJECTED, path=[Stage.RECYCLED])
    handed_off(5, path=[Stage.SAL, Stage.SQL])
    assert calibration_bands() == [(-20, 1, 0, 0), (-10, 2, 0, 0), (0, 1, 1, 0)]


def test_a_real_handoff_brings_its_score_from_the_brief(db, rep):
    from handoffs.services import claim_handoff, move_lead
    from leads import lifecycle

    lead = LeadFactory(score=64)
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Scored.")
    handoff = claim_handoff(lead.handoffs.get(), rep=rep)
    move_lead(handoff.lead, to_stage=Stage.SQL, by=rep)
    type(lead).objects.filter(pk=lead.pk).update(score=3)

    assert outcome_counts() == [(64, 1, 0)]
