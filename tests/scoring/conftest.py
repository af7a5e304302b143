"""Helpers for the scoring tests: rules in a line, drafts and active versions made through
the services."""

from datetime import UTC, datetime

import pytest

from leads.models import ScoringRuleSet
from leads.scoring import Rule
from leads.scoring.rules import services

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def fit(field, operator, value="", points=10, label="", disqualifies=False):
    return Rule(
        kind="fit",
        field=field,
        operator=operator,
        value=value,
        points=points,
        label=label,
        disqualifies=disqualifies,
    )


def engagement(kind, points, cap=None, label=""):
    return Rule(kind="engagement", touchpoint_kind=kind, points=points, cap=cap, label=label)


def put_in_force(rules, *, half_life=30, by=None) -> ScoringRuleSet:
    """Make ``rules`` the version in force without a rescore job (the tests run one)."""
    draft = services.create_draft(by=by, rules=rules, decay_half_life_days=half_life)
    ScoringRuleSet.objects.filter(status=ScoringRuleSet.Status.ACTIVE).update(
        status=ScoringRuleSet.Status.RETIRED
    )
    ScoringRuleSet.objects.filter(pk=draft.pk).update(status=ScoringRuleSet.Status.ACTIVE)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def default_rules(db):
    return ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.ACTIVE)


@pytest.fixture
def active(db) -> ScoringRuleSet:
    """The rule set in force (the default one the migrations made)."""
    return ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.ACTIVE)
