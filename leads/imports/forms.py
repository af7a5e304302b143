"""Forms of the import pages: the upload and the column mapping."""

from django import forms
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from leads.imports.mapping import FIELDS, check_mapping


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 (with or without BOM), separated by commas or semicolons, "
        "with a header row. Exports and reports of HubSpot, Salesforce, Mautic and Pipedrive "
        "work as they are; an Excel workbook needs File > Save As > CSV UTF-8 first.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label="No campaign",
        help_text="Every row becomes a touchpoint of this campaign, and new leads get it as "
        "their first touch.",
    )


IGNORE = ""
CHOICES = [(IGNORE, "Ignore this column"), *FIELDS.items()]


class MappingForm(forms.Form):
    """One select per CSV column: the lead field it fills, or nothing."""

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for position, header in enumerate(headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header,
                choices=CHOICES,
                required=False,
                initial=mapping.get(header, IGNORE),
            )

    def columns(self):
        """(header, bound field) pairs, for the template."""
        return [(header, self[f"column_{n}"]) for n, header in enumerate(self.headers)]

    def clean(self):
        data = super().clean()
        mapping = {
            header: data.get(f"column_{n}")
            for n, header in enumerate(self.headers)
            if data.get(f"column_{n}")
        }
        try:
            self.cleaned_data["mapping"] = check_mapping(mapping, self.headers)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return self.cleaned_data

    def submitted_mapping(self) -> dict[str, str]:
        """What the form says, valid or not: the preview shows even a half-done mapping."""
        return {
            header: value
            for n, header in enumerate(self.headers)
            if (value := self.data.get(f"column_{n}")) in FIELDS
        }
