"""Handoffs from marketing to sales, and what sales did with each lead."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from alignment.models import AgreementVersion
from leads.models import Lead


class RejectionReason(models.TextChoices):
    NOT_A_FIT = "not_a_fit", "Not a fit (wrong company or role)"
    NO_BUDGET = "no_budget", "No budget"
    NO_AUTHORITY = "no_authority", "No authority to buy"
    NO_NEED = "no_need", "No need right now"
    BAD_TIMING = "bad_timing", "Bad timing"
    BAD_CONTACT_DATA = "bad_contact_data", "Bad contact data"
    DUPLICATE = "duplicate", "Duplicate of another lead"
    COMPETITOR = "competitor", "Competitor"
    STUDENT_OR_JOB_SEEKER = "student_or_job_seeker", "Student or job seeker"
    OTHER = "other", "Other"


class Handoff(models.Model):
    """The moment a lead crosses from marketing to sales.

    Holds the brief sales reads, where routing sent it and why, the SLA deadlines taken
    from the agreement in force when it opened, who claimed it and when, the first
    contact, and the rejection reason if sales sent the lead back. A handoff sales
    accepted and worked is ``closed`` when its lead later leaves the funnel (lost, then
    recycled), so the lead can be handed off again without counting as a rejection. One
    that marketing took back before anyone claimed it is ``withdrawn``: sales' acceptance
    rate counts only sales' own decisions.

    Speed to lead is kept in its steps: ``created_at`` (the MQL), ``routed_at``,
    ``notified_at`` (the assignee's notification delivered), ``claimed_at`` and
    ``first_contact_at``. The SLA clocks are working time on the team calendar, from the
    targets of the agreement (and its segment) in force when the handoff opened; each
    escalation step is stamped here once and written to ``steps`` for the timeline.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        REJECTED = "rejected", "Rejected"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    agreement = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    brief = models.JSONField(default=dict)
    note = models.TextField(blank=True, help_text="The marketer's note to sales.")
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routed_handoffs",
        help_text="Empty: the team queue.",
    )
    routing_reason = models.CharField(max_length=500, blank=True)
    routing_rule = models.ForeignKey(
        "RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the assignee's notification was delivered."
    )
    sla_segment = models.CharField(
        max_length=100, blank=True, help_text="The agreement's SLA segment; empty: defaults."
    )
    # PROTECT, not SET_NULL: a claimed handoff must name its claimer (a constraint says
    # so), so a rep who claimed leads is deactivated rather than deleted.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_handoffs",
    )
    created_at = models.DateTimeField()
    claim_due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_contact_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    claim_warning_at = models.DateTimeField(null=True, blank=True)
    claim_warned_at = models.DateTimeField(null=True, blank=True)
    claim_escalated_at = models.DateTimeField(null=True, blank=True)
    requeued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its rep's claim clock ran out: to the team."
    )
    contact_warning_at = models.DateTimeField(null=True, blank=True)
    contact_warned_at = models.DateTimeField(null=True, blank=True)
    contact_escalated_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    rejection_note = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A lead has at most one live handoff; a recycled lead may get a new one later.
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status__in=["open", "claimed"]),
                name="one_live_handoff_per_lead",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(status="claimed") | Q(claimed_by__isnull=False),
                name="claimed_handoff_has_claimer",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="rejected_handoff_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="handoff_status_created"),
            models.Index(fields=["status", "claim_due_at"], name="handoff_status_claim_due"),
            models.Index(fields=["claimed_by", "status"], name="handoff_claimer_status"),
            models.Index(fields=["created_at"], name="handoff_created"),
            models.Index(fields=["routed_to", "status"], name="handoff_routed_status"),
            # The escalation sweep's four questions, each along its own small index.
            models.Index(
                fields=["claim_warning_at"],
                condition=Q(status="open", claim_warned_at__isnull=True),
                name="handoff_claim_warning_due",
            ),
            models.Index(
                fields=["claim_due_at"],
                condition=Q(status="open", claim_escalated_at__isnull=True),
                name="handoff_claim_breach_due",
            ),
            models.Index(
                fields=["contact_warning_at"],
                condition=Q(
                    status="claimed", first_contact_at__isnull=True, contact_warned_at__isnull=True
                ),
                name="handoff_contact_warning_due",
            ),
            models.Index(
                fields=["first_contact_due_at"],
                condition=Q(
                    status="claimed",
                    first_contact_at__isnull=True,
                    contact_escalated_at__isnull=True,
                ),
                name="handoff_contact_breach_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Handoff #{self.pk} for lead {self.lead_id}"

    @property
    def assignee_id(self) -> int | None:
        """Who has the lead now: its claimer, else the rep it is offered to."""
        return self.claimed_by_id or self.routed_to_id


class HandoffStep(models.Model):
    """One thing that happened to a handoff after it opened, for its timeline: an SLA
    warning, a breach escalated to the managers, a lead back to the team queue, a
    reassignment, a withdrawal. Warnings, breaches and returns to the queue happen at
    most once per clock (a constraint says so), however often the sweep runs.
    """

    class Kind(models.TextChoices):
        WARNED = "warned", "SLA warning"
        ESCALATED = "escalated", "Escalated to managers"
        REQUEUED = "requeued", "Back to the team queue"
        REASSIGNED = "reassigned", "Reassigned"
        WITHDRAWN = "withdrawn", "Withdrawn by marketing"

    class Clock(models.TextChoices):
        CLAIM = "claim", "Claim"
        FIRST_CONTACT = "first_contact", "First contact"
        NONE = "", "—"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    clock = models.CharField(max_length=15, choices=Clock.choices, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.CharField(max_length=500, blank=True)
    #: Who held the lead before a reassignment or a return to the queue (their claim or
    #: their offer): the handoff itself only knows who holds it now.
    previous = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["handoff", "kind", "clock"],
                condition=Q(kind__in=["warned", "escalated", "requeued"]),
                name="handoff_step_once",
            ),
        ]
        indexes = [models.Index(fields=["handoff", "at"], name="handoff_step_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.clock} of handoff {self.handoff_id}"


class Activity(models.Model):
    """What sales did with a lead; the first one after a claim stops the contact clock."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        DEMO = "demo", "Demo"
        PRESENTATION = "presentation", "Presentation"
        CASE_STUDY = "case_study", "Case study sent"

    class Outcome(models.TextChoices):
        CONNECTED = "connected", "Connected"
        LEFT_MESSAGE = "left_message", "Left a message"
        NO_ANSWER = "no_answer", "No answer"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        INTERESTED = "interested", "Interested"
        NOT_INTERESTED = "not_interested", "Not interested"
        COMPLETED = "completed", "Completed"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="activities"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_time"),
            models.Index(fields=["rep", "occurred_at"], name="activity_rep_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with lead {self.lead_id}"


# Routing rules and rep availability live in their own package; importing them here
# registers them with this app.
from handoffs.routing.models import RepAvailability, RoutingMember, RoutingRule  # noqa: E402, F401
