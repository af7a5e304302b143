"""The shared dashboard (the funnel and the KPI numbers both teams are measured by) and
the calibration report (how well scores foretold what sales did with the leads).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from alignment.pages import role_required
from alignment.roles import MANAGER, MARKETING, has_role
from alignment.services import NoAgreementInForce, agreement_in_force, propose_agreement
from kpis.forms import CalibrationForm, DashboardFilterForm
from kpis.queries import calibration, summary


@role_required()
def dashboard(request):
    form = DashboardFilterForm(request.GET or None)
    period, scope, label = form.period_and_scope()
    leads_url = reverse("leads:list")
    if scope.campaign:
        leads_url += f"?campaign={scope.campaign}"
    context = {
        "form": form,
        "numbers": summary(period, scope),
        "period": period,
        "period_label": label,
        "leads_url": leads_url,
    }
    return render(request, "kpis/dashboard.html", context)


def _in_force():
    try:
        return agreement_in_force()
    except NoAgreementInForce:
        return None


@role_required(MARKETING, MANAGER)
def calibration_report(request):
    """Where the MQL threshold should be, judged by what sales did with the handoffs."""
    form = CalibrationForm(request.GET or None)
    target = form.target_rate()
    agreement = _in_force()
    report = calibration(target, current_threshold=agreement.mql_threshold if agreement else None)
    context = {
        "form": form,
        "report": report,
        "agreement": agreement,
        "can_propose": has_role(request.user, MANAGER)
        and agreement is not None
        and report.suggested_threshold is not None
        and report.suggested_threshold != agreement.mql_threshold,
    }
    return render(request, "kpis/calibration.html", context)


@require_POST
@role_required(MANAGER)
def calibration_propose(request):
    """Propose the suggested threshold as the next agreement version (a draft).

    The threshold is worked out again here from the data, never taken from the form:
    the form only says which acceptance target the manager was looking at.
    """
    form = CalibrationForm(request.POST)
    back = reverse("kpis:calibration")
    if not form.is_valid():
        messages.error(request, "Pick an acceptance target between 50 % and 100 %.")
        return redirect(back)
    target = form.target_rate()
    agreement = _in_force()
    if agreement is None:
        messages.error(request, "No agreement is in force to build on.")
        return redirect(back)
    report = calibration(target, current_threshold=agreement.mql_threshold)
    back = f"{back}?target={target:g}"
    if report.suggested_threshold is None:
        messages.error(request, "No threshold meets that target yet: there is nothing to propose.")
        return redirect(back)
    try:
        draft = propose_agreement(
            by=request.user,
            based_on=agreement,
            notes=report.as_note(version=agreement.number, on=timezone.localdate()),
            mql_threshold=report.suggested_threshold,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request,
        f"Proposed v{draft.number} with an MQL threshold of {draft.mql_threshold}. "
        "It takes effect once a marketing and a sales manager approve it.",
    )
    return redirect("agreement")
