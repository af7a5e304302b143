"""The manual merge of two leads into one.

Capture dedupes by email; the same person under two addresses becomes two leads. The
lead page lists *possible* duplicates (``leads.queries.possible_duplicates``) and a
marketer or manager may merge one into the other: ``plan_merge`` says what would happen
(the preview), ``merge_leads`` does it.

A merge keeps the history of both: the duplicate's touchpoints, stage history, score
history, handoffs, activities, kept offers and earlier merges move to the survivor, the
survivor's empty fields take the duplicate's values, a value both hold differently is
kept as a ``LeadFieldConflict``, and the merge is recorded (``LeadMerge``, shown on the
timeline, and the ``lead.merged`` event) before the duplicate's row is deleted. Its
email keeps pointing at the survivor, so a later capture of it lands there.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from alignment import events
from alignment.roles import MANAGER, MARKETING, has_role
from leads.capture import PROFILE_FIELDS, UTM_FIELDS, request_scoring
from leads.models import Lead, LeadFieldConflict, LeadMerge, Stage

#: How far a lead is in sales' hands. A merge keeps the survivor's stage and owner, so a
#: lead sales is working (or has in its queue) never merges into one that is further back.
SALES_REACH: dict[str, int] = {
    Stage.NEW: 0,
    Stage.RECYCLED: 0,
    Stage.DISQUALIFIED: 0,
    Stage.MQL: 1,
    Stage.SAL: 2,
    Stage.SQL: 2,
    Stage.WON: 2,
    Stage.LOST: 2,
}
FILLED, KEPT, CONFLICT, SAME, EMPTY = "filled", "kept", "conflict", "same", "empty"


def survivor_first(one: Lead, other: Lead) -> tuple[Lead, Lead]:
    """The suggested order: the lead further in sales' hands survives, else the older."""

    def key(lead: Lead) -> tuple[int, datetime, int]:
        return (-SALES_REACH.get(lead.stage, 0), lead.created_at, lead.pk)

    first, second = sorted((one, other), key=key)
    return first, second


@dataclass
class FieldPlan:
    name: str
    label: str
    survivor_value: Any
    duplicate_value: Any
    outcome: str  # filled | kept | conflict | same | empty

    @property
    def result(self) -> Any:
        return self.duplicate_value if self.outcome == FILLED else self.survivor_value


@dataclass
class MergePlan:
    """What ``merge_leads`` would do, for the preview and for the merge itself."""

    survivor: Lead
    duplicate: Lead
    fields: list[FieldPlan]
    campaign_id: int | None
    campaign_from_duplicate: bool
    owner_from_duplicate: bool
    consent: bool
    consent_at: datetime | None
    created_at: datetime
    moved: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    refusal: str = ""

    @property
    def filled(self) -> dict[str, Any]:
        return {f.name: f.duplicate_value for f in self.fields if f.outcome == FILLED}

    @property
    def conflicts(self) -> list[FieldPlan]:
        return [f for f in self.fields if f.outcome == CONFLICT]


def _same(one: Any, other: Any) -> bool:
    if isinstance(one, str) and isinstance(other, str):
        return one.casefold() == other.casefold()
    return one == other


def _field_plan(name: str, survivor: Any, duplicate: Any) -> FieldPlan:
    label = str(getattr(Lead._meta.get_field(name), "verbose_name", name)).capitalize()
    if duplicate in (None, ""):
        outcome = EMPTY if survivor in (None, "") else KEPT
    elif survivor in (None, ""):
        outcome = FILLED
    elif _same(survivor, duplicate):
        outcome = SAME
    else:
        # First-touch UTM codes differ as a rule; only the profile has real conflicts.
        outcome = CONFLICT if name in PROFILE_FIELDS else KEPT
    return FieldPlan(name, label, survivor, duplicate, outcome)


def _relations() -> list[models.ForeignObjectRel]:
    """Every table that points at a lead: its rows move with a merge, whatever app."""
    return [
        relation
        for relation in Lead._meta.related_objects
        if relation.one_to_many and relation.get_accessor_name()
    ]


def _moved_counts(duplicate: Lead) -> dict[str, int]:
    return {
        str(relation.get_accessor_name()): relation.related_model._base_manager.filter(
            **{relation.field.name: duplicate}
        ).count()
        for relation in _relations()
    }


def plan_merge(survivor: Lead, duplicate: Lead) -> MergePlan:
    """What merging ``duplicate`` into ``survivor`` would keep, fill and move."""
    fields = [
        _field_plan(name, getattr(survivor, name), getattr(duplicate, name))
        for name in (*PROFILE_FIELDS, *UTM_FIELDS)
    ]
    earlier = duplicate.created_at < survivor.created_at
    from_duplicate = duplicate.campaign_id is not None and (survivor.campaign_id is None or earlier)
    consents = [lead for lead in (survivor, duplicate) if lead.consent]
    plan = MergePlan(
        survivor=survivor,
        duplicate=duplicate,
        fields=fields,
        campaign_id=duplicate.campaign_id if from_duplicate else survivor.campaign_id,
        campaign_from_duplicate=from_duplicate,
        owner_from_duplicate=survivor.owner_id is None and duplicate.owner_id is not None,
        consent=bool(consents),
        consent_at=min(
            (lead.consent_at for lead in consents if lead.consent_at is not None), default=None
        ),
        created_at=min(survivor.created_at, duplicate.created_at),
        moved=_moved_counts(duplicate),
    )
    if survivor.pk == duplicate.pk:
        plan.refusal = "A lead cannot be merged into itself."
    elif SALES_REACH.get(duplicate.stage, 0) > SALES_REACH.get(survivor.stage, 0):
        plan.refusal = (
            f"Keep {duplicate.email} instead: it is further along "
            f"({Stage(duplicate.stage).label}), and a merge keeps the surviving lead's stage."
        )
    if plan.moved.get("handoffs") and survivor.stage in (Stage.MQL, Stage.SAL, Stage.SQL):
        plan.warnings.append(
            f"{duplicate.email} has a handoff of its own; if it is still open or claimed "
            "it ends with the merge (an open one is rejected as a duplicate)."
        )
    return plan


