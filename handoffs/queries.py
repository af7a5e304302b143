"""Reads for handoffs: the claim queue, a rep's leads, and the lead timeline."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from handoffs.models import Activity, Handoff, HandoffStep
from leads.models import (
    Comment,
    Lead,
    LeadFieldConflict,
    LeadMerge,
    StageChange,
    Touchpoint,
    TouchpointKind,
)
from leads.services import is_manual_override


def handoff_list() -> QuerySet[Handoff]:
    """Handoffs with everything a list row shows, in a fixed number of queries."""
    return Handoff.objects.select_related("lead", "lead__campaign", "routed_to", "claimed_by")


def claim_queue(rep=None, *, now: datetime | None = None) -> QuerySet[Handoff]:
    """Open handoffs in the team queue, routed to ``rep``, or offered to another rep whose
    claim clock ran out; most urgent first. Without ``rep``: every open handoff."""
    queryset = handoff_list().filter(status=Handoff.Status.OPEN)
    if rep is not None:
        now = now or timezone.now()
        queryset = queryset.filter(
            Q(routed_to__isnull=True) | Q(routed_to=rep) | Q(claim_due_at__lte=now)
        )
    return queryset.order_by("claim_due_at", "id")


def speed_to_lead(handoff: Handoff) -> dict[str, float | None]:
    """Seconds each step took, MQL → routed → notified → claimed → first contact; None for
    a step not reached (a lead claimed before its notice went out counts from routing)."""

    def seconds(start: datetime | None, end: datetime | None) -> float | None:
        if start is None or end is None:
            return None
        return max(0.0, (end - start).total_seconds())

    notified = handoff.notified_at
    if notified is not None and handoff.claimed_at is not None and notified > handoff.claimed_at:
        notified = None
    return {
        "mql_to_routed": seconds(handoff.created_at, handoff.routed_at),
        "routed_to_notified": seconds(handoff.routed_at, notified),
        "notified_to_claimed": seconds(notified or handoff.routed_at, handoff.claimed_at),
        "claimed_to_first_contact": seconds(handoff.claimed_at, handoff.first_contact_at),
    }


def leads_of(rep) -> QuerySet[Lead]:
    return (
        Lead.objects.filter(owner=rep)
        .select_related("campaign", "owner")
        .order_by("-updated_at", "-id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # touchpoint | stage_change | handoff | activity
    title: str
    detail: str = ""
    actor: str = ""
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "title": self.title,
            "detail": self.detail,
            "actor": self.actor,
            "data": self.data or {},
        }


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def lead_timeline(lead: Lead) -> list[TimelineEntry]:
    """Everything that happened to a lead, newest first, in a fixed number of queries:
    marketing's touchpoints, the stage history, the handoff and its escalation steps,
    sales' activities and both teams' comments."""
    entries: list[TimelineEntry] = []
    for touchpoint in Touchpoint.objects.filter(lead=lead).select_related("campaign"):
        entries.append(
            TimelineEntry(
                at=touchpoint.occurred_at,
                kind="touchpoint",
                title=touchpoint.get_kind_display(),
                detail=" · ".join(
                    part
                    for part in (
                        touchpoint.campaign.name if touchpoint.campaign else "",
                        touchpoint.note,
                        f"Consented: {touchpoint.consent_text}" if touchpoint.consent_text else "",
                    )
                    if part
                ),
                data={
                    "touchpoint_kind": touchpoint.kind,
                    "url": touchpoint.url,
                    "referrer": touchpoint.referrer,
                    "note": touchpoint.note,
                    "consent_text": touchpoint.consent_text,
                },
            )
        )
    for change in StageChange.objects.filter(lead=lead).select_related("changed_by"):
        override = is_manual_override(change)
        move = f"{change.get_from_stage_display()} → {change.get_to_stage_display()}"
        entries.append(
            TimelineEntry(
                at=change.changed_at,
                kind="stage_change",
                title=f"Manual override: {move}" if override else move,
                detail=change.reason,
                actor=_name(change.changed_by) or ("Scoring" if change.automatic else ""),
                data={
                    "from": change.from_stage,
                    "to": change.to_stage,
                    "amount": str(change.amount) if change.amount is not None else None,
                    "automatic": change.automatic,
                    "override": override,
                },
            )
        )
    steps: dict[int, list[HandoffStep]] = {}
    for step in HandoffStep.objects.filter(handoff__lead=lead).select_related("actor", "previous"):
        steps.setdefault(step.handoff_id, []).append(step)
    for handoff in Handoff.objects.filter(lead=lead).select_related(
        "claimed_by", "rejected_by", "routed_to"
    ):
        entries.extend(_handoff_entries(handoff, steps.get(handoff.pk, [])))
    for comment in (
        Comment.objects.filter(lead=lead).select_related("author").prefetch_related("mentions")
    ):
        entries.append(
            TimelineEntry(
                at=comment.created_at,
                kind="comment",
                title="Comment",
                detail=comment.body,
                actor=_name(comment.author),
                data={
                    "comment": comment.pk,
                    "mentions": [user.username for user in comment.mentions.all()],
                },
            )
        )
    for activity in Activity.objects.filter(lead=lead).select_related("rep"):
        entries.append(
            TimelineEntry(
                at=activity.occurred_at,
                kind="activity",
                title=activity.get_kind_display(),
                detail=" · ".join(
                    part for part in (activity.get_outcome_display(), activity.note) if part
                ),
                actor=_name(activity.rep),
                data={"activity_kind": activity.kind, "outcome": activity.outcome},
            )
        )
    entries.extend(_conflict_entry(conflict) for conflict in lead.field_conflicts.all())
    entries.extend(_merge_entry(merge) for merge in lead.merges.select_related("merged_by"))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _conflict_entry(conflict: LeadFieldConflict) -> TimelineEntry:
    """A capture offered another value for a filled field: the lead kept its own."""
    label = _field_label(conflict.field).capitalize()
    source = (
        TouchpointKind(conflict.source).label
        if conflict.source in TouchpointKind.values
        else "a merged lead"
    )
    return TimelineEntry(
        at=conflict.created_at,
        kind="field_conflict",
        title=f"{label} kept: {conflict.kept_value}",
        detail=f"Not overwritten by “{conflict.offered_value}” ({source})",
        data={
            "field": conflict.field,
            "kept": conflict.kept_value,
            "offered": conflict.offered_value,
            "source": conflict.source,
        },
    )


def _merge_entry(merge: LeadMerge) -> TimelineEntry:
    """A duplicate folded into this lead, with what it brought."""
    moved = ", ".join(
        f"{count} {_kind_label(kind, count)}" for kind, count in merge.moved.items() if count
    )
    took = ", ".join(_field_label(name) for name in merge.filled if name != "campaign")
    return TimelineEntry(
        at=merge.merged_at,
        kind="merge",
        title=f"Merged with {merge.merged_email}",
        detail=" · ".join(
            part
            for part in (f"Took {took}" if took else "", f"Moved {moved}" if moved else "")
            if part
        ),
        actor=_name(merge.merged_by),
        data={
            "merged_lead": merge.merged_lead_id,
            "merged_email": merge.merged_email,
            "filled": merge.filled,
            "moved": merge.moved,
        },
    )


def _field_label(name: str) -> str:
    """A lead field's name as people read it ("company size")."""
    return str(getattr(Lead._meta.get_field(name), "verbose_name", name))


