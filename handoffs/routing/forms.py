"""Forms of the routing pages: a rule with its conditions and rotation, business hours,
a rep's availability. Shape only; the rules of a rule are the service's."""

from django import forms
from django.contrib.auth import get_user_model

from alignment import business_hours
from alignment.roles import SALES
from handoffs.routing import engine
from handoffs.routing.models import RoutingRule

HOUR_INPUT = forms.TextInput(
    attrs={"placeholder": "09:00", "inputmode": "numeric", "pattern": "[0-2][0-9]:[0-5][0-9]"}
)
LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
#: Blank rows a rule form offers besides the filled ones (more with "Add …").
SPARE_CONDITIONS = 1
SPARE_MEMBERS = 1


def sales_reps():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=SALES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class RepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class RuleForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Name", help_text="Say what it is for: DACH, Enterprise…"
    )
    action = forms.ChoiceField(
        choices=RoutingRule.Action.choices, widget=forms.RadioSelect, label="Send matching leads to"
    )
    rep = RepChoiceField(queryset=sales_reps(), required=False, label="Rep", empty_label="Choose…")
    position = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        required=False,
        label="Position",
        help_text="1 is tried first.",
    )
    active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = sales_reps()


class ConditionForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("", "Choose a field…"), *engine.FIELD_CHOICES], required=False
    )
    operator = forms.ChoiceField(choices=engine.OPERATOR_CHOICES, required=False)
    value = forms.CharField(max_length=500, required=False)

    def as_condition(self) -> dict[str, str] | None:
        data = self.cleaned_data if self.is_valid() else {}
        if not data.get("field"):
            return None
        return {
            "field": data["field"],
            "operator": data.get("operator") or "equals",
            "value": data.get("value", ""),
        }


class MemberForm(forms.Form):
    user = RepChoiceField(queryset=sales_reps(), required=False, empty_label="Choose a rep…")
    weight = forms.IntegerField(min_value=1, max_value=engine.MAX_WEIGHT, initial=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = sales_reps()

    def as_member(self) -> dict | None:
        data = self.cleaned_data if self.is_valid() else {}
        if not data.get("user"):
            return None
        return {"user": data["user"], "weight": data.get("weight") or 1}


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, max_num=engine.MAX_CONDITIONS)
MemberFormSet = forms.formset_factory(MemberForm, extra=0, max_num=engine.MAX_MEMBERS)


class CalendarForm(forms.Form):
    """The team calendar: a time zone, hours per weekday (a day without hours is closed),
    holidays one date per line."""

    time_zone = forms.ChoiceField(label="Time zone")
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Holidays",
        help_text="One date per line, as YYYY-MM-DD. SLA clocks stop on these days.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in business_hours.zone_choices()]
        for key in business_hours.WEEKDAYS:
            label = business_hours.WEEKDAY_LABELS[key]
            self.fields[f"{key}_open"] = forms.BooleanField(
                required=False, label=f"Open on {label}"
            )
            self.fields[f"{key}_start"] = forms.CharField(
                required=False,
                max_length=5,
                label=f"{label} opens",
                widget=HOUR_INPUT,
            )
            self.fields[f"{key}_end"] = forms.CharField(
                required=False,
                max_length=5,
                label=f"{label} closes",
                widget=HOUR_INPUT,
            )

    @staticmethod
    def initial_from(row) -> dict:
        initial = {"time_zone": row.time_zone, "holidays": "\n".join(row.holidays)}
        for key in business_hours.WEEKDAYS:
            span = row.days.get(key) or []
            initial[f"{key}_open"] = bool(span)
            start, end = (span + ["09:00", "17:00"])[:2] if span else ("09:00", "17:00")
            initial[f"{key}_start"] = start
            initial[f"{key}_end"] = end
        return initial

    def weekdays(self) -> list[dict]:
        """The day rows for the template: label and the three fields."""
        return [
            {
                "key": key,
                "label": business_hours.WEEKDAY_LABELS[key],
                "open": self[f"{key}_open"],
                "start": self[f"{key}_start"],
                "end": self[f"{key}_end"],
            }
            for key in business_hours.WEEKDAYS
        ]

    def calendar(self) -> dict:
        """The cleaned form in the service's shape (``days`` and ``holidays`` as text)."""
        data = self.cleaned_data
        days = {}
        for key in business_hours.WEEKDAYS:
            if data.get(f"{key}_open"):
                days[key] = [data.get(f"{key}_start") or "", data.get(f"{key}_end") or ""]
        holidays = [
            line.strip() for line in (data.get("holidays") or "").splitlines() if line.strip()
        ]
        return {"time_zone": data["time_zone"], "days": days, "holidays": holidays}


class AvailabilityForm(forms.Form):
    capacity = forms.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        label="Capacity",
        help_text="Most leads in play at once; empty: no limit.",
    )
    away_from = forms.DateTimeField(required=False, label="Away from", widget=LOCAL_INPUT)
    away_until = forms.DateTimeField(required=False, label="Away until", widget=LOCAL_INPUT)
