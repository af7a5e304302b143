"""Pages of the meeting room: home by role, the notification inbox, the agreement."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment.forms import PreferencesForm
from alignment.models import AgreementVersion, Notification
from alignment.notifications import CHANNELS, KINDS
from alignment.pages import paginate, role_required, wants_fragment
from alignment.roles import MANAGER, MARKETING, SALES, has_role
from alignment.services import (
    AGREEMENT_TERMS,
    NoAgreementInForce,
    agreement_drafts,
    agreement_in_force,
    mark_all_read,
    mark_read,
    preferences_of,
    team_time_zone,
    update_preferences,
)


def home(request):
    """Send each role to where its day starts."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if has_role(user, MANAGER):
        return redirect("kpis:dashboard")
    if has_role(user, MARKETING):
        return redirect("campaigns:list")
    if has_role(user, SALES):
        return redirect("handoffs:queue")
    raise PermissionDenied("Your account has no role yet.")


@role_required()
def notifications(request):
    inbox = Notification.objects.filter(recipient=request.user, in_app=True).order_by(
        "-created_at", "-id"
    )
    show = request.GET.get("show", "all")
    if show == "unread":
        inbox = inbox.filter(read_at__isnull=True)
    context = {"page": paginate(request, inbox), "show": show}
    return render(request, "alignment/notifications.html", context)


@role_required()
def notification_preferences(request):
    """Which channels each kind of notification reaches this user by, and their zone."""
    stored = preferences_of(request.user)
    team_zone = team_time_zone()
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST, team_zone=team_zone)
        if form.is_valid():
            try:
                update_preferences(
                    request.user,
                    channels=form.channels(),
                    time_zone=form.cleaned_data["time_zone"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    kind = KINDS.get(field)
                    for problem in problems:
                        form.add_error(
                            field if field in form.fields else None,
                            f"{kind.label}: {problem}" if kind else problem,
                        )
            else:
                messages.success(request, "Saved your notification preferences.")
                return redirect("notification_preferences")
        status = 400
    else:
        form = PreferencesForm(
            initial=PreferencesForm.initial_from(stored.channels, stored.time_zone),
            team_zone=team_zone,
        )
    context = {"form": form, "channels": CHANNELS}
    return render(request, "alignment/preferences.html", context, status=status)


@require_POST
@role_required()
def notification_read(request, pk: int):
    """Mark one notification read; ``open`` in the form also follows its link."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(notification)
    if "open" in request.POST and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    if wants_fragment(request):
        return render(request, "alignment/_notification_row.html", {"notification": notification})
    return redirect("notifications")


@require_POST
@role_required()
def notification_read_all(request):
    count = mark_all_read(request.user)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")


@role_required()
def agreement(request):
    """The agreement version in force, read-only: both teams work to the same terms; and
    the versions proposed to follow it."""
    try:
        version = agreement_in_force()
    except NoAgreementInForce:
        version = None
    responsibilities = []
    if version is not None:
        responsibilities = [
            {"stage": stage, **roles} for stage, roles in (version.responsibilities or {}).items()
        ]
    context = {
        "version": version,
        "drafts": [
            {"version": draft, "changes": _changes(version, draft)} for draft in agreement_drafts()
        ],
        "responsibilities": responsibilities,
        "definitions": [
            line for line in (version.definitions if version else "").splitlines() if line.strip()
        ],
    }
    return render(request, "alignment/agreement.html", context)


def _changes(version: AgreementVersion | None, draft: AgreementVersion) -> list[dict]:
    """The terms ``draft`` changes in the version in force: label, from, to."""
    if version is None:
        return []
    return [
        {
            "label": label,
            "before": _shown(getattr(version, name)),
            "after": _shown(getattr(draft, name)),
        }
        for name, label in AGREEMENT_TERMS.items()
        if getattr(version, name) != getattr(draft, name)
    ]


def _shown(value) -> str | None:
    """A term as a short text; None for the long ones (stage owners, definitions)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, int):
        return str(value)
    return None
