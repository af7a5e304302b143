"""Forms of the sales pages: reject or reassign a handoff, log an activity."""

from django import forms
from django.contrib.auth import get_user_model

from handoffs.models import Activity, RejectionReason
from handoffs.services import rejection_reasons


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason…"), *RejectionReason.choices], label="Reason"
    )
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )

    @staticmethod
    def reason_choices() -> list[tuple[str, str]]:
        """The dropdown's choices: the reasons the agreement in force allows."""
        return [("", "Choose a reason…"), *rejection_reasons()]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, label="What you did")
    outcome = forms.ChoiceField(
        choices=[("", "—"), *Activity.Outcome.choices], required=False, label="Outcome"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label="Give it to", empty_label="Choose a rep…"
    )
    reason = forms.CharField(required=False, max_length=500, label="Why")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from handoffs.routing.forms import RepChoiceField, sales_reps

        self.fields["to"] = RepChoiceField(
            queryset=sales_reps(), label="Give it to", empty_label="Choose a rep…"
        )
