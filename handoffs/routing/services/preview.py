"""The dry run: where leads would go under the saved rules or a draft, next to where
they went. Nothing is written."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from alignment.notifications import person
from handoffs.models import Handoff
from handoffs.routing import engine
from handoffs.routing.engine import CompiledRule, Condition, Member, Seat
from handoffs.routing.models import RepAvailability, RoutingMember, RoutingRule
from handoffs.routing.services.availability import loads, unavailable_reasons
from handoffs.routing.services.decisions import NO_MATCH, compiled_rules, lead_facts
from leads.models import Lead


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
