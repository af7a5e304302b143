"""``leads.lifecycle.advance``: every pair of stages, legal or not."""

from datetime import UTC, datetime
from decimal import Decimal
from itertools import product

import pytest

from alignment.models import Event
from leads.lifecycle import TRANSITIONS, IllegalTransition, advance, can_advance
from leads.models import Lead, Stage, StageChange
from tests.factories import LeadFactory

AT = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
ALL_PAIRS = list(product(Stage.values, Stage.values))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def test_the_table_covers_every_stage():
    assert set(TRANSITIONS) == set(Stage.values)
    assert all(targets <= set(Stage.values) for targets in TRANSITIONS.values())


def test_the_table_is_the_funnel_of_the_product():
    assert LEGAL == sorted(
        [
            ("new", "mql"),
            ("new", "disqualified"),
            ("mql", "sal"),
            ("mql", "recycled"),
            ("mql", "disqualified"),
            ("sal", "sql"),
            ("sal", "lost"),
            ("sal", "recycled"),
            ("sal", "disqualified"),
            ("sql", "won"),
            ("sql", "lost"),
            ("sql", "recycled"),
            ("lost", "recycled"),
            ("recycled", "mql"),
            ("recycled", "disqualified"),
            ("disqualified", "mql"),
        ],
        key=ALL_PAIRS.index,
    )


@pytest.mark.parametrize(("from_stage", "to_stage"), LEGAL)
def test_a_legal_transition_moves_the_lead_and_writes_its_history(
    db, manager, from_stage, to_stage
):
    lead = LeadFactory(stage=from_stage)
    change = advance(lead, to_stage, by=manager, reason="Because.", at=AT)
    assert Lead.objects.get(pk=lead.pk).stage == to_stage
    assert lead.stage == to_stage
    stored = StageChange.objects.get(lead=lead)
    assert stored == change
    assert (stored.from_stage, stored.to_stage) == (from_stage, to_stage)
    assert (stored.changed_by, stored.changed_at, stored.reason) == (manager, AT, "Because.")
    assert stored.automatic is False


@pytest.mark.parametrize(("from_stage", "to_stage"), ILLEGAL)
def test_an_illegal_transition_raises_and_writes_nothing(db, manager, from_stage, to_stage):
    lead = LeadFactory(stage=from_stage)
    with pytest.raises(IllegalTransition):
        advance(lead, to_stage, by=manager, reason="Because.", at=AT)
    assert Lead.objects.get(pk=lead.pk).stage == from_stage
    assert not StageChange.objects.exists()
    assert not Event.objects.filter(name="lead.stage_changed").exists()


def test_can_advance_agrees_with_the_table():
    assert all(can_advance(a, b) for a, b in LEGAL)
    assert not any(can_advance(a, b) for a, b in ILLEGAL)


def test_an_unknown_stage_is_an_illegal_transition_with_a_readable_message(db):
    lead = LeadFactory(stage=Stage.NEW)
    with pytest.raises(IllegalTransition, match="from New to 'bogus'"):
        advance(lead, "bogus")


def test_the_check_uses_the_stage_in_the_database_not_a_stale_copy(db):
    lead = LeadFactory(stage=Stage.NEW)
    stale = Lead.objects.get(pk=lead.pk)
    advance(lead, Stage.DISQUALIFIED, reason="Spam.")
    with pytest.raises(IllegalTransition):
        advance(stale, Stage.SAL)
    assert stale.stage == Stage.DISQUALIFIED


def test_it_publishes_lead_stage_changed_with_before_and_after(db, manager):
    lead = LeadFactory(stage=Stage.SQL)
    advance(lead, Stage.LOST, by=manager, reason="Went with a competitor.", at=AT)
    event = Event.objects.get(name="lead.stage_changed")
    assert event.subject == f"lead:{lead.pk}"
    assert event.payload == {
        "lead": lead.pk,
        "before": {"stage": "sql"},
        "after": {"stage": "lost"},
        "reason": "Went with a competitor.",
        "by": "max",
        "automatic": False,
    }


def test_the_amount_is_kept_only_for_a_won_deal(db):
    won, lost = LeadFactory(stage=Stage.SQL), LeadFactory(stage=Stage.SQL)
    assert advance(won, Stage.WON, amount=Decimal("1200.00")).amount == Decimal("1200.00")
    assert advance(lost, Stage.LOST, amount=Decimal("1200.00")).amount is None
