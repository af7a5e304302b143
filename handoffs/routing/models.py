"""Routing rules, their round-robin members, and each rep's capacity and time away.

These models belong to the ``handoffs`` app (``handoffs.models`` imports them).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RoutingRule(models.Model):
    """One routing rule: when every condition holds for a new MQL, the rule decides where
    it goes. Rules are tried by ``position`` (then id); the first match wins; a lead no
    active rule matches goes to the team queue.

    ``conditions`` is a list of ``{"field", "operator", "value"}`` tests, with the
    operators scoring rules use (``handoffs.routing.engine`` reads them). A round-robin
    rule keeps its rotation in the database (``clock`` here, ``turn`` on each member), so
    it survives restarts and two workers routing at once take turns on the rule's row lock.
    """

    class Action(models.TextChoices):
        REP = "rep", "A named rep"
        TEAM_QUEUE = "team_queue", "The team queue"
        ROUND_ROBIN = "round_robin", "Round robin"

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The rep of a rule whose action is a named rep.",
    )
    active = models.BooleanField(default=True)
    clock = models.FloatField(
        default=0, help_text="Round robin: the turn of the last member chosen."
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="rep") | Q(rep__isnull=False), name="routing_rule_rep_named"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingMember(models.Model):
    """A rep in a round-robin rule, with a weight: a rep of weight 2 gets twice the leads
    of a rep of weight 1. ``turn`` is the member's place in the rotation (stride
    scheduling): the eligible member with the lowest turn is next, and taking a lead moves
    its turn on by ``1 / weight``."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveSmallIntegerField(default=1)
    turn = models.FloatField(default=0)
    assigned = models.PositiveIntegerField(default=0, help_text="Leads this rule gave them.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rule", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "user"], name="routing_member_once"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="routing_member_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ×{self.weight} in {self.rule_id}"


class RepAvailability(models.Model):
    """How many live leads a rep can hold, and when they are away.

    ``capacity`` counts the rep's leads in play: claimed and still being worked (SAL or
    SQL), plus those routed to them and waiting for their claim. Empty: no limit. Away
    from ``away_from`` (empty: now) until ``away_until`` (empty: until they return);
    round robin skips a rep who is full or away, and says so.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)
    away_from = models.DateTimeField(null=True, blank=True)
    away_until = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rep availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(away_from__isnull=True)
                | Q(away_until__isnull=True)
                | Q(away_until__gt=models.F("away_from")),
                name="availability_away_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Availability of {self.user_id}"
