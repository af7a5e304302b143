"""Rule-set versions: make a draft, edit it, activate it.

A version in force is never edited: a change is a new draft (empty, or a copy of a
version), edited as often as needed, then activated. Activation retires the version in
force and starts a batch rescore of every lead (``leads.scoring.rescoring``).
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alignment.models import Job
from leads import scoring
from leads.models import TouchpointKind
from leads.scoring import rescoring
from leads.scoring.rules.models import ScoringRule, ScoringRuleSet
from leads.scoring.rules.queries import active_ruleset, rules_of

MAX_HALF_LIFE_DAYS = 3650
NAME_MAX_LENGTH = 100


class NotADraft(Exception):
    """Only a draft can be edited or activated; a version in force or retired is history."""

    def __init__(self, ruleset: ScoringRuleSet):
        self.ruleset = ruleset
        super().__init__(
            f"Version {ruleset.pk} is {ruleset.get_status_display().lower()}: only a draft "
            "can change. Copy it to a new draft instead."
        )


def check_rules(rules: Sequence[scoring.Rule]) -> list[scoring.Rule]:
    """The rules as they will be stored, or ``ValidationError`` keyed ``rules[i].field``."""
    errors: dict[str, list[str]] = {}
    cleaned = []
    for index, rule in enumerate(rules):
        rule = scoring.normalised(rule)
        problems = scoring.rule_errors(rule, touchpoint_kinds=TouchpointKind.values)
        for name, messages in problems.items():
            errors[f"rules[{index}].{name}"] = messages
        cleaned.append(rule)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_settings(*, name: str | None, decay_half_life_days: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if name is not None and len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"At most {NAME_MAX_LENGTH} characters."]
    if decay_half_life_days is not None and not 1 <= decay_half_life_days <= MAX_HALF_LIFE_DAYS:
        errors["decay_half_life_days"] = [
            f"Give a half-life between 1 and {MAX_HALF_LIFE_DAYS} days."
        ]
    if errors:
        raise ValidationError(errors)


def _write_rules(ruleset: ScoringRuleSet, rules: Sequence[scoring.Rule]) -> None:
    ScoringRule.objects.bulk_create(
        ScoringRule(
            ruleset=ruleset,
            kind=rule.kind,
            label=rule.label,
            field=rule.field,
            operator=rule.operator,
            value=rule.value,
            touchpoint_kind=rule.touchpoint_kind,
            points=rule.points,
            cap=rule.cap,
            disqualifies=rule.disqualifies,
            position=position,
        )
        for position, rule in enumerate(rules, start=1)
    )


def create_draft(
    *,
    by,
    based_on: ScoringRuleSet | None = None,
    name: str = "",
    decay_half_life_days: int | None = None,
    note: str = "",
    rules: Sequence[scoring.Rule] | None = None,
) -> ScoringRuleSet:
    """A new draft version. Without ``rules`` it copies ``based_on`` (by default the
    version in force): its rules and half-life; given ``rules`` are checked first."""
    if based_on is None:
        based_on = active_ruleset()
    if rules is None:
        rules = rules_of(based_on)
    cleaned = check_rules(rules)
    name = name.strip() or (f"Revision of v{based_on.pk}" if based_on else "New rules")
    if decay_half_life_days is None:
        decay_half_life_days = based_on.decay_half_life_days if based_on else 30
    _check_settings(name=name, decay_half_life_days=decay_half_life_days)
    with transaction.atomic():
        draft = ScoringRuleSet.objects.create(
            name=name,
            status=ScoringRuleSet.Status.DRAFT,
            decay_half_life_days=decay_half_life_days,
            note=note.strip(),
            based_on=based_on,
            created_by=by,
        )
        _write_rules(draft, cleaned)
    return draft


def update_draft(
    ruleset: ScoringRuleSet,
    *,
    by,
    name: str | None = None,
    decay_half_life_days: int | None = None,
    note: str | None = None,
    rules: Sequence[scoring.Rule] | None = None,
) -> ScoringRuleSet:
    """Edit a draft: its settings, and its rules when given (they replace the old ones).

    Raises ``NotADraft`` for a version in force or retired, ``ValidationError`` for bad
    rules (keyed ``rules[i].field``) or settings.
    """
    cleaned = check_rules(rules) if rules is not None else None
    name = name.strip() if name is not None else None
    _check_settings(name=name, decay_half_life_days=decay_half_life_days)
    with transaction.atomic():
        # Locked: an activation running at the same moment either sees these edits or
        # makes this edit fail as "not a draft"; it never activates half of them.
        locked = ScoringRuleSet.objects.select_for_update().get(pk=ruleset.pk)
        if locked.status != ScoringRuleSet.Status.DRAFT:
            raise NotADraft(locked)
        if name:
            locked.name = name
        if decay_half_life_days is not None:
            locked.decay_half_life_days = decay_half_life_days
        if note is not None:
            locked.note = note.strip()
        locked.updated_by, locked.updated_at = by, timezone.now()
        locked.save()
        if cleaned is not None:
            ScoringRule.objects.filter(ruleset=locked).delete()
            _write_rules(locked, cleaned)
    return locked


def _lock_active() -> ScoringRuleSet | None:
    """The version in force, locked.

    Waiting for the lock can end with that row retired by the activation we waited for;
    the version it activated was not in the waiting statement's snapshot, so ask again
    until two answers agree (in PostgreSQL each statement sees what committed before it).
    """
    seen: object = object()
    while True:
        active = (
            ScoringRuleSet.objects.select_for_update()
            .filter(status=ScoringRuleSet.Status.ACTIVE)
            .first()
        )
        current = active.pk if active else None
        if current == seen:
            return active
        seen = current


def activate_ruleset(ruleset: ScoringRuleSet, *, by, now: datetime | None = None) -> Job:
    """Put a draft in force, retire the version it replaces, and start the batch rescore
    of every lead; the rescore's job is returned.

    Two activations never both win: the draft row is locked first (a second activation of
    the same draft finds it active and gets ``NotADraft``), then the version in force.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = ScoringRuleSet.objects.select_for_update().get(pk=ruleset.pk)
        if locked.status != ScoringRuleSet.Status.DRAFT:
            raise NotADraft(locked)
        if not ScoringRule.objects.filter(ruleset=locked).exists():
            raise ValidationError({"rules": ["A version without rules would score every lead 0."]})
        current = _lock_active()
        if current is not None:
            current.status, current.retired_at = ScoringRuleSet.Status.RETIRED, now
            current.save(update_fields=["status", "retired_at"])
        locked.status = ScoringRuleSet.Status.ACTIVE
        locked.activated_by, locked.activated_at = by, now
        locked.save(update_fields=["status", "activated_by", "activated_at"])
        job = rescoring.start_rescore(
            by=by, reason=f"Version {locked.pk} ({locked.name}) was activated."
        )
    ruleset.refresh_from_db()
    return job


def copy_to_draft(ruleset: ScoringRuleSet, *, by) -> ScoringRuleSet:
    """A new draft with the rules and half-life of ``ruleset`` (any status)."""
    return create_draft(by=by, based_on=ruleset)
