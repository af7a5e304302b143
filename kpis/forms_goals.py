"""The goal form of the goals page. It offers each person the scopes they may set a goal
on; the goal services still decide (a manager any; a marketer their campaigns or
themselves; a rep themselves)."""

from django import forms
from django.contrib.auth import get_user_model

from alignment.roles import ALL_ROLES, MANAGER, MARKETING, has_role
from campaigns.forms import DateInput
from campaigns.models import Campaign, Channel
from handoffs.routing.forms import RepChoiceField
from kpis.goals import Unit, goal_metrics
from kpis.models import Goal

SCOPE_FIELDS = ("campaign", "channel", "owner")
#: Units people write as percentages on the page (the API and the goal keep fractions).
IN_PERCENT = (Unit.RATE, Unit.RATIO)


def _in_percent(metric: str) -> bool:
    found = goal_metrics().get(metric)
    return found is not None and found.unit in IN_PERCENT


class GoalForm(forms.Form):
    metric = forms.ChoiceField(label="KPI")
    period_kind = forms.ChoiceField(
        label="Period", choices=Goal.PeriodKind.choices, initial=Goal.PeriodKind.QUARTER
    )
    period_start = forms.DateField(
        label="From",
        widget=DateInput(),
        help_text="A month or a quarter starts on its first day.",
    )
    period_end = forms.DateField(
        label="To",
        required=False,
        widget=DateInput(),
        help_text="Only for a custom period; a month or a quarter ends on its last day.",
    )
    target = forms.DecimalField(
        max_digits=16,
        decimal_places=4,
        min_value=0,
        help_text="In the KPI's unit; rates, ROI and velocity in percent (90 for 90 %).",
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="—"
    )
    channel = forms.ChoiceField(choices=[("", "—"), *Channel.choices], required=False)
    owner = RepChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
        help_text="Their leads: owned by them or from campaigns they own.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            (metric.name, metric.label) for metric in goal_metrics().values()
        ]
        users = get_user_model().objects.order_by("first_name", "last_name", "username")
        if has_role(user, MANAGER):
            self.fields["campaign"].queryset = Campaign.objects.order_by("name")
            self.fields["owner"].queryset = users.filter(groups__name__in=ALL_ROLES).distinct()
            return
        # Only the scopes this person may set a goal on.
        del self.fields["channel"]
        if has_role(user, MARKETING):
            self.fields["campaign"].queryset = Campaign.objects.filter(owner=user).order_by("name")
        else:
            del self.fields["campaign"]
        self.fields["owner"].queryset = users.filter(pk=user.pk)
        self.fields["owner"].initial = user.pk

    def clean(self):
        cleaned = super().clean()
        target, metric = cleaned.get("target"), cleaned.get("metric")
        if target is not None and metric and _in_percent(metric):
            if goal_metrics()[metric].unit == Unit.RATE and target > 100:
                self.add_error("target", "A rate is at most 100 %.")
            else:
                cleaned["target"] = target / 100
        return cleaned

    def goal_values(self) -> dict:
        """The cleaned data as the goal services take it: a month's or a quarter's end is
        theirs to work out, so a date left in "To" from another choice does not count;
        a percentage typed on the page is the fraction the goal keeps."""
        values = dict(self.cleaned_data)
        if values["period_kind"] != Goal.PeriodKind.CUSTOM:
            values["period_end"] = None
        for field in SCOPE_FIELDS:
            values.setdefault(field, None)
        values["channel"] = values["channel"] or ""
        return values

    @classmethod
    def initial_of(cls, goal: Goal) -> dict:
        target = goal.target * 100 if _in_percent(goal.metric) else goal.target
        return {
            "metric": goal.metric,
            "period_kind": goal.period_kind,
            "period_start": goal.period_start,
            "period_end": goal.period_end,
            "target": f"{target.normalize():f}",
            "campaign": goal.campaign_id,
            "channel": goal.channel,
            "owner": goal.owner_id,
        }
