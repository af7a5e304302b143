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


class Rollup(models.Model):
    """When the daily rollups (``DailyLeads``, ``DailyStageEntries``, ``DailyDecisions``,
    ``DailyCredit``) were last rebuilt, and in which time zone their days are cut.

    ``kpis.rollups.refresh_rollups`` rebuilds them all in one transaction (beat, every
    ``KPI_ROLLUP_MINUTES``); the KPI queries read them while they are fresh and their zone
    is the team's, so the figures they give are those of ``refreshed_at``. One row.
    """

    refreshed_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    seconds = models.FloatField(help_text="How long the last rebuild took.")

    def __str__(self) -> str:
        return f"KPI rollups of {self.refreshed_at:%Y-%m-%d %H:%M} ({self.time_zone})"


class DailyLeads(models.Model):
    """Leads created on a day (in the rollup's zone) with a first-touch campaign."""

    day = models.DateField()
    campaign = models.ForeignKey(
        Campaign, null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    leads = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "campaign"], name="daily_leads_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.leads} leads of campaign {self.campaign_id}"


class DailyStageEntries(models.Model):
    """The leads of a campaign that entered a funnel stage on a day, with the day each
    had last entered the same stage before (``previous_day``, None for a first entry).

    A lead counts once per period however often it entered the stage in it: a period
    from day D counts the rows whose ``previous_day`` is before D (or None), so distinct
    leads over any run of days are exact sums of these rows. ``amount`` sums the deal
    amounts of every entry (won revenue). Each row is there once per campaign and once
    more in the company's sums (``company``)."""

    day = models.DateField()
    campaign = models.ForeignKey(
        Campaign, null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    stage = models.CharField(max_length=16)
    previous_day = models.DateField(null=True)
    leads = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    #: The same rows summed over every campaign (``campaign`` is None): what the company's
    #: figures read, a hundredth of the rows of a campaign's.
    company = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [models.Index(fields=["company", "day", "stage"], name="daily_stage_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.leads} leads of campaign {self.campaign_id} to {self.stage}"


class DailyDecisions(models.Model):
    """Sales' decisions on the handoffs opened on a day, by the lead's campaign and the
    rejection reason."""

    day = models.DateField()
    campaign = models.ForeignKey(
        Campaign, null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    rejection_reason = models.CharField(max_length=30, blank=True)
    accepted = models.PositiveIntegerField()
    rejected = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="daily_decisions_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.accepted} accepted, {self.rejected} rejected"


class DailyCredit(models.Model):
    """What a campaign (None: no campaign touched the lead first) earned under one
    attribution model from the entries into SQL or won on a day: ``share`` is the number
    of entries credited to it (fractions under linear), ``amount`` the revenue."""

    day = models.DateField()
    campaign = models.ForeignKey(
        Campaign, null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    model = models.CharField(max_length=16)
    stage = models.CharField(max_length=16)
    share = models.DecimalField(max_digits=24, decimal_places=12)
    amount = models.DecimalField(max_digits=28, decimal_places=12, null=True)

    class Meta:
        indexes = [models.Index(fields=["model", "day"], name="daily_credit_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.share} {self.stage} to {self.campaign_id} ({self.model})"