def _snapshot(lead: Lead) -> dict[str, Any]:
    return {
        "email": lead.email,
        **{name: getattr(lead, name) for name in (*PROFILE_FIELDS, *UTM_FIELDS)},
        "campaign": lead.campaign_id,
        "owner": lead.owner_id,
        "stage": lead.stage,
        "score": lead.score,
        "consent": lead.consent,
        "created_at": lead.created_at.isoformat(),
    }


def merge_leads(survivor: Lead, duplicate: Lead, *, by) -> LeadMerge:
    """Fold ``duplicate`` into ``survivor`` and delete it; returns the merge record.

    Marketing and managers only (``PermissionDenied`` otherwise); ``ValidationError``
    when the merge is refused (see ``plan_merge``). Both rows are locked first, in email
    order like capture's upserts, so a merge and a capture never deadlock.
    """
    if not has_role(by, MARKETING, MANAGER):
        raise PermissionDenied("Only marketing and managers merge leads.")
    now = timezone.now()
    with transaction.atomic():
        locked = {
            lead.pk: lead
            for lead in Lead.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("email")
        }
        if survivor.pk not in locked or duplicate.pk not in locked:
            raise ValidationError("One of these leads is gone: it may have been merged already.")
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        plan = plan_merge(survivor, duplicate)
        if plan.refusal:
            raise ValidationError(plan.refusal)
        merge = LeadMerge.objects.create(
            lead=survivor,
            merged_lead_id=duplicate.pk,
            merged_email=duplicate.email,
            merged_by=by,
            merged_at=now,
            snapshot=_snapshot(duplicate),
            filled={
                **{name: str(value) for name, value in plan.filled.items()},
                **({"campaign": plan.campaign_id} if plan.campaign_from_duplicate else {}),
            },
            moved=plan.moved,
        )
        # Subscribers settle what would clash once the rows move (a second live handoff).
        events.publish(
            events.LEAD_MERGED,
            subject=f"lead:{survivor.pk}",
            payload={
                "lead": survivor.pk,
                "merged": {"id": duplicate.pk, "email": duplicate.email},
                "filled": merge.filled,
                "conflicts": [conflict.name for conflict in plan.conflicts],
                "moved": plan.moved,
                "by": getattr(by, "username", None),
            },
            survivor=survivor,
            duplicate=duplicate,
            by=by,
        )
        _move_rows(duplicate, survivor)
        LeadFieldConflict.objects.bulk_create(
            [
                LeadFieldConflict(
                    lead=survivor,
                    field=conflict.name,
                    kept_value=str(conflict.survivor_value),
                    offered_value=str(conflict.duplicate_value),
                    source="merge",
                    created_at=now,
                )
                for conflict in plan.conflicts
            ],
            ignore_conflicts=True,
        )
        duplicate.delete()
        _apply(plan, survivor, now)
    return merge


def _move_rows(duplicate: Lead, survivor: Lead) -> None:
    # An offer both leads kept stays once: the survivor's (one row per field and offer).
    kept = set(
        LeadFieldConflict.objects.filter(lead=survivor).values_list("field", "offered_value")
    )
    LeadFieldConflict.objects.filter(
        pk__in=[
            pk
            for pk, name, offered in LeadFieldConflict.objects.filter(lead=duplicate).values_list(
                "pk", "field", "offered_value"
            )
            if (name, offered) in kept
        ]
    ).delete()
    for relation in _relations():
        relation.related_model._base_manager.filter(**{relation.field.name: duplicate}).update(
            **{relation.field.name: survivor}
        )


def _apply(plan: MergePlan, survivor: Lead, now: datetime) -> None:
    """Write the survivor's new values; its score is stale now (it has more touchpoints)."""
    for name, value in plan.filled.items():
        setattr(survivor, name, value)
    if plan.owner_from_duplicate:
        survivor.owner_id = plan.duplicate.owner_id
    survivor.campaign_id = plan.campaign_id
    survivor.consent, survivor.consent_at = plan.consent, plan.consent_at
    survivor.created_at = plan.created_at
    survivor.scored_at = None
    survivor.updated_at = now
    survivor.save(
        update_fields=[
            *plan.filled,
            "owner",
            "campaign",
            "consent",
            "consent_at",
            "created_at",
            "scored_at",
            "updated_at",
        ]
    )
    request_scoring(survivor.pk)
