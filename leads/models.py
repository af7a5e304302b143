"""Leads, their touchpoints, their stage history and the scoring rules."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower, Replace

from campaigns.models import Campaign


class Stage(models.TextChoices):
    NEW = "new", "New"
    MQL = "mql", "MQL"
    SAL = "sal", "SAL"
    SQL = "sql", "SQL"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    RECYCLED = "recycled", "Recycled"
    DISQUALIFIED = "disqualified", "Disqualified"


class TouchpointKind(models.TextChoices):
    FORM_SUBMITTED = "form_submitted", "Form submitted"
    DEMO_REQUESTED = "demo_requested", "Demo requested"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    EVENT_VISIT = "event_visit", "Event visit"
    EMAIL_CLICK = "email_click", "Email click"
    AD_CLICK = "ad_click", "Ad click"
    PAGE_VIEW = "page_view", "Page view"
    PRICING_PAGE_VIEW = "pricing_page_view", "Pricing page view"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    IMPORTED = "imported", "Imported"
    API = "api", "Captured by API"


#: What people put between the digits of a phone number; dropped for duplicate matching.
PHONE_SEPARATORS = " -().+/"


def _without(expression, characters: str):
    for character in characters:
        expression = Replace(expression, Value(character), Value(""))
    return expression


class Lead(models.Model):
    """A person who showed interest; unique by normalised email.

    ``stage`` is changed only by ``leads.lifecycle.advance``, which also writes the
    ``StageChange`` history every KPI reads. ``campaign`` is the first-touch campaign.
    """

    email = models.EmailField(
        max_length=254, unique=True, help_text="Normalised: trimmed, lowercase."
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    # Computed by the database, so every way a phone number is written keeps it right;
    # two leads with the same digits under different emails are possible duplicates.
    phone_digits = models.GeneratedField(
        expression=_without(models.F("phone"), PHONE_SEPARATORS),
        output_field=models.CharField(max_length=50),
        db_persist=True,
    )
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    company_size = models.PositiveIntegerField(null=True, blank=True, help_text="Employees.")
    industry = models.CharField(max_length=100, blank=True)
    consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    # No index of their own: ``lead_campaign_stage`` and ``lead_owner_stage`` lead with them.
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text="First-touch campaign.",
        db_index=False,
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    stage = models.CharField(max_length=14, choices=Stage.choices, default=Stage.NEW)
    score = models.IntegerField(default=0)
    fit_score = models.IntegerField(default=0)
    engagement_score = models.IntegerField(default=0)
    score_breakdown = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # ``scored_at IS NULL`` computed by the database, so the outbox sweep's index refers to
    # a column a rescore leaves unchanged: an index on ``scored_at`` (or one whose
    # condition names it) would forbid PostgreSQL's in-place (HOT) update of every rescore.
    unscored = models.GeneratedField(
        expression=Q(scored_at__isnull=True),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # No column: the lead's row of ``LeadScore``, which every lead has. Declared from this
    # side and not null, so sorting by ``ranking__score`` joins it with an inner join,
    # which PostgreSQL can drive from the score index (an outer join it cannot).
    ranking = models.ForeignObject(
        "LeadScore",
        on_delete=models.DO_NOTHING,
        from_fields=["id"],
        to_fields=["lead"],
        related_name="+",
        serialize=False,  # a copy of ``score``, not data of the lead's own
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(email=""), name="lead_email_not_empty"),
        ]
        indexes = [
            models.Index(fields=["stage", "-created_at"], name="lead_stage_created"),
            models.Index(fields=["campaign", "stage"], name="lead_campaign_stage"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["created_at"], name="lead_created"),
            models.Index(fields=["id"], condition=Q(unscored=True), name="lead_unscored"),
            # Possible duplicates: the same name at the same company, or the same phone.
            models.Index(
                Lower("last_name"), Lower("first_name"), Lower("company"), name="lead_name_company"
            ),
            models.Index(
                fields=["phone_digits"], condition=~Q(phone_digits=""), name="lead_phone_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadScore(models.Model):
    """A lead's score again, in a narrow table of its own, for sorting and filtering.

    ``leads_lead`` keeps no index on its score, so that a rescore rewrites a lead in
    place (a HOT update, no index touched); this copy carries the index instead, and a
    score change costs one small row here. The database keeps it (triggers made by
    migration 0012): a lead's row is inserted with the lead, changed when its score
    changes, whoever writes it (scoring, the batch rescore, capture, a raw statement),
    and deleted with the lead. Nothing in the code writes it.
    """

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["score", "lead"], name="lead_score_rank")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.score}"


class Touchpoint(models.Model):
    """One interaction of a lead with a campaign; in time order they are the journey."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touchpoints")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints"
    )
    kind = models.CharField(max_length=30, choices=TouchpointKind.choices)
    occurred_at = models.DateTimeField()
    url = models.URLField(max_length=500, blank=True)
    referrer = models.URLField(
        max_length=500, blank=True, help_text="The page that sent the person to ``url``."
    )
    note = models.TextField(
        blank=True, help_text="What the person wrote with it, such as a web form's message."
    )
    consent_text = models.TextField(
        blank=True, help_text="The consent wording the person agreed to with this touchpoint."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="touchpoint_lead_time"),
            models.Index(fields=["campaign", "occurred_at"], name="touchpoint_campaign_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d}"


class LeadFieldConflict(models.Model):
    """A value a capture offered for a field the lead already holds with another value.

    Capture never overwrites a filled field; the offer is kept here instead, shown on the
    lead's timeline, so a person can see it and decide. One row per lead, field and
    offered value: the same offer made again (a re-import, say) is not repeated.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="field_conflicts")
    field = models.CharField(max_length=30)
    kept_value = models.CharField(max_length=500)
    offered_value = models.CharField(max_length=500)
    source = models.CharField(
        max_length=30, blank=True, help_text="The touchpoint kind of the capture, or merge."
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "field", "offered_value"], name="lead_field_conflict_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}.{self.field}: {self.kept_value!r} kept, {self.offered_value!r}"


class LeadMerge(models.Model):
    """A duplicate lead folded into ``lead`` (the survivor) by a person.

    The duplicate's touchpoints, stage history, handoffs and activities moved to the
    survivor and its row was deleted. Its email stays here, so a later capture of that
    address lands on the survivor, and the merge stays on the survivor's timeline.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="merges")
    merged_lead_id = models.PositiveBigIntegerField(help_text="The id the duplicate had.")
    merged_email = models.EmailField(max_length=254)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField()
    snapshot = models.JSONField(default=dict, help_text="The duplicate's fields as they were.")
    filled = models.JSONField(default=dict, help_text="Fields the survivor took from it.")
    moved = models.JSONField(default=dict, help_text="How many rows of each kind moved.")

    class Meta:
        ordering = ["merged_at", "id"]
        indexes = [
            models.Index(fields=["merged_email"], name="lead_merge_email"),
            models.Index(fields=["lead", "merged_at"], name="lead_merge_lead_time"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_email} → lead {self.lead_id}"


class StageChange(models.Model):
    """One change of a lead's lifecycle stage: who, when, from, to and why.

    Every funnel KPI is computed from this table.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=14, choices=Stage.choices)
    to_stage = models.CharField(max_length=14, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Deal value, for a change to won.",
    )
    automatic = models.BooleanField(default=False, help_text="Made by scoring, not a person.")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=models.F("to_stage")), name="stage_change_changes"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=Decimal("0")),
                name="stage_change_amount_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["to_stage", "changed_at"], name="stage_change_to_time"),
            models.Index(fields=["lead", "changed_at"], name="stage_change_lead_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage} → {self.to_stage}"


class Comment(models.Model):
    """A note on a lead that both teams read on its timeline; ``@username`` in the body
    mentions a colleague, who is notified. ``mentions`` holds who was mentioned."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="comment_lead_time")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on lead {self.lead_id}"


# CSV imports live in their own package; importing them here registers them with this app.
from leads.imports.models import LeadImport, LeadImportError  # noqa: E402, F401

# Scoring rule sets, score history and rescore chunks live in their own package too.
from leads.scoring.rules.models import (  # noqa: E402, F401
    RescoreChunk,
    ScoreChange,
    ScoringRule,
    ScoringRuleSet,
)
