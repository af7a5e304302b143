"""The page where people make and revoke their own API tokens (``/account/tokens/``)."""

from datetime import date, datetime, time

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from alignment.models import ApiToken
from alignment.pages import paginate, role_required
from alignment.services.tokens import NAME_MAX_LENGTH, IssuedToken, create_token, revoke_token


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="What will use it, such as “Website forms” or “CRM sync”.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="It works until the end of this day. Empty: until you revoke it.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data["expires_on"]
        if day is not None and day >= date.max:
            raise ValidationError("Choose an earlier date.")
        return day

    def expires_at(self) -> datetime | None:
        """The last moment of the chosen day in the reader's time zone (the page's)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


@role_required()
def api_tokens(request):
    """The user's tokens, a form to make one (whose key is shown on the answer only), and
    a revoke button per token."""
    if request.method == "POST" and "revoke" in request.POST:
        return _revoke(request)
    form = NewTokenForm()
    issued: IssuedToken | None = None
    status = 200
    if request.method == "POST":
        form = NewTokenForm(request.POST)
        if form.is_valid():
            try:
                issued = create_token(
                    request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error("expires_on" if field == "expires_at" else field, problems)
            else:
                form = NewTokenForm()
        if issued is None:
            status = 400
    context = {
        "form": form,
        "issued": issued,
        "page": paginate(request, ApiToken.objects.filter(user=request.user)),
    }
    response = render(request, "alignment/tokens.html", context, status=status)
    if issued is not None:
        # The key is on this answer only: no cache (nor the back button) may keep it.
        response["Cache-Control"] = "no-store"
    return response


def _revoke(request):
    try:
        pk = int(request.POST["revoke"])
    except ValueError:
        raise Http404("No such token.") from None
    token = revoke_token(get_object_or_404(ApiToken, pk=pk, user=request.user))
    messages.success(request, f"Revoked “{token.name}”: it no longer opens the API.")
    return redirect("api_tokens")
