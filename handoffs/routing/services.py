"""Where a new MQL goes, and why: the routing rules, the round robin, rep availability.

``route`` is called by ``open_handoff`` inside the transaction of the stage change. A
round-robin decision locks its rule's row (``SELECT ... FOR UPDATE``) until that
transaction commits, so two MQLs routed at the same moment by two workers take turns:
the second sees the first one's turn taken and its lead counted against capacity.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from alignment.notifications import local_time, person, zone_of
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import team_time_zone
from handoffs.models import Handoff
from handoffs.routing import engine
from handoffs.routing.engine import CompiledRule, Condition, Member, Seat
from handoffs.routing.models import RepAvailability, RoutingMember, RoutingRule
from leads.models import Lead, Stage

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Stages at which a claimed lead still counts against its rep's capacity.
IN_PLAY = (Stage.SAL, Stage.SQL)
NO_MATCH = "No rule matched → team queue."


@dataclass(frozen=True)
class Route:
    """A routing decision: the rep (None: the team queue), why, and the rule that decided."""

    rep: "User | None"
    reason: str
    rule_id: int | None = None


# Reading the rules -----------------------------------------------------------------------

_cache: dict[str, Any] = {"version": None, "rules": []}


def _version() -> tuple:
    """Changes whenever a rule is written (member edits touch their rule) or deleted."""
    stats = RoutingRule.objects.aggregate(
        count=Count("id"), top=Max("id"), latest=Max("updated_at")
    )
    return stats["count"], stats["top"], stats["latest"]


def compiled_rules() -> list[CompiledRule]:
    """The active rules in order, compiled; kept per process until a rule changes."""
    version = _version()
    if _cache["version"] != version:
        _cache["rules"] = compile_rules(
            RoutingRule.objects.filter(active=True).prefetch_related("members")
        )
        _cache["version"] = version
    return _cache["rules"]


def compile_rules(rules: Iterable[RoutingRule]) -> list[CompiledRule]:
    """Rules as routing reads them, numbered by their place in the whole list (a switched
    off rule keeps its number), so a reason's "Rule 2" is the rule the list shows second."""
    return [
        CompiledRule(
            id=rule.pk,
            number=rule.position,
            name=rule.name,
            action=rule.action,
            conditions=tuple(Condition(**condition) for condition in rule.conditions),
            rep_id=rule.rep_id,
            members=tuple(
                Member(user_id=member.user_id, weight=member.weight)
                for member in rule.members.all()
            ),
        )
        for rule in sorted(rules, key=lambda r: (r.position, r.pk))
    ]


def lead_facts(lead: Lead) -> dict[str, Any]:
    values = {name: getattr(lead, name, None) for name in engine.FIELDS if name != "channel"}
    values["campaign"] = lead.campaign_id
    values["email"] = lead.email
    values["channel"] = lead.campaign.channel if lead.campaign is not None else None
    return engine.facts_of(values)


# Who can take a lead now ---------------------------------------------------------------


def loads(user_ids: Sequence[int]) -> dict[int, int]:
    """Each rep's leads in play: claimed and still worked, plus routed and waiting."""
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    claimed = (
        Handoff.objects.filter(
            status=Handoff.Status.CLAIMED, claimed_by_id__in=user_ids, lead__stage__in=IN_PLAY
        )
        .values_list("claimed_by_id")
        .annotate(n=Count("pk"))
    )
    offered = (
        Handoff.objects.filter(
            status=Handoff.Status.OPEN, routed_to_id__in=user_ids, requeued_at__isnull=True
        )
        .values_list("routed_to_id")
        .annotate(n=Count("pk"))
    )
    for user_id, n in [*claimed, *offered]:
        counts[user_id] += n
    return counts


def is_away(availability: RepAvailability | None, now: datetime) -> bool:
    if availability is None or (availability.away_from is None and availability.away_until is None):
        return False
    started = availability.away_from is None or availability.away_from <= now
    ended = availability.away_until is not None and availability.away_until <= now
    return started and not ended


