"""The public web form of a campaign: the fields the campaign asks for, a honeypot, and
the page context (URL, referrer, UTM codes) the form page or the embed script sends along.
"""

import unicodedata
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pycountry
from django import forms
from django.core.validators import RegexValidator

from campaigns.models import COMPANY_SIZES, FORM_FIELDS, Campaign, FieldUse
from leads.services import URL_MAX_LENGTH, UTM_FIELDS

#: The name of the field people never see and bots fill in.
HONEYPOT = "website"
#: Hidden fields that say where the form was filled in, not who filled it in.
CONTEXT_FIELDS = ("page_url", "referrer", *UTM_FIELDS)
UTM_MAX_LENGTH = 100
MESSAGE_MAX_LENGTH = 5000

#: The answers to "What do you need?": what the visitor came for, in their words for
#: sales. Asking for a demo is a demo request, and counts as one in the score.
NEEDS = [
    ("demo", "A demo"),
    ("pricing", "Pricing for my team"),
    ("information", "More information"),
    ("other", "Something else"),
]
DEMO = "demo"


def _sort_key(name: str) -> str:
    """Åland sorts with the A's, not after Zimbabwe."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def country_choices() -> list[tuple[str, str]]:
    names = {
        country.alpha_2: getattr(country, "common_name", country.name)
        for country in pycountry.countries
    }
    return sorted(names.items(), key=lambda item: _sort_key(item[1]))


COUNTRIES = country_choices()


def http_url(value: Any) -> str:
    """``value`` if it is an http(s) URL short enough to keep, else the empty string.

    Page context comes from the visitor's browser; a bad value is dropped, never shown to
    the visitor as an error they could not fix.
    """
    text = str(value or "").strip()
    if len(text) > URL_MAX_LENGTH:
        return ""
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def utm_from_url(url: str) -> dict[str, str]:
    """The utm_* parameters in a URL's query string."""
    query = parse_qs(urlsplit(url).query) if url else {}
    return {name: query[name][0] for name in UTM_FIELDS if query.get(name)}


class CaptureForm(forms.Form):
    """A visitor's answers. Fields the campaign does not ask for are removed; the rest are
    optional or required as the campaign says. Email is always asked and required."""

    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    first_name = forms.CharField(
        label="First name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    company = forms.CharField(
        label="Company",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=50,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()./-]{5,}$",
                "Enter a phone number: digits, spaces and + ( ) - . only.",
            )
        ],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Choose a country"), *COUNTRIES],
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    company_size = forms.TypedChoiceField(
        label="Company size",
        choices=[("", "Choose a size"), *((str(size), label) for size, label in COMPANY_SIZES)],
        coerce=int,
        empty_value=None,
    )
    need = forms.ChoiceField(label=FORM_FIELDS["need"], choices=[("", "Choose one"), *NEEDS])
    message = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        error_messages={"required": "Please tick this box to send the form."}
    )
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    page_url = forms.CharField(required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_source = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_medium = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        uses = campaign.form_fields or {}
        for name in FORM_FIELDS:
            if name not in uses:
                del self.fields[name]
            else:
                self.fields[name].required = uses[name] == FieldUse.REQUIRED
        if "consent" in self.fields:
            self.fields["consent"].label = campaign.form_consent_text

    @property
    def is_bot(self) -> bool:
        """People never see the honeypot, so an answer in it comes from a bot."""
        return bool(str(self.data.get(HONEYPOT) or "").strip())

    def visible_fields(self) -> list:
        return [field for field in super().visible_fields() if field.name != HONEYPOT]

    def clean_page_url(self) -> str:
        return http_url(self.cleaned_data["page_url"])

    def clean_referrer(self) -> str:
        return http_url(self.cleaned_data["referrer"])

    def clean_utm_source(self) -> str:
        return self.cleaned_data["utm_source"][:UTM_MAX_LENGTH]

    def clean_utm_medium(self) -> str:
        return self.cleaned_data["utm_medium"][:UTM_MAX_LENGTH]

    def clean_utm_campaign(self) -> str:
        return self.cleaned_data["utm_campaign"][:UTM_MAX_LENGTH]

    def profile(self) -> dict[str, Any]:
        """The answers that are lead fields, for ``capture_lead``."""
        skip = {"email", "need", "message", "consent", HONEYPOT, *CONTEXT_FIELDS}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in skip and value not in (None, "")
        }

    @property
    def asks_for_a_demo(self) -> bool:
        return self.cleaned_data.get("need") == DEMO

    def note(self) -> str:
        """What the visitor wrote, for the touchpoint (and so the timeline and the brief):
        their answer to "What do you need?", then their message (a note is one line)."""
        need = dict(NEEDS).get(self.cleaned_data.get("need") or "")
        message = (self.cleaned_data.get("message") or "").strip()
        answer = f"{FORM_FIELDS['need']} {need}." if need else ""
        return " ".join(part for part in (answer, message) if part)
