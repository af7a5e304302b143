"""Deciding where a new MQL goes: the active rules (compiled, and kept per process until
one changes), the first that matches, and its rep or its round robin's turn.

``route`` is called by ``open_handoff`` inside the transaction of the stage change. A
round-robin decision locks its rule's row (``SELECT ... FOR UPDATE``) until that
transaction commits, so two MQLs routed at the same moment by two workers take turns:
the second sees the first one's turn taken and its lead counted against capacity.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from alignment.notifications import person
from handoffs.routing import engine
from handoffs.routing.engine import CompiledRule, Condition, Member, Seat
from handoffs.routing.models import RoutingMember, RoutingRule
from handoffs.routing.services.availability import unavailable_reasons
from leads.models import Lead

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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
