"""Scoring as pure functions: rules and facts in, points and their explanation out.

Nothing here touches the database, so the same code scores one lead in a task, a batch
in a rescore, a sample in a preview, and a constructed data set in a test. The rules'
validation lives here too, so the rules page, the API and the services all refuse the
same rules with the same words.
"""

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

#: The lead fields a fit rule may test, with the names people read.
FIT_FIELDS: dict[str, str] = {
    "job_title": "Job title",
    "company": "Company",
    "company_size": "Company size",
    "industry": "Industry",
    "country": "Country",
    "email_domain": "Email domain",
    "email": "Email",
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "consent": "Consent",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
}
#: The lead columns the facts are made from (``email_domain`` is derived from ``email``).
LEAD_COLUMNS = tuple(name for name in FIT_FIELDS if name != "email_domain")
NUMERIC_FIELDS = frozenset({"company_size"})

OPERATORS: dict[str, str] = {
    "equals": "equals",
    "one_of": "is one of",
    "contains": "contains",
    "matches": "matches (regular expression)",
    "between": "is between",
    "is_empty": "is empty",
}
KINDS = ("fit", "engagement")
#: Points outside this range are a typo, not a rule.
MAX_POINTS = 1000
MAX_VALUE_LENGTH = 500
MAX_LABEL_LENGTH = 200
DAY_SECONDS = 86400


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
    disqualifies: bool = False

    # Parsed once per rule, not once per lead: a batch scores thousands of leads per rule.
    @cached_property
    def wanted(self) -> str:
        return self.value.strip().lower()

    @cached_property
    def items(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.wanted.split(",") if item.strip())

    @cached_property
    def alternatives(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.wanted.split("|") if part.strip())

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        try:
            return re.compile(self.value, flags=re.IGNORECASE)
        except re.error:
            return None

    @cached_property
    def bounds(self) -> tuple[float | None, float | None] | None:
        return parse_range(self.value)

    @cached_property
    def test(self) -> Callable[[Any], bool]:
        """This fit rule's test of one field value."""
        return _predicate(self)


@dataclass(frozen=True)
class TouchpointFact:
    kind: str
    occurred_at: datetime


@dataclass
class ScoreResult:
    fit: int = 0
    engagement: int = 0
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    #: The label of the first disqualifying rule that matched; empty when none did.
    disqualified_by: str = ""

    @property
    def total(self) -> int:
        return self.fit + self.engagement


def facts_from(values: Mapping[str, Any]) -> dict[str, Any]:
    """A lead's facts from its column values: the columns plus ``email_domain``."""
    facts = {name: values.get(name) for name in LEAD_COLUMNS}
    facts["email_domain"] = (values.get("email") or "").rpartition("@")[2]
    return facts


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_range(spec: str) -> tuple[float | None, float | None] | None:
    """``"low-high"`` as numbers, either side may be empty; None when it is not a range."""
    low_text, dash, high_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        low = float(low_text) if low_text.strip() else None
        high = float(high_text) if high_text.strip() else None
    except ValueError:
        return None
    return low, high


def fit_matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Whether a fit rule holds for a lead's fields."""
    return rule.test(facts.get(rule.field))


def _predicate(rule: Rule) -> Callable[[Any], bool]:
    """A fit rule's test of one field value, built once per rule. Text is trimmed and,
    except for a regular expression (which ignores case itself), lowercased; an empty
    value matches nothing but ``is_empty``."""
    operator = rule.operator
    if operator == "is_empty":
        return lambda raw: _as_text(raw) == ""
    if operator == "between":
        bounds = rule.bounds
        return lambda raw: _between(raw, bounds)
    if operator == "matches":
        if rule.pattern is None:
            return lambda raw: False
        search = rule.pattern.search
        return lambda raw: (text := _as_text(raw)) != "" and search(text) is not None
    if operator == "equals":
        wanted = rule.wanted
        return lambda raw: (text := _as_text(raw).lower()) != "" and text == wanted
    if operator == "one_of":
        items = rule.items
        return lambda raw: (text := _as_text(raw).lower()) != "" and text in items
    if operator == "contains":
        alternatives = rule.alternatives
        return lambda raw: (
            (text := _as_text(raw).lower()) != "" and any(part in text for part in alternatives)
        )
    return lambda raw: False


