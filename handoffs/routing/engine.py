"""Routing as pure functions: rules and a lead's facts in, a destination and its reason out.

Conditions use the operators of scoring rules (``leads.scoring``), on the lead fields a
sales team routes by. The weighted round robin is stride scheduling: each member has a
turn; the eligible member with the lowest turn takes the lead and moves its turn on by
``1 / weight``, so over many leads each member's share is its weight's share, and a rep
back from time away rejoins at the rule's clock instead of catching up in a burst.
Nothing here touches the database, so the live routing, the dry run and the tests run
the same code.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from leads import scoring

#: The lead facts a condition may test, with the names people read.
FIELDS: dict[str, str] = {
    "country": "Country",
    "company_size": "Company size",
    "industry": "Industry",
    "job_title": "Job title",
    "email_domain": "Email domain",
    "campaign": "Campaign",
    "channel": "Channel",
    "score": "Score",
    "fit_score": "Fit score",
    "engagement_score": "Engagement score",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
}
FIELD_CHOICES = list(FIELDS.items())
OPERATOR_CHOICES = list(scoring.OPERATORS.items())
NUMERIC_FIELDS = frozenset({"company_size", "score", "fit_score", "engagement_score"})
OPERATORS = scoring.OPERATORS
MAX_CONDITIONS = 20
MAX_MEMBERS = 50
MAX_WEIGHT = 100


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""

    @cached_property
    def test(self):
        return scoring.Rule(
            kind="fit", points=0, field=self.field, operator=self.operator, value=self.value
        ).test

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return self.test(facts.get(self.field))

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "operator": self.operator, "value": self.value}


@dataclass(frozen=True)
class Member:
    user_id: int
    weight: int


@dataclass(frozen=True)
class CompiledRule:
    """An active rule as routing reads it; ``number`` is its place among active rules."""

    id: int
    number: int
    name: str
    action: str  # rep | team_queue | round_robin
    conditions: tuple[Condition, ...] = ()
    rep_id: int | None = None
    members: tuple[Member, ...] = ()

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(condition.holds(facts) for condition in self.conditions)

    @property
    def label(self) -> str:
        return f"Rule {self.number} {self.name}"


def first_match(rules: Sequence[CompiledRule], facts: Mapping[str, Any]) -> CompiledRule | None:
    """The first rule whose conditions all hold (a rule without conditions matches all)."""
    for rule in rules:
        if rule.matches(facts):
            return rule
    return None


def facts_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """A lead's routing facts from its column values (``channel`` is its campaign's)."""
    facts = {name: values.get(name) for name in FIELDS if name not in ("email_domain",)}
    facts["email_domain"] = (values.get("email") or "").rpartition("@")[2]
    if facts.get("campaign") is not None:
        facts["campaign"] = str(facts["campaign"])
    return facts


def condition_errors(condition: object) -> dict[str, list[str]]:
    """What is wrong with one ``{"field", "operator", "value"}``, by key."""
    if not isinstance(condition, Mapping):
        return {"non_field_errors": ['Give {"field", "operator", "value"}.']}
    errors: dict[str, list[str]] = {}
    name, operator, value = (condition.get(key, "") for key in ("field", "operator", "value"))
    extra = set(condition) - {"field", "operator", "value"}
    if extra:
        errors["non_field_errors"] = [f"Unknown key {sorted(map(str, extra))[0][:40]!r}."]
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors["value"] = ["Give the value as text."]
        value = ""
    if name not in FIELDS:
        errors["field"] = [f"Choose one of {', '.join(FIELDS)}."]
    if operator not in OPERATORS:
        errors["operator"] = [f"Choose one of {', '.join(OPERATORS)}."]
    if "field" not in errors and "operator" not in errors and "value" not in errors:
        rule = scoring.Rule(kind="fit", points=0, field=name, operator=operator, value=str(value))
        messages = scoring.value_errors(rule, numeric_fields=NUMERIC_FIELDS, labels=FIELDS)
        if messages:
            errors["value"] = messages
    return errors


# Round robin ---------------------------------------------------------------------------


@dataclass
class Seat:
    """A member's place in one decision: its turn, and why it may not take a lead now."""

    user_id: int
    name: str
    weight: int
    turn: float
    position: int
    unavailable: str = ""  # "is away until Mon 09:00", "is at capacity (8 of 8)"


@dataclass
class Pick:
    chosen: Seat | None
    new_turn: float = 0.0
    clock: float = 0.0
    skipped: list[Seat] = field(default_factory=list)


def pick(seats: Sequence[Seat], *, clock: float) -> Pick:
    """The member to take the next lead: the lowest turn among the available ones (a turn
    left behind while away counts as the rule's clock), ties by position."""
    skipped = [seat for seat in seats if seat.unavailable]
    available = [seat for seat in seats if not seat.unavailable]
    if not available:
        return Pick(chosen=None, clock=clock, skipped=skipped)
    chosen = min(available, key=lambda seat: (max(seat.turn, clock), seat.position))
    start = max(chosen.turn, clock)
    return Pick(chosen=chosen, new_turn=start + 1 / chosen.weight, clock=start, skipped=skipped)


def round_robin_reason(rule: CompiledRule, seats: Sequence[Seat], result: Pick) -> str:
    """ "Rule 2 DACH → round robin Rob, Sue; Sue is at capacity (8 of 8) → Rob"."""
    names = ", ".join(seat.name for seat in seats)
    text = f"{rule.label} → round robin {names}"
    if result.skipped:
        text += "; " + ", ".join(f"{seat.name} {seat.unavailable}" for seat in result.skipped)
    destination = result.chosen.name if result.chosen else "team queue"
    return f"{text} → {destination}."
