"""The shared dashboard: the funnel and the KPI numbers both teams are measured by."""

from django.shortcuts import render
from django.urls import reverse

from alignment.pages import role_required
from kpis.forms import DashboardFilterForm
from kpis.queries import summary


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
