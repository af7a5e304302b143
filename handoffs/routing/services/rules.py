"""Writing the routing rules: checks, create, update (members, order) and delete."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from alignment.notifications import person
from alignment.roles import MANAGER, SALES, has_role
from handoffs.routing import engine
from handoffs.routing.models import RoutingMember, RoutingRule


def _require_manager(by) -> None:
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can change the routing rules.")


def rule_errors(
    *, name: str, conditions: object, action: str, rep: Any, members: object
) -> dict[str, list[str]]:
    """What is wrong with a rule, by field. ``rep`` is a user or None; ``members`` a list of
    ``{"user": user, "weight": n}``."""
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["Give the rule a name."]
    elif len(name) > 100:
        errors["name"] = ["At most 100 characters."]
    if not isinstance(conditions, list):
        errors["conditions"] = ["Give a list of conditions (an empty list matches every lead)."]
    elif len(conditions) > engine.MAX_CONDITIONS:
        errors["conditions"] = [f"At most {engine.MAX_CONDITIONS} conditions."]
    else:
        for index, condition in enumerate(conditions, start=1):
            for key, messages in engine.condition_errors(condition).items():
                errors.setdefault("conditions", []).extend(
                    f"Condition {index} ({key}): {message}" for message in messages
                )
    if action not in RoutingRule.Action.values:
        errors["action"] = [f"Choose one of {', '.join(RoutingRule.Action.values)}."]
    if action == RoutingRule.Action.REP:
        if rep is None:
            errors["rep"] = ["Choose the rep this rule sends leads to."]
        elif not (rep.is_active and has_role(rep, SALES)):
            errors["rep"] = [f"{person(rep)} is not an active sales rep."]
    if action == RoutingRule.Action.ROUND_ROBIN:
        errors.update(_member_errors(members))
    return errors


def _member_errors(members: object) -> dict[str, list[str]]:
    if not isinstance(members, list) or not members:
        return {"members": ["Choose the reps to rotate between."]}
    if len(members) > engine.MAX_MEMBERS:
        return {"members": [f"At most {engine.MAX_MEMBERS} reps."]}
    problems: list[str] = []
    seen: set[int] = set()
    for member in members:
        user, weight = member.get("user"), member.get("weight", 1)
        if user is None:
            problems.append("Choose a rep for every row.")
            continue
        if user.pk in seen:
            problems.append(f"{person(user)} is listed twice.")
        seen.add(user.pk)
        if not (user.is_active and has_role(user, SALES)):
            problems.append(f"{person(user)} is not an active sales rep.")
        if not isinstance(weight, int) or isinstance(weight, bool):
            problems.append(f"{person(user)}: the weight is a whole number.")
        elif not 1 <= weight <= engine.MAX_WEIGHT:
            problems.append(f"{person(user)}: give a weight from 1 to {engine.MAX_WEIGHT}.")
    return {"members": problems} if problems else {}


def create_rule(
    *,
    by,
    name: str,
    conditions: list[dict],
    action: str,
    rep=None,
    members: Sequence[Mapping[str, Any]] = (),
    active: bool = True,
    position: int | None = None,
) -> RoutingRule:
    """Add a rule (last, or at ``position``, 1 being first)."""
    _require_manager(by)
    errors = rule_errors(
        name=name, conditions=conditions, action=action, rep=rep, members=list(members)
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_rules()
        rule = RoutingRule.objects.create(
            name=name.strip(),
            conditions=[_clean_condition(c) for c in conditions],
            action=action,
            rep=rep if action == RoutingRule.Action.REP else None,
            active=active,
            position=10**6,
            created_by=by,
            updated_by=by,
        )
        _set_members(rule, members if action == RoutingRule.Action.ROUND_ROBIN else ())
        _renumber(rule, position)
    return rule


def update_rule(rule: RoutingRule, *, by, **changes: Any) -> RoutingRule:
    """Change a rule; ``members`` replaces the rotation's reps (those kept keep their
    turn), ``position`` moves it (1 being first)."""
    _require_manager(by)
    allowed = {"name", "conditions", "action", "rep", "members", "active", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_rule cannot change {sorted(unknown)}")
    with transaction.atomic():
        _lock_rules()
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        current_members = [
            {"user": member.user, "weight": member.weight}
            for member in rule.members.select_related("user")
        ]
        values = {
            "name": changes.get("name", rule.name),
            "conditions": changes.get("conditions", rule.conditions),
            "action": changes.get("action", rule.action),
            "rep": changes.get("rep", rule.rep),
            "members": list(changes.get("members", current_members)),
        }
        errors = rule_errors(**values)
        if errors:
            raise ValidationError(errors)
        rule.name = values["name"].strip()
        rule.conditions = [_clean_condition(c) for c in values["conditions"]]
        rule.action = values["action"]
        rule.rep = values["rep"] if rule.action == RoutingRule.Action.REP else None
        rule.active = changes.get("active", rule.active)
        rule.updated_by = by
        rule.save()
        if rule.action == RoutingRule.Action.ROUND_ROBIN:
            _set_members(rule, values["members"])
        else:
            rule.members.all().delete()
        if "position" in changes:
            _renumber(rule, changes["position"])
    return rule


def delete_rule(rule: RoutingRule, *, by) -> None:
    """Delete a rule; handoffs it routed keep their reason in words."""
    _require_manager(by)
    with transaction.atomic():
        _lock_rules()
        RoutingRule.objects.filter(pk=rule.pk).delete()
        _renumber(None, None)


def _lock_rules() -> None:
    """Serialise edits of the rule list, so two managers reordering at once never leave
    two rules at one position."""
    list(RoutingRule.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _clean_condition(condition: Mapping[str, Any]) -> dict[str, str]:
    value = condition.get("value", "")
    return {
        "field": condition["field"],
        "operator": condition["operator"],
        "value": "" if condition["operator"] == "is_empty" else str(value).strip(),
    }


def _set_members(rule: RoutingRule, members: Sequence[Mapping[str, Any]]) -> None:
    kept = {member.user_id: member for member in rule.members.all()}
    wanted = {member["user"].pk: member for member in members}
    RoutingMember.objects.filter(rule=rule).exclude(user_id__in=list(wanted)).delete()
    for position, (user_id, member) in enumerate(wanted.items()):
        weight = member.get("weight", 1)
        if user_id in kept:
            RoutingMember.objects.filter(pk=kept[user_id].pk).update(
                weight=weight, position=position
            )
        else:
            # A new rep joins at the rule's clock: no catching up on past turns.
            RoutingMember.objects.create(
                rule=rule, user_id=user_id, weight=weight, position=position, turn=rule.clock
            )


def _renumber(moving: RoutingRule | None, position: int | None) -> None:
    """Positions 1..n in order, with ``moving`` at ``position`` (clamped) when given."""
    ordered = [
        rule
        for rule in RoutingRule.objects.order_by("position", "pk")
        if moving is None or rule.pk != moving.pk
    ]
    if moving is not None:
        index = len(ordered) if position is None else max(0, min(position - 1, len(ordered)))
        ordered.insert(index, moving)
    for number, rule in enumerate(ordered, start=1):
        if rule.position != number:
            RoutingRule.objects.filter(pk=rule.pk).update(position=number)
            rule.position = number
