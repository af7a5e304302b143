"""Where the two teams meet: the alignment agreement, notifications and the event log."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class AgreementVersion(models.Model):
    """One version of the contract between marketing and sales.

    A version takes effect when a marketing manager and a sales manager have both
    approved it (``approve_agreement``); at most one version is in force at a time, and
    compliance is measured against the version that was in force when a handoff opened.
    Each side's approval is who (``<side>_approved_by``) and when (``<side>_approved_at``):
    two sides, each signed once, so two columns each rather than a table of approvals.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_FORCE = "in_force", "In force"
        SUPERSEDED = "superseded", "Superseded"

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    mql_threshold = models.PositiveIntegerField(help_text="Score at which a lead is an MQL.")
    mql_required_fields = models.JSONField(
        default=list, blank=True, help_text="Lead fields that must be filled for an MQL."
    )
    mql_requires_consent = models.BooleanField(default=False)
    claim_sla_minutes = models.PositiveIntegerField(help_text="Time sales has to claim an MQL.")
    first_contact_sla_minutes = models.PositiveIntegerField(
        help_text="Time from claim to the first activity."
    )
    recycle_cooloff_days = models.PositiveIntegerField(default=30)
    sla_segments = models.JSONField(
        default=list,
        blank=True,
        help_text="Faster (or slower) SLA targets for leads from a score up: "
        '[{"name", "min_score", "claim_minutes", "first_contact_minutes"}], highest first.',
    )
    responsibilities = models.JSONField(
        default=dict,
        blank=True,
        help_text="Stage → {responsible, accountable, consulted, informed}.",
    )
    rejection_reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="The reason codes sales may give when it sends a lead back to marketing "
        "(codes of the handoffs' rejection reasons).",
    )
    definitions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version this one was proposed from.",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marketing_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marketing_approved_at = models.DateTimeField(null=True, blank=True)
    sales_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sales_approved_at = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="in_force"),
                name="one_agreement_in_force",
            ),
            models.CheckConstraint(
                condition=Q(claim_sla_minutes__gt=0) & Q(first_contact_sla_minutes__gt=0),
                name="agreement_sla_positive",
            ),
            # One person holding both roles signs for one side only: two people agree.
            models.CheckConstraint(
                condition=~Q(marketing_approved_by=F("sales_approved_by")),
                name="agreement_sides_signed_by_two_people",
            ),
            # Who approved may be forgotten (a deleted user), when it happened may not.
            models.CheckConstraint(
                condition=Q(marketing_approved_by__isnull=True)
                | Q(marketing_approved_at__isnull=False),
                name="agreement_marketing_approval_dated",
            ),
            models.CheckConstraint(
                condition=Q(sales_approved_by__isnull=True) | Q(sales_approved_at__isnull=False),
                name="agreement_sales_approval_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number} ({self.get_status_display()})"

    @property
    def came_with_tandem(self) -> bool:
        """The first version, written by a migration: nobody proposed it."""
        return self.proposed_by_id is None and self.based_on_id is None

    def approved_by(self, side: str):
        """Who approved this version for ``side`` (``marketing`` or ``sales``), if anyone."""
        return getattr(self, f"{side}_approved_by")

    def approved_at(self, side: str):
        return getattr(self, f"{side}_approved_at")

    def sla_for(self, score: int) -> "SlaTargets":
        """The claim and first-contact targets for a lead with ``score``: the first segment
        (highest ``min_score`` first) the score reaches, else the agreement's defaults."""
        for segment in sorted(self.sla_segments or [], key=lambda row: -row["min_score"]):
            if score >= segment["min_score"]:
                return SlaTargets(
                    segment=segment.get("name") or f"Score {segment['min_score']}+",
                    claim_minutes=segment["claim_minutes"],
                    first_contact_minutes=segment["first_contact_minutes"],
                )
        return SlaTargets(
            segment="",
            claim_minutes=self.claim_sla_minutes,
            first_contact_minutes=self.first_contact_sla_minutes,
        )


@dataclass(frozen=True)
class SlaTargets:
    """Minutes of working time sales has to claim a lead and to contact it, and the name of
    the agreement's segment they come from (empty: the agreement's defaults)."""

    segment: str
    claim_minutes: int
    first_contact_minutes: int


class TeamCalendar(models.Model):
    """The team's business hours: SLA minutes count only inside them.

    One row (``pk=1``), read through ``alignment.services.team_calendar``. ``days`` maps
    ``mon``…``sun`` to ``["09:00", "17:00"]`` (absent or empty: closed; ``"24:00"`` closes
    at midnight); ``holidays`` lists closed dates as ``YYYY-MM-DD``.
    """

    time_zone = models.CharField(max_length=64, default="UTC")
    days = models.JSONField(default=dict)
    holidays = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_team_calendar")]

    def __str__(self) -> str:
        return f"Business hours ({self.time_zone})"


class Preferences(models.Model):
    """One user's own settings: the time zone messages are written in, and the channels
    each kind of notification reaches them by (``{kind: ["in_app", "email"]}``; a kind
    not listed gets its default, ``alignment.notifications.KINDS``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Empty: the team calendar's time zone."
    )
    channels = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class Notification(models.Model):
    """A message to one user: it is the in-app inbox row and the outbox row for its email.

    Written in the transaction of the change it reports, with the channels its recipient
    chose for its kind: ``in_app`` rows are the inbox; ``delivery`` says whether an email
    goes now (``alignment.tasks.deliver_notification`` after commit, a beat task re-sending
    rows still pending, so nothing is lost when the broker is down), in the daily digest,
    or not at all (the row is then born ``sent``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Delivery(models.TextChoices):
        EMAIL = "email", "Email now"
        DIGEST = "digest", "Daily digest email"
        NONE = "none", "No email"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    subject = models.CharField(
        max_length=80, blank=True, help_text="What it is about, such as handoff:42."
    )
    in_app = models.BooleanField(default=True, help_text="Shown in the inbox.")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status="pending"),
                name="notification_pending",
            ),
            models.Index(fields=["subject"], condition=~Q(subject=""), name="notification_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Event(models.Model):
    """One domain event, as published inside the transaction that caused it.

    The event names are the webhook event names of the API contract; this table is the
    stream that outgoing webhooks are delivered from.
    """

    name = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    subject = models.CharField(max_length=80, blank=True, help_text="e.g. lead:42")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["name", "created_at"], name="event_name_time"),
            models.Index(fields=["subject"], name="event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.subject}"


class Job(models.Model):
    """The progress of one long task (an import, a batch rescore, an export).

    The task owns the row: it moves ``status`` forward with conditional updates through
    ``alignment.jobs`` and bumps ``done`` after each committed chunk, so ``done`` never
    counts work that could still roll back. ``updated_at`` doubles as a heartbeat: a
    running job that stopped moving is one whose worker died.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40, help_text="What the job does: import, rescore…")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0, help_text="Units of work finished.")
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Units of work in all; empty while unknown."
    )
    result = models.JSONField(default=dict, blank=True, help_text="The outcome, when done.")
    error = models.TextField(blank=True, help_text="Why it failed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="job_creator_time"),
            models.Index(
                fields=["kind", "updated_at"],
                condition=Q(status__in=["queued", "running"]),
                name="job_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        """How far along, 0–100; a finished job is at 100 whatever its counts say."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


class IdempotencyKey(models.Model):
    """The first answer to an API POST sent with an ``Idempotency-Key`` header.

    Keys are per user. The row is written in the transaction of the request it guards, so
    a second request with the same key waits on the unique constraint until the first
    commits, then replays the stored answer instead of writing again. Rows older than
    ``alignment.idempotency.KEY_LIFETIME`` are expired and purged by a beat task.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body of the first request."
    )
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"


from alignment.models_tokens import ApiToken  # noqa: E402, F401
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
