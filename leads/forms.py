"""Forms of the lead pages; ``handoffs.services.move_lead`` does the moving."""

from django import forms

from leads.models import Stage


class StageForm(forms.Form):
    """Move a lead: the service checks the role, the transition, reason and amount."""

    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, required=False)
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, label="Deal amount"
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "comment-help"}),
        label="Comment",
        help_text="Type @ and a username to notify a colleague.",
    )
