"""The dashboard's filter form (a period, a channel, a campaign) and the calibration
page's target."""

from decimal import Decimal

from django import forms

from campaigns.forms import DateInput
from campaigns.models import Campaign, Channel
from kpis.calibration import DEFAULT_TARGET, MAX_TARGET, MIN_TARGET
from kpis.queries import Period, Scope

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Dates"),
]
LONGEST_DAYS = 3660


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, initial="30")
    start = forms.DateField(required=False, widget=DateInput(), label="From")
    end = forms.DateField(required=False, widget=DateInput(), label="To")
    channel = forms.ChoiceField(
        choices=[("", "All channels"), *Channel.choices], required=False, label="Channel"
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label="All campaigns",
        label="Campaign",
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if data.get("period") == "custom" or start or end:
            if not start or not end:
                raise forms.ValidationError("Give both dates, or pick a preset period.")
            if end < start:
                self.add_error("end", "The end comes before the start.")
            elif (end - start).days > LONGEST_DAYS:
                self.add_error("end", "Pick at most ten years.")
            data["period"] = "custom"
        return data

    def period_and_scope(self) -> tuple[Period, Scope, str]:
        """The period and scope asked for; the last 30 days of everything if invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        preset = data.get("period") or "30"
        if preset == "custom":
            period = Period.from_dates(data["start"], data["end"])
            label = f"{data['start']:%d %b %Y} – {data['end']:%d %b %Y}"
        else:
            days = int(preset)
            period = Period.last_days(days)
            label = dict(PERIODS)[preset]
        campaign = data.get("campaign")
        scope = Scope(
            campaign=campaign.pk if campaign else None, channel=data.get("channel") or None
        )
        return period, scope, label


#: Acceptance targets offered on the calibration page; the API takes any in 0.5–1.0.
TARGETS = [(f"{percent / 100:g}", f"{percent} %") for percent in range(50, 101, 5)]


class CalibrationForm(forms.Form):
    """The acceptance rate the suggested threshold must keep (a fraction of 1)."""

    target = forms.DecimalField(
        min_value=Decimal(str(MIN_TARGET)),
        max_value=Decimal(str(MAX_TARGET)),
        max_digits=5,
        decimal_places=4,
        required=False,
        initial=Decimal(str(DEFAULT_TARGET)),
        label="Sales acceptance target",
        widget=forms.Select(choices=TARGETS),
    )

    def target_rate(self) -> float:
        """The target asked for; the default when none (or a bad one) was given."""
        if self.is_valid() and self.cleaned_data["target"] is not None:
            return float(self.cleaned_data["target"])
        return DEFAULT_TARGET
