"""Campaigns: one marketing effort on one channel, with its spend and capture form."""

import ipaddress
import re
import secrets
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Q


def new_form_key() -> str:
    return secrets.token_urlsafe(9)


class FieldUse(models.TextChoices):
    """Whether a campaign's web form asks for a field, and whether an answer is needed."""

    HIDDEN = "hidden", "Not asked"
    OPTIONAL = "optional", "Optional"
    REQUIRED = "required", "Required"


#: The fields a web form may ask for besides the email (always asked), in form order.
FORM_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "job_title": "Job title",
    "phone": "Phone",
    "country": "Country",
    "company_size": "Company size",
    "need": "What do you need?",
    "message": "Message",
    "consent": "Consent checkbox",
}

#: The web form's company size answers: the number stored, and the band as the visitor
#: chose it. A band is stored as its smallest size, so the scoring rules' size bands
#: (51–200, 201–1000, over 1000) see each answer in the right band.
COMPANY_SIZES: list[tuple[int, str]] = [
    (1, "1–10 people"),
    (11, "11–50 people"),
    (51, "51–200 people"),
    (201, "201–500 people"),
    (501, "501–1,000 people"),
    (1001, "1,001–5,000 people"),
    (5001, "5,001 or more people"),
]
_BANDS = dict(COMPANY_SIZES)


def company_size_label(size: int | None) -> str:
    """A company size as people read it: the band a visitor chose on a web form
    ("201–500 people", for the 201 it is stored as), else the number ("1,250 people");
    "" for no size.

    A number given exactly (by the API, an import) that happens to start a band reads as
    that band too, which is still true of it.
    """
    if size is None:
        return ""
    return _BANDS.get(size) or f"{size:,} people"


def default_form_fields() -> dict[str, str]:
    return {"first_name": FieldUse.OPTIONAL, "last_name": FieldUse.OPTIONAL}