def _between(value: Any, bounds: tuple[float | None, float | None] | None) -> bool:
    if bounds is None or value is None or value == "":
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    low, high = bounds
    return (low is None or number >= low) and (high is None or number <= high)


def decay_factor(occurred_at: datetime, now: datetime, half_life_days: int) -> float:
    """How much of a touchpoint's points remain: halves every ``half_life_days``."""
    return _decay(now.timestamp() - occurred_at.timestamp(), half_life_days * DAY_SECONDS)


def _decay(age_seconds: float, half_life_seconds: float) -> float:
    # A touchpoint stamped in the future (clock skew) counts in full, never more.
    return 0.5 ** (age_seconds / half_life_seconds) if age_seconds > 0 else 1.0


def rule_label(rule: Rule) -> str:
    """The rule's name in an explanation: its label, else what it tests."""
    if rule.label:
        return rule.label
    if rule.kind == "engagement":
        return rule.touchpoint_kind.replace("_", " ")
    return f"{rule.field} {rule.operator} {rule.value}".strip()


class Scorer:
    """A version's rules made ready to score many leads at one moment ``now``.

    Each rule's test and label are built once, and touchpoints are taken as POSIX
    timestamps by kind, so a batch rescore spends its time on leads, not on set-up. The
    single-lead ``score`` below uses the same code, so both paths agree to the point.
    """

    def __init__(self, rules: Sequence[Rule], *, half_life_days: int, now: datetime):
        self.now = now.timestamp()
        self.half_life_seconds = half_life_days * DAY_SECONDS
        # One flat tuple per rule, in the rules' order (the breakdown keeps it): the
        # inner loop of a batch then reads locals, not attributes.
        self.steps: list[tuple] = [
            (True, rule.field, rule.test, rule.points, rule_label(rule), rule.disqualifies)
            if rule.kind == "fit"
            else (False, rule.touchpoint_kind, rule.points, rule.cap, rule_label(rule))
            for rule in rules
        ]
        #: The touchpoint kinds some rule counts: a caller need load no others.
        self.kinds = {rule.touchpoint_kind for rule in rules if rule.kind != "fit"}
        #: The facts the fit rules read.
        self.fields = {rule.field for rule in rules if rule.kind == "fit"}

    def score(self, facts: Mapping[str, Any], times: Mapping[str, Sequence[float]]) -> ScoreResult:
        """Score one lead from its facts and its touchpoints' timestamps by kind."""
        breakdown: list[dict[str, Any]] = []
        fit = engagement = 0
        disqualified_by = ""
        now, half_life = self.now, self.half_life_seconds
        for step in self.steps:
            if step[0]:
                _, field, test, points, label, disqualifies = step
                if not test(facts.get(field)):
                    continue
                fit += points
                if disqualifies:
                    line = {"rule": label, "kind": "fit", "points": points, "disqualifies": True}
                    disqualified_by = disqualified_by or label
                else:
                    line = {"rule": label, "kind": "fit", "points": points}
                breakdown.append(line)
                continue
            _, kind, points, cap, label = step
            stamps = times.get(kind)
            if not stamps:
                continue
            raw = points * sum(_decay(now - stamp, half_life) for stamp in stamps)
            if cap is not None:
                raw = max(min(raw, cap), -cap)
            gained = round(raw)
            if gained == 0:
                continue
            engagement += gained
            breakdown.append(
                {"rule": label, "kind": "engagement", "points": gained, "count": len(stamps)}
            )
        return ScoreResult(
            fit=fit, engagement=engagement, breakdown=breakdown, disqualified_by=disqualified_by
        )


def times_by_kind(touchpoints: Iterable[TouchpointFact]) -> dict[str, list[float]]:
    """Touchpoints as the ``Scorer`` takes them: POSIX timestamps by kind."""
    times: dict[str, list[float]] = {}
    for touchpoint in touchpoints:
        times.setdefault(touchpoint.kind, []).append(touchpoint.occurred_at.timestamp())
    return times


