"""Forms of the sales pages: reject a handoff, log an activity."""

from django import forms

from handoffs.models import Activity, RejectionReason


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason…"), *RejectionReason.choices], label="Reason"
    )
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, label="What you did")
    outcome = forms.ChoiceField(
        choices=[("", "—"), *Activity.Outcome.choices], required=False, label="Outcome"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )
