"""KPIs are computed from the other apps' tables (see ``queries``); the goals set on them
are the app's own rows."""

from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from campaigns.models import Campaign, Channel


def metric_choices() -> list[tuple[str, str]]:
    """Every KPI a goal may be set on (``kpis.queries.METRICS``).

    A callable, read when asked, so a KPI added there is a goal metric without a
    migration. Imported late: the KPI queries read other apps' models.
    """
    from kpis.goals import goal_metrics

    return [(metric.name, metric.label) for metric in goal_metrics().values()]


class GoalQuerySet(models.QuerySet):
    def active(self, on: date) -> "GoalQuerySet":
        """Goals whose period contains the day ``on``."""
        return self.filter(period_start__lte=on, period_end__gte=on)


class Goal(models.Model):
    """A shared target on one KPI for one period, for the company or one scope: a
    campaign, a channel or an owner (the leads they own plus the leads of campaigns they
    own, as ``kpis.queries.Scope`` counts them).

    A month or quarter goal starts on the first day of its month or quarter and ends on
    its last (``kpis.goals`` derives the end); a custom goal has any inclusive range.
    What was achieved and the pace are computed from the data (``kpis.goals``), never stored.
    """

    class PeriodKind(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        CUSTOM = "custom", "Custom"

    metric = models.CharField(max_length=64, choices=metric_choices)
    period_kind = models.CharField(
        max_length=8, choices=PeriodKind.choices, default=PeriodKind.CUSTOM
    )
    period_start = models.DateField(help_text="The first day of the period.")
    period_end = models.DateField(help_text="The last day of the period (inclusive).")
    target = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        validators=[MinValueValidator(0)],
        help_text="In the KPI's unit: a count, money, minutes, or a rate as a fraction of 1.",
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="goals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "metric", "id"]
        indexes = [
            # ``?active=true`` and the dashboard read the goals running today.
            models.Index(fields=["period_end", "period_start"], name="goal_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="goal_period_in_order"
            ),
            models.CheckConstraint(condition=Q(target__gte=0), name="goal_target_not_negative"),
            models.CheckConstraint(
                condition=Q(campaign__isnull=True, channel="")
                | Q(campaign__isnull=True, owner__isnull=True)
                | Q(channel="", owner__isnull=True),
                name="goal_at_most_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.period_start}–{self.period_end}"
