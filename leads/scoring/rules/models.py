"""Scoring rule-set versions, their rules, the score history and the rescore chunks.

These models belong to the ``leads`` app (``leads.models`` imports them).
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from alignment.models import Job
from leads.models import Lead, TouchpointKind


class ScoringRuleSet(models.Model):
    """One version of the scoring rules.

    A version is born a ``draft`` (empty, or a copy of another version: ``based_on``),
    is edited only while it is a draft, and is activated once: activation retires the
    version in force, so exactly one is ``active`` at a time and a rule in force is never
    edited in place. Who made it, who last edited it and who activated it, and when, are
    kept on the row; what changed is the difference to ``based_on`` plus the ``note``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    decay_half_life_days = models.PositiveIntegerField(
        default=30, help_text="Engagement points lose half their value every this many days."
    )
    note = models.TextField(blank=True, help_text="What this version changes, and why.")
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version this one was copied from.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the draft was last edited."
    )
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_ruleset"
            ),
            models.CheckConstraint(
                condition=Q(decay_half_life_days__gt=0), name="ruleset_half_life_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def came_with_tandem(self) -> bool:
        """The first rules, written by a migration: nobody made, copied or activated them."""
        return self.created_by_id is None and self.based_on_id is None and self.activated_at is None

    @property
    def in_force_from(self) -> datetime | None:
        """When this version took effect: its activation, or, for the rules that came with
        Tandem, their creation (they were in force from the start); None for a draft."""
        if self.activated_at is not None:
            return self.activated_at
        if self.came_with_tandem and not self.is_draft:
            return self.created_at
        return None


class ScoringRule(models.Model):
    """One rule: a fit rule tests a lead field; an engagement rule counts a touchpoint kind.

    A fit rule with ``disqualifies`` (a competitor's domain, say) gives a verdict rather
    than points: scoring moves a ``new`` lead it matches to ``disqualified``.
    """

    class Kind(models.TextChoices):
        FIT = "fit", "Fit"
        ENGAGEMENT = "engagement", "Engagement"

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        ONE_OF = "one_of", "is one of"
        CONTAINS = "contains", "contains"
        MATCHES = "matches", "matches (regular expression)"
        BETWEEN = "between", "is between"
        IS_EMPTY = "is_empty", "is empty"

    ruleset = models.ForeignKey(ScoringRuleSet, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200, blank=True, help_text="Shown in the explanation.")
    field = models.CharField(max_length=50, blank=True)
    operator = models.CharField(max_length=10, choices=Operator.choices, blank=True)
    value = models.CharField(
        max_length=500,
        blank=True,
        help_text="one_of: comma-separated; contains: '|' separates alternatives; "
        "between: 'low-high' (either side may be empty).",
    )
    touchpoint_kind = models.CharField(max_length=30, choices=TouchpointKind.choices, blank=True)
    points = models.IntegerField()
    cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most points from this rule."
    )
    disqualifies = models.BooleanField(
        default=False, help_text="A fit rule that disqualifies the lead it matches."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["ruleset", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="fit") & ~Q(field="") & ~Q(operator=""))
                | (Q(kind="engagement") & ~Q(touchpoint_kind="")),
                name="scoring_rule_complete",
            ),
            models.CheckConstraint(
                condition=Q(disqualifies=False) | Q(kind="fit"),
                name="scoring_rule_disqualifies_is_fit",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.kind} rule {self.pk}"


class ScoreChange(models.Model):
    """One change of a lead's score: the new score, its parts, the rules and the time.

    A row is written whenever scoring changes a lead's score, fit or engagement (by
    ``leads.services.score_lead``: ``source="lead"``; by a batch rescore:
    ``source="rescore"``), never for a rescore that changes nothing, so a lead's score at
    any moment is the last row at or before it (no row: the lead still had its initial 0).
    Reading it for many leads at once (the calibration report: "what was the score when
    the lead was handed off?") uses the ``(lead, scored_at)`` index. ``ruleset`` is the
    version that computed the score.

    A batch rescore writes a row for nearly every lead, so the table carries no index
    beyond that one: the foreign keys are not indexed on their own (the composite index
    serves the lead's; versions are not deleted).
    """

    class Source(models.TextChoices):
        LEAD = "lead", "Lead scored"
        RESCORE = "rescore", "Batch rescore"

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="score_changes", db_index=False
    )
    ruleset = models.ForeignKey(
        ScoringRuleSet,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    score = models.IntegerField()
    fit_score = models.IntegerField()
    engagement_score = models.IntegerField()
    previous_score = models.IntegerField()
    source = models.CharField(max_length=10, choices=Source.choices)
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["scored_at", "id"]
        indexes = [
            models.Index(fields=["lead", "scored_at"], name="score_change_lead_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.previous_score} → {self.score}"


class RescoreChunk(models.Model):
    """A slice of the leads (by id range) that one batch rescore has to score.

    A rescore plans its chunks up front; a worker claims a pending chunk by locking its row
    (``SELECT ... FOR UPDATE SKIP LOCKED``), scores its leads and marks it ``done`` in the
    same transaction. Several workers therefore never take one chunk, and a worker that
    dies leaves its chunk pending (the transaction rolls back) for the next one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    first_lead_id = models.PositiveBigIntegerField()
    last_lead_id = models.PositiveBigIntegerField()
    leads = models.PositiveIntegerField(help_text="Leads in the range when it was planned.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    scored = models.PositiveIntegerField(default=0, help_text="Leads scored by the batch.")
    changed = models.PositiveIntegerField(default=0, help_text="Leads whose score changed.")
    moved = models.PositiveIntegerField(
        default=0, help_text="Leads that crossed the MQL definition or a disqualifying rule."
    )
    done_by = models.CharField(max_length=100, blank=True, help_text="The worker that did it.")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "first_lead_id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "first_lead_id"], name="rescore_chunk_once"),
            models.CheckConstraint(
                condition=Q(first_lead_id__lte=models.F("last_lead_id")),
                name="rescore_chunk_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["job", "first_lead_id"],
                condition=Q(status="pending"),
                name="rescore_chunk_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id}: leads {self.first_lead_id}–{self.last_lead_id}"
