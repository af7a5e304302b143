"""A webhook subscription and the log of what was delivered to it."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class WebhookEndpoint(models.Model):
    """Where an integration wants the events it subscribed to: a URL, the event names,
    the secret deliveries are signed with, active or paused.

    ``cursor`` is the last event turned into deliveries for it (``relay``); events from
    before the subscription (``first_event``) are never sent. A subscription that keeps
    failing is paused by the sender (``paused_reason``) and its owner told.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The event names it receives.")
    secret = models.CharField(max_length=100, help_text="Signs every delivery (HMAC-SHA256).")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    first_event = models.BigIntegerField(default=0, help_text="Events after this id only.")
    cursor = models.BigIntegerField(default=0, help_text="Relayed up to this event id.")
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active"], name="webhook_active")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its attempts, the last answer, the next try.

    Its id is the ``X-Tandem-Delivery`` header: a receiver that sees one twice (a worker
    stopped after sending but before recording the answer) keeps the first.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "alignment.Event", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_name = models.CharField(max_length=60)
    subject = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(default=dict, help_text="The event's data, as sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, help_text="The start of the last answer.")
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                condition=Q(event__isnull=False),
                name="webhook_delivery_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["endpoint", "subject", "event"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_unsent",
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.endpoint_id}"