def validate_form_fields(value: object) -> None:
    """``form_fields`` maps a field of ``FORM_FIELDS`` to optional or required; fields not
    listed are not asked."""
    if not isinstance(value, dict):
        raise ValidationError("Expected a mapping of field names to optional or required.")
    unknown = sorted(set(value) - set(FORM_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown form fields: {', '.join(unknown)}.")
    uses = {FieldUse.OPTIONAL, FieldUse.REQUIRED}
    wrong = sorted(name for name, use in value.items() if use not in uses)
    if wrong:
        raise ValidationError(f"Say optional or required for: {', '.join(wrong)}.")


_DEFAULT_PORTS = {"http": 80, "https": 443}


#: A host as browsers write it in ``Origin``: a name of letters, digits and hyphens
#: (punycode for other scripts), an IPv4 address, or an IPv6 address in brackets.
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def _ascii_host(host: str) -> str:
    """The host as it stands in a browser's ``Origin``, or "" if it is not one (a
    wildcard, spaces, quotes: nothing that could widen a ``frame-ancestors`` list)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{host}]" if ":" in host else host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""
    return ascii_host if _HOST.fullmatch(ascii_host) and len(ascii_host) <= 253 else ""


def normalise_origin(value: object) -> str:
    """A website's origin as browsers send it (``https://www.example.com``, the port only
    when it is not the scheme's own), or ``ValidationError``."""
    if not isinstance(value, str):
        raise ValidationError("Give each website as text, such as https://www.example.com.")
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationError(f"“{text}” is not a website address.") from None
    scheme, host = parts.scheme.lower(), _ascii_host(parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        raise ValidationError(f"“{text}” is not a website address such as https://www.example.com.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            f"Give the website only, without a page: {scheme}://{host} rather than “{text}”."
        )
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def validate_origins(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError('Expected a list of websites, such as ["https://www.example.com"].')
    for origin in value:
        if normalise_origin(origin) != origin:
            raise ValidationError(f"Write “{origin}” as {normalise_origin(origin)}.")


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    PAID_SEARCH = "paid_search", "Paid search"
    DISPLAY = "display", "Display"
    CONTENT = "content", "Content"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    TRADE_SHOW = "trade_show", "Trade show"
    PRINT = "print", "Print"
    TV_RADIO = "tv_radio", "TV / radio"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    OTHER = "other", "Other"


#: The dates a campaign may start and end on.
CAMPAIGN_DATE_BOUNDS = [
    MinValueValidator(date(1900, 1, 1), message="Give a date from 1900 on."),
    MaxValueValidator(date(2999, 12, 31), message="Give a date before the year 3000."),
]


class Campaign(models.Model):
    """One marketing effort on one channel, with dates, budget, targets and a UTM code."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        # Put away: out of the campaign lists unless asked for; its leads, touchpoints and
        # costs stay and count in every KPI (a campaign with any of them is never deleted).
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    objective = models.TextField(blank=True)
    # Bounded as the KPI periods are: a date the pages cannot turn into a period in
    # every time zone (year 9999) would make the campaign's page fail.
    starts_on = models.DateField(validators=CAMPAIGN_DATE_BOUNDS)
    ends_on = models.DateField(null=True, blank=True, validators=CAMPAIGN_DATE_BOUNDS)
    budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    utm_campaign = models.SlugField(
        max_length=100, unique=True, help_text="The utm_campaign value that attaches leads."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    target_leads = models.PositiveIntegerField(default=0)
    target_mqls = models.PositiveIntegerField(default=0)
    form_key = models.CharField(max_length=32, unique=True, default=new_form_key, editable=False)
    form_fields = models.JSONField(
        default=default_form_fields,
        blank=True,
        validators=[validate_form_fields],
        help_text="Web form fields besides the email: {field: optional|required}.",
    )
    form_headline = models.CharField(
        max_length=200, blank=True, help_text="Shown above the form; the campaign name if empty."
    )
    form_intro = models.TextField(blank=True, help_text="A sentence or two under the headline.")
    form_button_label = models.CharField(max_length=60, default="Send")
    form_consent_text = models.TextField(
        blank=True,
        default="I agree to be contacted about this and for my details to be kept for that.",
        help_text="The words next to the consent checkbox; stored with every consent given.",
    )
    form_thank_you = models.TextField(
        default="Thank you! We will be in touch soon.",
        help_text="Shown after a visitor sends the form, unless a redirect URL is set.",
    )
    form_redirect_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Send visitors to this page after the form instead of the thank-you text.",
    )
    form_allowed_origins = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_origins],
        help_text="Websites whose pages may show and send the form (origins such as "
        "https://www.example.com); empty: any website.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "channel"], name="campaign_status_channel"),
            models.Index(fields=["starts_on"], name="campaign_starts_on"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (self.form_fields or {}).get("consent") and not self.form_consent_text.strip():
            raise ValidationError(
                {"form_consent_text": ["A form with a consent checkbox needs its wording."]}
            )

    def form_accepts_origin(self, origin: str | None, *, own_origin: str) -> bool:
        """Whether a page of ``origin`` may send this form: any page when no website is
        listed; else Tandem's own pages and the listed websites. A request without an
        ``Origin`` header is no browser's cross-site post (a server, a script) and is let
        through: the list keeps other websites' pages out, not other programs."""
        if not self.form_allowed_origins or not origin:
            return True
        return origin == own_origin or origin in self.form_allowed_origins

    @property
    def form_is_open(self) -> bool:
        """Only an active campaign's web form takes submissions."""
        return self.status == self.Status.ACTIVE


class CostEntry(models.Model):
    """Money spent on a campaign on one day; a campaign's spend is their sum."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    date = models.DateField()
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "cost entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_positive"),
        ]
        indexes = [models.Index(fields=["date"], name="cost_date")]

    def __str__(self) -> str:
        return f"{self.campaign} {self.date} {self.amount}"
