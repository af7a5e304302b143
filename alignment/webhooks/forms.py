"""The subscription form of the webhook pages (the rules are in ``services``)."""

from django import forms

from alignment.webhooks.services import EVENT_NAMES


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text="Where to POST events."
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, name) for name in EVENT_NAMES],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    secret = forms.CharField(
        label="Secret",
        max_length=100,
        required=False,
        help_text="Leave empty to keep it (or, for a new webhook, to have one made).",
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)
