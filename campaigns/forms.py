"""Forms of the campaign pages; the services do the writing."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from campaigns.models import Campaign


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


class CostForm(forms.Form):
    date = forms.DateField(widget=DateInput(), initial=timezone.localdate)
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label="Amount"
    )
    note = forms.CharField(max_length=200, required=False)