def score(
    facts: Mapping[str, Any],
    touchpoints: Iterable[TouchpointFact],
    rules: Sequence[Rule],
    *,
    half_life_days: int,
    now: datetime,
) -> ScoreResult:
    """Score one lead. Each rule that gives points adds one line to the breakdown.

    A disqualifying fit rule that matches adds a line too (with its points, usually 0)
    and sets ``disqualified_by``; what to do about it is the caller's business.
    """
    scorer = Scorer(rules, half_life_days=half_life_days, now=now)
    return scorer.score(facts, times_by_kind(touchpoints))


def normalised(rule: Rule) -> Rule:
    """The rule without the settings its kind ignores (a form switched from one kind to
    the other may still carry them), trimmed."""
    if rule.kind == "fit":
        value = "" if rule.operator == "is_empty" else rule.value.strip()
        return Rule(
            kind="fit",
            points=rule.points,
            label=rule.label.strip(),
            field=rule.field,
            operator=rule.operator,
            value=value,
            disqualifies=rule.disqualifies,
        )
    return Rule(
        kind=rule.kind,
        points=rule.points,
        label=rule.label.strip(),
        touchpoint_kind=rule.touchpoint_kind,
        cap=rule.cap,
        # Kept, so that asking an engagement rule to disqualify is an error, not ignored.
        disqualifies=rule.disqualifies,
    )


def rule_errors(rule: Rule, *, touchpoint_kinds: Collection[str]) -> dict[str, list[str]]:
    """What is wrong with a rule, by field; empty when it can be saved."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if rule.kind not in KINDS:
        add("kind", "Choose fit or engagement.")
        return errors
    if not -MAX_POINTS <= rule.points <= MAX_POINTS:
        add("points", f"Give between -{MAX_POINTS} and {MAX_POINTS} points.")
    if len(rule.label) > MAX_LABEL_LENGTH:
        add("label", f"At most {MAX_LABEL_LENGTH} characters.")
    if rule.kind == "engagement":
        if not rule.touchpoint_kind:
            add("touchpoint_kind", "Choose the kind of touchpoint this rule counts.")
        elif rule.touchpoint_kind not in touchpoint_kinds:
            add("touchpoint_kind", f"Unknown touchpoint kind {rule.touchpoint_kind!r}.")
        if rule.cap is not None and rule.cap < 0:
            add("cap", "A cap is a number of points, 0 or more.")
        if rule.disqualifies:
            add("disqualifies", "Only a fit rule can disqualify a lead.")
        return errors
    if not rule.field:
        add("field", "Choose the lead field this rule tests.")
    elif rule.field not in FIT_FIELDS:
        add("field", f"Unknown lead field {rule.field!r}.")
    if not rule.operator:
        add("operator", "Choose how the field is tested.")
    elif rule.operator not in OPERATORS:
        add("operator", f"Unknown operator {rule.operator!r}.")
    else:
        for message in value_errors(rule):
            add("value", message)
    return errors


def value_errors(
    rule: Rule,
    *,
    numeric_fields: Collection[str] = NUMERIC_FIELDS,
    labels: Mapping[str, str] = FIT_FIELDS,
) -> list[str]:
    """What is wrong with a test's value for its operator; routing conditions use it too,
    with their own fields."""
    value = rule.value.strip()
    if rule.operator == "is_empty":
        return []
    if not value:
        return ["Give the value to test against."]
    if len(value) > MAX_VALUE_LENGTH:
        return [f"At most {MAX_VALUE_LENGTH} characters."]
    if rule.operator == "matches":
        try:
            re.compile(value)
        except re.error as exc:
            return [f"Not a valid regular expression: {exc}."]
    if rule.operator == "between":
        if rule.field and rule.field not in numeric_fields:
            names = ", ".join(labels[name].lower() for name in sorted(numeric_fields))
            return [f"“is between” compares numbers; use it on {names}."]
        bounds = parse_range(value)
        if bounds is None or bounds == (None, None):
            return ["Write a range as low-high, such as 201-1000, 1001- or -50."]
        low, high = bounds
        if low is not None and high is not None and low > high:
            return ["The low end of the range is above the high end."]
    if rule.operator == "one_of" and not rule.items:
        return ["List the values, separated by commas."]
    if rule.operator == "contains" and not rule.alternatives:
        return ["Give the text to look for; separate alternatives with |."]
    return []
