"""A scoring rule in words, as the rules pages and the list of changes show it.

A rule is stored as the scorer reads it: a regular expression, a list of lowercase country
codes, a range as ``"51-200"``. People read "Job title mentions VP, Head, Director",
"Country is United States, Germany or France", "Company size is 51 to 200". Patterns too
rich to read as a list of words are shown as the pattern, so nothing is hidden.
"""

import re
from dataclasses import dataclass

from alignment.humane import country_names, joined
from leads import scoring
from leads.models import TouchpointKind

#: A regular expression's decorations that do not change which words it finds: word
#: boundaries, anchors, and a group around the whole alternation.
_EDGES = re.compile(r"^(?:\^|\\b)*\(?(?:\?:)?|\)?(?:\\b|\$)*$")
#: Inside one alternative: a class of separators (``vice[ -]president``) or ``\s`` reads as
#: a space; an escaped dot is a dot; a whole-word boundary says nothing more.
_SPACES = re.compile(r"\[[ \-_.]+\]|\\s[+*]?|\\b")
#: What is left is a plain word only when no other pattern syntax remains.
_SYNTAX = re.compile(r"[\\()\[\]{}*+?^$|]")


@dataclass(frozen=True)
class RuleWords:
    """``subject`` ("Job title") and ``test`` ("mentions VP, Head or Director"); for a
    pattern shown in words, ``pattern`` keeps the expression itself (for a tooltip)."""

    subject: str
    test: str
    pattern: str = ""

    def __str__(self) -> str:
        return f"{self.subject} {self.test}"


def pattern_alternatives(pattern: str) -> list[str] | None:
    """The words a pattern such as ``\\b(vp|vice[ -]president|head)\\b`` looks for
    (``["vp", "vice president", "head"]``); None when it is more than a list of words."""
    body = _EDGES.sub("", pattern.strip())
    words = []
    for part in body.split("|"):
        # An escaped dot is a dot; a dot left bare means any character.
        word = _SPACES.sub(" ", part).replace(r"\.", "\0").replace(r"\-", "-")
        if "." in word or _SYNTAX.search(word):
            return None
        word = " ".join(word.replace("\0", ".").split())
        if not word:
            return None
        words.append(word)
    return words


def _verb(pattern: str) -> str:
    """What a list of words is looked for as: anywhere, at the start, at the end, or whole."""
    starts, ends = pattern.startswith("^"), pattern.endswith("$") and not pattern.endswith(r"\$")
    if starts and ends:
        return "is"
    if starts:
        return "starts with"
    if ends:
        return "ends with"
    return "mentions"


def _title_case(word: str) -> str:
    """How a title word is written: short ones are initials (VP, CEO), others capitalised."""
    if len(word) <= 3 and word.isalpha():
        return word.upper()
    return word[:1].upper() + word[1:]


def _range(value: str) -> str:
    bounds = scoring.parse_range(value)
    if bounds is None:
        return f"is between {value}"
    low, high = (None if b is None else f"{b:,.0f}" for b in bounds)
    if low is not None and high is not None:
        return f"is {low} to {high}"
    if low is not None:
        return f"is {low} or more"
    if high is not None:
        return f"is {high} or less"
    return "is any number"


def _items(field: str, value: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if field == "country":
        return country_names(items)
    return items


def fit_words(rule: scoring.Rule) -> RuleWords:
    """A fit rule's test in words."""
    subject = scoring.FIT_FIELDS.get(rule.field, rule.field.replace("_", " ").capitalize())
    value = rule.value.strip()
    operator = rule.operator
    if operator == "is_empty":
        return RuleWords(subject, "is empty")
    if operator == "between":
        return RuleWords(subject, _range(value))
    if operator == "equals":
        if rule.field == "country":
            return RuleWords(subject, f"is {joined(country_names([value]))}")
        return RuleWords(subject, f"is “{value}”")
    if operator == "one_of":
        return RuleWords(subject, f"is {joined(_items(rule.field, value))}")
    if operator == "contains":
        parts = [part.strip() for part in value.split("|") if part.strip()]
        return RuleWords(subject, f"contains {joined(f'“{part}”' for part in parts)}")
    if operator == "matches":
        words = pattern_alternatives(value)
        if words is None:
            return RuleWords(subject, "matches the pattern", pattern=rule.value)
        shown = [_title_case(word) for word in words] if rule.field == "job_title" else words
        return RuleWords(subject, f"{_verb(value)} {joined(shown)}", pattern=rule.value)
    return RuleWords(subject, f"{scoring.OPERATORS.get(operator, operator)} {value}".strip())


def engagement_words(rule: scoring.Rule) -> RuleWords:
    """An engagement rule's touchpoint in words: "Each demo requested"."""
    kinds = dict(TouchpointKind.choices)
    label = kinds.get(rule.touchpoint_kind, rule.touchpoint_kind.replace("_", " "))
    return RuleWords("Each", label[:1].lower() + label[1:])


def rule_words(rule: scoring.Rule) -> RuleWords:
    return engagement_words(rule) if rule.kind == "engagement" else fit_words(rule)


def rule_sentence(rule: scoring.Rule) -> str:
    """A rule and its effect as one line: "Job title mentions VP or Head → +20"."""
    words = rule_words(rule)
    if rule.kind == "engagement":
        cap = f" (at most {rule.cap})" if rule.cap is not None else ""
        return f"{words} → {rule.points:+d}{cap}"
    effect = "disqualify" if rule.disqualifies else f"{rule.points:+d}"
    pattern = f" {words.pattern}" if words.pattern and words.test == "matches the pattern" else ""
    return f"{words}{pattern} → {effect}"
