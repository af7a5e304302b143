"""Forms of the campaign pages; the services do the writing."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from alignment.services import NoAgreementInForce, agreement_in_force
from campaigns.models import FORM_FIELDS, Campaign, FieldUse, normalise_origin
from leads.models import TouchpointKind
from leads.services import active_ruleset


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "channel",
            "status",
            "starts_on",
            "ends_on",
            "budget",
            "utm_campaign",
            "target_leads",
            "target_mqls",
            "objective",
        ]
        labels = {
            "starts_on": "Starts on",
            "ends_on": "Ends on",
            "utm_campaign": "UTM campaign code",
            "target_leads": "Target leads",
            "target_mqls": "Target MQLs",
        }
        help_texts = {
            "status": "Only an active campaign's web form takes submissions: a planned "
            "campaign's form is closed until you make it active.",
            "utm_campaign": "Lowercase letters, numbers and hyphens. Leads arriving with "
            "this utm_campaign are attached to the campaign.",
            "ends_on": "Leave empty for an always-on campaign.",
        }
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "objective": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_utm_campaign(self) -> str:
        return self.cleaned_data["utm_campaign"].strip().lower()


@dataclass(frozen=True)
class Qualifying:
    """What makes a web form's lead an MQL under the agreement and scoring rules in force,
    told in the form's own terms, so a new campaign's form can ask for it."""

    #: The score that makes an MQL; None without an agreement in force.
    threshold: int | None
    #: The points of a sent form, and of asking for a demo in it.
    form_points: int
    demo_points: int
    #: The form's questions some fit rule scores, in form order.
    scored: tuple[str, ...]
    #: The form's questions the agreement requires of an MQL, and whether it asks consent.
    required: tuple[str, ...]
    consent: bool

    def suggested_fields(self) -> dict[str, str]:
        """The questions a new campaign's form starts with: who they are, their company,
        what they need, and what the rules score or the agreement requires."""
        fields = {
            "first_name": FieldUse.REQUIRED,
            "last_name": FieldUse.REQUIRED,
            "company": FieldUse.REQUIRED,
            "job_title": FieldUse.REQUIRED,
            "company_size": FieldUse.REQUIRED,
            "need": FieldUse.REQUIRED,
            "message": FieldUse.OPTIONAL,
        }
        for name in self.scored:
            fields.setdefault(name, FieldUse.OPTIONAL)
        for name in self.required:
            fields[name] = FieldUse.REQUIRED
        if self.consent:
            fields["consent"] = FieldUse.REQUIRED
        return {name: fields[name] for name in FORM_FIELDS if name in fields}

    def scored_phrase(self) -> str:
        """The scored questions as a sentence says them: "job title, country and company
        size add points for who they are"."""
        labels = [FORM_FIELDS[name].lower() for name in self.scored]
        if len(labels) == 1:
            return f"{labels[0]} adds points for who they are"
        return f"{', '.join(labels[:-1])} and {labels[-1]} add points for who they are"


def qualifying() -> Qualifying:
    """Read the agreement in force and the active scoring rules for a web form's sake."""
    try:
        agreement = agreement_in_force()
    except NoAgreementInForce:
        agreement = None
    _, rules = active_ruleset()

    def points_for(kind: str) -> int:
        return sum(
            rule.points
            for rule in rules
            if rule.kind == "engagement" and rule.touchpoint_kind == kind
        )

    tested = {rule.field for rule in rules if rule.kind == "fit"}
    required = set(agreement.mql_required_fields) if agreement else set()
    return Qualifying(
        threshold=agreement.mql_threshold if agreement else None,
        form_points=points_for(TouchpointKind.FORM_SUBMITTED),
        demo_points=points_for(TouchpointKind.DEMO_REQUESTED),
        scored=tuple(name for name in FORM_FIELDS if name in tested),
        required=tuple(name for name in FORM_FIELDS if name in required),
        consent=bool(agreement and agreement.mql_requires_consent),
    )


class WebFormSettingsForm(forms.ModelForm):
    """The campaign's public web form: the fields it asks for, its words, where it ends."""

    form_redirect_url = forms.URLField(
        label="Redirect URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Campaign._meta.get_field("form_redirect_url").help_text,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    form_allowed_origins = forms.CharField(
        label="Websites allowed to show the form",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://www.example.com"}),
        help_text="One per line. Pages of other websites cannot show or send the form. "
        "Leave empty to let any website use it.",
    )

    class Meta:
        model = Campaign
        fields = [
            "form_headline",
            "form_intro",
            "form_button_label",
            "form_redirect_url",
            "form_consent_text",
            "form_thank_you",
        ]
        labels = {
            "form_headline": "Headline",
            "form_intro": "Introduction",
            "form_button_label": "Button text",
            "form_consent_text": "Consent text",
            "form_thank_you": "Thank-you message",
        }
        help_texts = {
            "form_consent_text": "Shown next to the consent checkbox and kept with every "
            "consent given.",
        }
        widgets = {
            "form_intro": forms.Textarea(attrs={"rows": 2}),
            "form_consent_text": forms.Textarea(attrs={"rows": 2}),
            "form_thank_you": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault(
            "form_allowed_origins", "\n".join(self.instance.form_allowed_origins or [])
        )
        uses = self.instance.form_fields or {}
        for name, label in FORM_FIELDS.items():
            # Not "required": every choice, "Not asked" too, is an answer.
            self.fields[f"ask_{name}"] = forms.ChoiceField(
                label=label,
                choices=FieldUse.choices,
                initial=uses.get(name, FieldUse.HIDDEN),
                required=False,
            )

    def ask_fields(self) -> list:
        return [self[f"ask_{name}"] for name in FORM_FIELDS]

    def clean_form_redirect_url(self) -> str:
        return self.cleaned_data["form_redirect_url"].strip()

    def clean_form_allowed_origins(self) -> list[str]:
        origins: list[str] = []
        errors: list[ValidationError] = []
        for line in self.cleaned_data["form_allowed_origins"].splitlines():
            if not line.strip():
                continue
            try:
                origin = normalise_origin(line)
            except ValidationError as error:
                errors.append(error)
                continue
            if origin not in origins:
                origins.append(origin)
        if errors:
            raise ValidationError(errors)
        return origins

    def clean(self) -> dict:
        cleaned = super().clean()
        # The model's own check (consent wording present when consent is asked) runs on
        # the instance next; give it the fields as chosen here.
        self.instance.form_fields = self.form_fields()
        return cleaned

    def form_fields(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"ask_{name}"]
            for name in FORM_FIELDS
            if self.cleaned_data.get(f"ask_{name}") in (FieldUse.OPTIONAL, FieldUse.REQUIRED)
        }

    def settings(self) -> dict:
        """The campaign fields to save, for ``campaigns.services.update_campaign``."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {
            **values,
            "form_fields": self.form_fields(),
            "form_allowed_origins": self.cleaned_data["form_allowed_origins"],
        }


class CostForm(forms.Form):
    date = forms.DateField(widget=DateInput(), initial=timezone.localdate)
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label="Amount"
    )
    note = forms.CharField(max_length=200, required=False)