def unavailable_reasons(users: Sequence, *, now: datetime) -> dict[int, str]:
    """Why each of ``users`` cannot take a lead now ("" when they can): "is away until
    Mon 09:00", "is at capacity (8 of 8)", "is deactivated"."""
    ids = [user.pk for user in users]
    availability = {row.user_id: row for row in RepAvailability.objects.filter(user_id__in=ids)}
    limited = [pk for pk, row in availability.items() if row.capacity is not None]
    counts = loads(limited)
    tz = zone_of("", team_time_zone())
    reasons = {}
    for user in users:
        row = availability.get(user.pk)
        if not user.is_active:
            reasons[user.pk] = "is deactivated"
        elif not has_role(user, SALES):
            reasons[user.pk] = "is no longer in sales"
        elif is_away(row, now):
            assert row is not None
            until = f" until {local_time(row.away_until, tz, now=now)}" if row.away_until else ""
            reasons[user.pk] = f"is away{until}"
        elif row is not None and row.capacity is not None and counts[user.pk] >= row.capacity:
            reasons[user.pk] = f"is at capacity ({counts[user.pk]} of {row.capacity})"
        else:
            reasons[user.pk] = ""
    return reasons


def available_reps(*, now: datetime | None = None) -> list:
    """Active sales reps who are not away (the team a queued MQL is announced to)."""
    now = now or timezone.now()
    reps = list(get_user_model().objects.filter(is_active=True, groups__name=SALES).distinct())
    reasons = unavailable_reasons(reps, now=now)
    return [rep for rep in reps if not reasons[rep.pk].startswith("is away")]


# Deciding --------------------------------------------------------------------------------


def route(lead: Lead, *, now: datetime | None = None) -> Route:
    """Where ``lead`` goes under the active rules, and why; round robin takes its turn."""
    now = now or timezone.now()
    rule = engine.first_match(compiled_rules(), lead_facts(lead))
    if rule is None:
        return Route(rep=None, reason=NO_MATCH)
    if rule.action == RoutingRule.Action.TEAM_QUEUE:
        return Route(rep=None, reason=f"{rule.label} → team queue.", rule_id=rule.id)
    if rule.action == RoutingRule.Action.REP:
        return _to_rep(rule, now=now)
    return _round_robin(rule, now=now)


def _to_rep(rule: CompiledRule, *, now: datetime) -> Route:
    rep = get_user_model().objects.filter(pk=rule.rep_id or 0).first()
    if rep is None:
        return Route(rep=None, reason=f"{rule.label} → a rep who is gone → team queue.")
    why = unavailable_reasons([rep], now=now)[rep.pk]
    name = person(rep)
    if why:
        return Route(
            rep=None, reason=f"{rule.label} → {name}; {name} {why} → team queue.", rule_id=rule.id
        )
    return Route(rep=rep, reason=f"{rule.label} → {name}.", rule_id=rule.id)


def _round_robin(rule: CompiledRule, *, now: datetime) -> Route:
    with transaction.atomic():
        # The rule's row lock is the rotation's turnstile until the caller commits.
        clock = (
            RoutingRule.objects.select_for_update()
            .filter(pk=rule.id)
            .values_list("clock", flat=True)
            .first()
        )
        members = list(
            RoutingMember.objects.filter(rule_id=rule.id)
            .select_related("user")
            .order_by("position", "id")
        )
        if clock is None or not members:
            return Route(rep=None, reason=f"{rule.label} → nobody to rotate → team queue.")
        reasons = unavailable_reasons([member.user for member in members], now=now)
        seats = [
            Seat(
                user_id=member.user_id,
                name=person(member.user),
                weight=member.weight,
                turn=member.turn,
                position=index,
                unavailable=reasons[member.user_id],
            )
            for index, member in enumerate(members)
        ]
        result = engine.pick(seats, clock=clock)
        reason = engine.round_robin_reason(rule, seats, result)
        if result.chosen is None:
            return Route(rep=None, reason=reason, rule_id=rule.id)
        chosen = next(member for member in members if member.user_id == result.chosen.user_id)
        RoutingMember.objects.filter(pk=chosen.pk).update(
            turn=result.new_turn, assigned=chosen.assigned + 1
        )
        RoutingRule.objects.filter(pk=rule.id).update(clock=result.clock)
    return Route(rep=chosen.user, reason=reason, rule_id=rule.id)


