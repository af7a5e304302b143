"""Reads of rule sets: their rules as the scorer takes them, and what a version changed."""

from collections.abc import Sequence
from dataclasses import dataclass

from leads import scoring
from leads.scoring.rules.models import ScoringRule, ScoringRuleSet
from leads.scoring.rules.wording import rule_sentence


def as_rule(rule: ScoringRule) -> scoring.Rule:
    """A stored rule as the pure scorer takes it."""
    return scoring.Rule(
        kind=rule.kind,
        points=rule.points,
        label=rule.label,
        field=rule.field,
        operator=rule.operator,
        value=rule.value,
        touchpoint_kind=rule.touchpoint_kind,
        cap=rule.cap,
        disqualifies=rule.disqualifies,
    )


def rules_of(ruleset: ScoringRuleSet | None) -> list[scoring.Rule]:
    """The rules of a version in their order; none for no version."""
    if ruleset is None:
        return []
    return [as_rule(rule) for rule in ScoringRule.objects.filter(ruleset=ruleset)]


def active_ruleset() -> ScoringRuleSet | None:
    return ScoringRuleSet.objects.filter(status=ScoringRuleSet.Status.ACTIVE).first()


def half_life_of(ruleset: ScoringRuleSet | None) -> int:
    return ruleset.decay_half_life_days if ruleset else 30


@dataclass(frozen=True)
class RuleChange:
    """One line of "what changed": a rule added, removed, or changed (before → after)."""

    change: str  # "added" | "removed" | "changed"
    label: str
    before: str = ""
    after: str = ""


def _key(rule: scoring.Rule) -> tuple[str, str]:
    # A rule is "the same rule" across versions when it tests the same thing: the field
    # and operator of a fit rule, the touchpoint kind of an engagement rule; its label
    # names it when two rules test the same thing.
    if rule.kind == "engagement":
        return ("engagement", rule.touchpoint_kind + "|" + rule.label)
    return ("fit", f"{rule.field}|{rule.operator}|{rule.label}")


def changes_between(
    before: Sequence[scoring.Rule], after: Sequence[scoring.Rule]
) -> list[RuleChange]:
    """What ``after`` changes in ``before``: rules added, removed and changed."""
    old = {_key(rule): rule for rule in before}
    new = {_key(rule): rule for rule in after}
    changes = []
    for key, rule in new.items():
        if key not in old:
            changes.append(RuleChange("added", scoring.rule_label(rule), after=rule_sentence(rule)))
        elif scoring.normalised(old[key]) != scoring.normalised(rule):
            changes.append(
                RuleChange(
                    "changed",
                    scoring.rule_label(rule),
                    before=rule_sentence(old[key]),
                    after=rule_sentence(rule),
                )
            )
    changes.extend(
        RuleChange("removed", scoring.rule_label(rule), before=rule_sentence(rule))
        for key, rule in old.items()
        if key not in new
    )
    return changes