def _kind_label(kind: str, count: int) -> str:
    """``stage_changes`` → "stage changes", or "stage change" for one."""
    label = kind.replace("_", " ")
    if count != 1:
        return label
    return label[:-3] + "y" if label.endswith("ies") else label.removesuffix("s")


def _handoff_entries(handoff: Handoff, steps: list[HandoffStep]) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=handoff.created_at,
            kind="handoff",
            title="Handed off to sales"
            + (f": routed to {_name(handoff.routed_to)}" if handoff.routed_to_id else ""),
            detail=handoff.routing_reason,
            data={"handoff": handoff.pk, "event": "opened", "segment": handoff.sla_segment},
        )
    ]
    if handoff.claimed_at:
        entries.append(
            TimelineEntry(
                at=handoff.claimed_at,
                kind="handoff",
                title="Claimed",
                actor=_name(_claimer(handoff, steps)),
                data={"handoff": handoff.pk, "event": "claimed"},
            )
        )
    for step in steps:
        entries.append(
            TimelineEntry(
                at=step.at,
                kind="handoff",
                title=_step_title(step),
                detail=step.detail,
                actor=_name(step.actor),
                data={"handoff": handoff.pk, "event": step.kind, "clock": step.clock},
            )
        )
    if handoff.rejected_at:
        entries.append(
            TimelineEntry(
                at=handoff.rejected_at,
                kind="handoff",
                title=f"Rejected: {handoff.get_rejection_reason_display()}",
                detail=handoff.rejection_note,
                actor=_name(handoff.rejected_by),
                data={"handoff": handoff.pk, "event": "rejected"},
            )
        )
    return entries


def _claimer(handoff: Handoff, steps: list[HandoffStep]):
    """Who claimed the handoff: its holder now, unless a manager reassigned the claim since
    (the first such step knows who had it)."""
    for step in steps:
        if (
            step.kind == HandoffStep.Kind.REASSIGNED
            and handoff.claimed_at is not None
            and step.at >= handoff.claimed_at
            and step.previous_id is not None
        ):
            return step.previous
    return handoff.claimed_by


def _step_title(step: HandoffStep) -> str:
    clock = "first contact" if step.clock == HandoffStep.Clock.FIRST_CONTACT else "claim"
    if step.kind == HandoffStep.Kind.WARNED:
        return f"SLA warning: {clock} due soon"
    if step.kind == HandoffStep.Kind.ESCALATED:
        return f"Escalated: {clock} SLA missed"
    if step.kind == HandoffStep.Kind.REQUEUED:
        return "Back to the team queue"
    if step.kind == HandoffStep.Kind.REASSIGNED:
        return "Reassigned"
    return "Withdrawn by marketing"