# Dry run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunRow:
    lead: Lead
    rep: Any  # a user, or None for the team queue
    reason: str
    rule_id: int | None
    went_to: Any
    went_reason: str

    @property
    def changed(self) -> bool:
        return getattr(self.rep, "pk", None) != getattr(self.went_to, "pk", None)


def latest_mqls(count: int = 50) -> list[Lead]:
    """The leads of the latest ``count`` handoffs, newest first (each lead once)."""
    handoffs = (
        Handoff.objects.select_related("lead", "lead__campaign", "routed_to", "claimed_by")
        .order_by("-created_at", "-id")
        .values_list("lead_id", flat=True)[: count * 2]
    )
    ids = list(dict.fromkeys(handoffs))[:count]
    by_id = Lead.objects.select_related("campaign").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def dry_run(
    leads: Sequence[Lead],
    *,
    rules: Sequence[CompiledRule] | None = None,
    now: datetime | None = None,
) -> list[DryRunRow]:
    """Where each lead would go under ``rules`` (the saved ones by default), in order, as
    if they arrived one after another now, next to where its latest handoff went. Changes
    nothing: round-robin turns and loads move in memory only."""
    now = now or timezone.now()
    rules = compiled_rules() if rules is None else list(rules)
    member_ids = {m.user_id for rule in rules for m in rule.members}
    member_ids |= {rule.rep_id for rule in rules if rule.rep_id}
    users = get_user_model().objects.in_bulk(list(member_ids))
    reasons = unavailable_reasons(list(users.values()), now=now)
    capacity: dict[int, int] = {
        row.user_id: row.capacity or 0
        for row in RepAvailability.objects.filter(user_id__in=member_ids, capacity__isnull=False)
    }
    in_play = loads(list(capacity))
    stored = {
        (member.rule_id, member.user_id): member.turn
        for member in RoutingMember.objects.filter(rule_id__in=[rule.id for rule in rules])
    }
    rule_ids = [rule.id for rule in rules]
    clocks = dict(RoutingRule.objects.filter(pk__in=rule_ids).values_list("id", "clock"))
    turns: dict[tuple[int, int], float] = {}
    latest = _latest_handoffs([lead.pk for lead in leads])
    rows = []
    for lead in leads:
        rule = engine.first_match(rules, lead_facts(lead))
        rep, reason = None, NO_MATCH
        if rule is not None:
            rep, reason = _simulate(
                rule, users, reasons, capacity, in_play, stored, clocks, turns, now=now
            )
            if rep is not None and rep.pk in capacity:
                in_play[rep.pk] += 1
                if in_play[rep.pk] >= capacity[rep.pk]:
                    reasons[rep.pk] = f"is at capacity ({in_play[rep.pk]} of {capacity[rep.pk]})"
        handoff = latest.get(lead.pk)
        rows.append(
            DryRunRow(
                lead=lead,
                rep=rep,
                reason=reason,
                rule_id=rule.id if rule else None,
                went_to=handoff.routed_to if handoff else None,
                went_reason=handoff.routing_reason if handoff else "",
            )
        )
    return rows


def _simulate(rule, users, reasons, capacity, in_play, stored, clocks, turns, *, now):
    if rule.action == RoutingRule.Action.TEAM_QUEUE:
        return None, f"{rule.label} → team queue."
    if rule.action == RoutingRule.Action.REP:
        rep = users.get(rule.rep_id)
        if rep is None:
            return None, f"{rule.label} → a rep who is gone → team queue."
        name, why = person(rep), reasons.get(rep.pk, "")
        if why:
            return None, f"{rule.label} → {name}; {name} {why} → team queue."
        return rep, f"{rule.label} → {name}."
    # Rules not saved yet all have id 0: their place in the list keeps their rotations apart.
    key = rule.id or -rule.number
    clock = turns.get((key, 0), clocks.get(rule.id, 0.0))
    seats = [
        Seat(
            user_id=member.user_id,
            name=person(users[member.user_id]) if member.user_id in users else "?",
            weight=member.weight,
            turn=turns.get((key, member.user_id), stored.get((rule.id, member.user_id), clock)),
            position=index,
            unavailable=reasons.get(member.user_id, "is gone"),
        )
        for index, member in enumerate(rule.members)
    ]
    if not seats:
        return None, f"{rule.label} → nobody to rotate → team queue."
    result = engine.pick(seats, clock=clock)
    reason = engine.round_robin_reason(rule, seats, result)
    if result.chosen is None:
        return None, reason
    turns[(key, result.chosen.user_id)] = result.new_turn
    turns[(key, 0)] = result.clock
    return users[result.chosen.user_id], reason


