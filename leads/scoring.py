"""Scoring as pure functions: rules and facts in, points and their explanation out.

Nothing here touches the database, so the same code scores one lead in a task, a batch
in a rescore, and a constructed data set in a test.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Rule:
    kind: str  # "fit" | "engagement"
    points: int
    label: str = ""
    field: str = ""
    operator: str = ""
    value: str = ""
    touchpoint_kind: str = ""
    cap: int | None = None


@dataclass(frozen=True)
class TouchpointFact:
    kind: str
    occurred_at: datetime


@dataclass
class ScoreResult:
    fit: int = 0
    engagement: int = 0
    breakdown: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.fit + self.engagement


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _between(value: Any, spec: str) -> bool:
    low_text, _, high_text = spec.partition("-")
    try:
        number = float(value)
        low = float(low_text) if low_text.strip() else None
        high = float(high_text) if high_text.strip() else None
    except (TypeError, ValueError):
        return False
    return (low is None or number >= low) and (high is None or number <= high)


def fit_matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Whether a fit rule holds for a lead's fields."""
    raw = facts.get(rule.field)
    text = _as_text(raw).lower()
    wanted = rule.value.strip().lower()
    if rule.operator == "is_empty":
        return text == ""
    if text == "":
        return False
    if rule.operator == "equals":
        return text == wanted
    if rule.operator == "one_of":
        return text in {item.strip() for item in wanted.split(",") if item.strip()}
    if rule.operator == "contains":
        return any(part.strip() and part.strip() in text for part in wanted.split("|"))
    if rule.operator == "matches":
        try:
            return re.search(rule.value, _as_text(raw), flags=re.IGNORECASE) is not None
        except re.error:
            return False
    if rule.operator == "between":
        return _between(raw, rule.value)
    return False


def decay_factor(occurred_at: datetime, now: datetime, half_life_days: int) -> float:
    """How much of a touchpoint's points remain: halves every ``half_life_days``."""
    age_days = max((now - occurred_at).total_seconds(), 0) / 86400
    return 0.5 ** (age_days / half_life_days)


def _label(rule: Rule) -> str:
    if rule.label:
        return rule.label
    if rule.kind == "engagement":
        return rule.touchpoint_kind.replace("_", " ")
    return f"{rule.field} {rule.operator} {rule.value}".strip()


def score(
    facts: Mapping[str, Any],
    touchpoints: Iterable[TouchpointFact],
    rules: Sequence[Rule],
    *,
    half_life_days: int,
    now: datetime,
) -> ScoreResult:
    """Score one lead. Each rule that gives points adds one line to the breakdown."""
    result = ScoreResult()
    by_kind: dict[str, list[TouchpointFact]] = {}
    for touchpoint in touchpoints:
        by_kind.setdefault(touchpoint.kind, []).append(touchpoint)

    for rule in rules:
        if rule.kind == "fit":
            if fit_matches(rule, facts):
                result.fit += rule.points
                result.breakdown.append(
                    {"rule": _label(rule), "kind": "fit", "points": rule.points}
                )
            continue
        matching = by_kind.get(rule.touchpoint_kind, [])
        if not matching:
            continue
        raw = sum(rule.points * decay_factor(t.occurred_at, now, half_life_days) for t in matching)
        if rule.cap is not None:
            raw = max(min(raw, rule.cap), -rule.cap)
        points = round(raw)
        if points == 0:
            continue
        result.engagement += points
        result.breakdown.append(
            {
                "rule": _label(rule),
                "kind": "engagement",
                "points": points,
                "count": len(matching),
            }
        )
    return result
