"""Pages of the meeting room: home by role, the notification inbox, the agreement (its
version in force, proposals of the next one, the two sides' approvals, its history)."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment.forms import AgreementProposalForm, PreferencesForm
from alignment.models import AgreementVersion, Notification
from alignment.notifications import CHANNELS, KINDS
from alignment.pages import add_service_errors, paginate, role_required, wants_fragment
from alignment.roles import MANAGER, MARKETING, SALES, has_role
from alignment.services import (
    AgreementConflict,
    NoAgreementInForce,
    agreement_diff,
    agreement_history,
    agreement_in_force,
    agreement_url,
    approve_agreement,
    diff_base,
    mark_all_read,
    mark_read,
    preferences_of,
    propose_agreement,
    sides_open_to,
    team_time_zone,
    update_preferences,
)
from handoffs.models import RejectionReason
from leads.models import Lead, Stage


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


def _in_force() -> AgreementVersion | None:
    try:
        return agreement_in_force()
    except NoAgreementInForce:
        return None


def _lead_field_label(name: str) -> str:
    """A lead field's name as people read it ("Job title"); an unknown one as stored."""
    try:
        return str(Lead._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name


@role_required()
def agreement(request):
    """The agreement version in force and who signed it, the versions proposed to follow
    it (each with what it changes and, for a manager who may sign, an Approve button) and
    every version there has been."""
    version = _in_force()
    history = list(agreement_history())
    drafts = [draft for draft in history if draft.status == AgreementVersion.Status.DRAFT]
    reasons = dict(RejectionReason.choices)
    owners = version.responsibilities if version else {}
    funnel = {stage: index for index, stage in enumerate(Stage.values)}
    context = {
        "version": version,
        "can_propose": has_role(request.user, MANAGER) and version is not None,
        "drafts": [
            {
                "version": draft,
                "diff": agreement_diff(draft, diff_base(draft, in_force=version)),
                "sides": sides_open_to(draft, request.user),
            }
            for draft in drafts
        ],
        "history": [
            {"version": each, "diff": agreement_diff(each, each.based_on)} for each in history
        ],
        # In funnel order: PostgreSQL keeps JSON keys in an order of its own.
        "responsibilities": sorted(
            ({"stage": stage, **roles} for stage, roles in owners.items()),
            key=lambda row: funnel.get(row["stage"], len(funnel)),
        ),
        "rejection_reasons": [
            (code, reasons.get(code, code))
            for code in (version.rejection_reasons if version else [])
        ],
        "definitions": [
            line for line in (version.definitions if version else "").splitlines() if line.strip()
        ],
    }
    context["required_fields"] = [
        _lead_field_label(name) for name in (version.mql_required_fields if version else [])
    ]
    return render(request, "alignment/agreement.html", context)


@role_required(MANAGER)
def agreement_propose(request):
    """A manager proposes the next version: the terms in force, changed where they say."""
    version = _in_force()
    if version is None:
        messages.error(request, "No agreement is in force to build on.")
        return redirect("agreement")
    status = 200
    if request.method == "POST":
        form = AgreementProposalForm(request.POST)
        if form.is_valid():
            try:
                draft = propose_agreement(
                    by=request.user,
                    based_on=version,
                    notes=form.cleaned_data["notes"],
                    **form.terms(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Proposed v{draft.number}. It takes effect once a marketing manager and "
                    "a sales manager approve it.",
                )
                return redirect(agreement_url(draft))
        status = 400
    else:
        form = AgreementProposalForm(initial=AgreementProposalForm.initial_from(version))
    context = {"form": form, "version": version}
    return render(request, "alignment/agreement_propose.html", context, status=status)


@require_POST
@role_required(MANAGER)
def agreement_approve(request, pk: int):
    """Approve a proposed version for the caller's side (``side`` when they hold both)."""
    version = get_object_or_404(AgreementVersion, pk=pk)
    back = agreement_url(version)
    try:
        version = approve_agreement(version, by=request.user, side=request.POST.get("side") or None)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    except AgreementConflict as error:
        messages.error(request, str(error))
        return redirect(back)
    if version.status == AgreementVersion.Status.IN_FORCE:
        messages.success(request, f"Agreement v{version.number} is in force from now.")
    else:
        messages.success(
            request,
            f"You approved v{version.number}. It takes effect once the other side approves it.",
        )
    return redirect(back)