def _latest_handoffs(lead_ids: Sequence[int]) -> dict[int, Handoff]:
    latest: dict[int, Handoff] = {}
    for handoff in (
        Handoff.objects.filter(lead_id__in=lead_ids)
        .select_related("routed_to", "claimed_by")
        .order_by("created_at", "id")
    ):
        latest[handoff.lead_id] = handoff
    return latest


# Writing the rules -----------------------------------------------------------------------


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


def compile_draft(
    *,
    name: str,
    conditions: list[dict],
    action: str,
    rep: Any = None,
    members: Sequence[Mapping[str, Any]] = (),
    rule_id: int = 0,
) -> CompiledRule:
    """A rule as edited but not saved, for the dry run."""
    return CompiledRule(
        id=rule_id,
        number=0,
        name=name,
        action=action,
        conditions=tuple(Condition(**condition) for condition in conditions),
        rep_id=rep.pk if rep is not None else None,
        members=tuple(Member(user_id=m["user"].pk, weight=m.get("weight", 1)) for m in members),
    )


def rules_with(
    draft: CompiledRule, *, position: int | None = None, active: bool = True
) -> list[CompiledRule]:
    """The saved active rules with ``draft`` in place of the rule it edits (or added at
    ``position``, 1 being first, else last; left out when not ``active``), numbered as
    the list will show them once saved (switched-off rules keep their places)."""
    saved = {rule.id: rule for rule in compiled_rules()}
    order = list(RoutingRule.objects.order_by("position", "pk").values_list("pk", flat=True))
    slots: list[int | None] = [pk for pk in order if not draft.id or pk != draft.id]
    if position is not None:
        index = max(0, min(position - 1, len(slots)))
    elif draft.id and draft.id in order:
        index = order.index(draft.id)
    else:
        index = len(slots)
    slots.insert(index, None)  # the draft's place
    ordered = []
    for number, pk in enumerate(slots, start=1):
        rule = (draft if active else None) if pk is None else saved.get(pk)
        if rule is not None:
            ordered.append(replace(rule, number=number))
    return ordered


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


# Availability ----------------------------------------------------------------------------


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


#: ``set_availability(capacity=UNCHANGED)`` keeps the capacity a manager set: a rep
#: setting their time away does not have to repeat it.
UNCHANGED = _Unchanged.UNCHANGED


def availability_of(user) -> RepAvailability:
    return RepAvailability.objects.filter(user=user).first() or RepAvailability(user=user)


def set_availability(
    user,
    *,
    by,
    capacity: int | None | Literal[_Unchanged.UNCHANGED] = UNCHANGED,
    away_from: datetime | None = None,
    away_until: datetime | None = None,
) -> RepAvailability:
    """A rep sets their own time away; a manager sets anyone's, and capacities."""
    if not has_role(user, SALES):
        raise ValidationError({"user": [f"{person(user)} is not a sales rep."]})
    is_manager = has_role(by, MANAGER)
    if not is_manager and by.pk != user.pk:
        raise PermissionDenied("Only a manager can change another rep's availability.")
    if away_from and away_until and away_until <= away_from:
        raise ValidationError({"away_until": ["The end of the time away must be after its start."]})
    with transaction.atomic():
        # The capacity is compared with the locked row: a manager changing it at the same
        # moment is not undone by the rep's write of the value they read before.
        row = RepAvailability.objects.select_for_update().filter(user=user).first()
        current = row.capacity if row is not None else None
        if capacity is UNCHANGED:
            capacity = current
        if not is_manager and capacity != current:
            raise PermissionDenied("Only a manager sets a rep's capacity.")
        if row is None:
            row, _ = RepAvailability.objects.select_for_update().get_or_create(user=user)
        row.capacity, row.away_from, row.away_until = capacity, away_from, away_until
        row.updated_by = by
        row.save()
    return row
