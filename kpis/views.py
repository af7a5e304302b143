"""The shared dashboard (goals, the funnel, the KPI numbers both teams are measured by,
trends and the campaign and rep tables, each table also as CSV) and the calibration
report (how well scores foretold what sales did with the leads).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from alignment.pages import role_required
from alignment.roles import MANAGER, MARKETING, has_role
from alignment.services import NoAgreementInForce, agreement_in_force, propose_agreement
from kpis.dashboard import SECTIONS, TREND_METRICS, sections_for
from kpis.exports import TABLES, filename, trend_csv, write_csv
from kpis.forms import CalibrationForm, DashboardFilterForm
from kpis.queries import ATTRIBUTION_LABELS, ATTRIBUTIONS, calibration, trend_metrics
from kpis.queries.base import in_kpi_time_zone
from kpis.queries.buckets import INTERVALS
from kpis.queries.rollups import fresh_rollup


def _page_context(request) -> dict:
    """What the page and each of its sections share: the filters and the query."""
    form = DashboardFilterForm(request.GET, user=request.user)
    query = form.query()
    leads_url = reverse("leads:list")
    if query.scope.campaign:
        leads_url += f"?campaign={query.scope.campaign}"
    return {
        "form": form,
        "query": query,
        "period": query.period,
        "previous_period": query.period.previous(),
        "period_label": query.label,
        "leads_url": leads_url,
        "attributions": [(model, ATTRIBUTION_LABELS[model]) for model in ATTRIBUTIONS],
        "intervals": INTERVALS,
        "can_open_campaigns": has_role(request.user, MARKETING, MANAGER),
    }


@role_required()
def dashboard(request):
    """The page both teams read every Monday: goals, the funnel, the key numbers against
    the period before, trends, speed to lead, and the campaign and rep tables.

    The page itself holds the filters; each section (``dashboard.SECTIONS``) arrives by
    a request of its own (htmx, as the page opens; without JavaScript, a link to it).
    Days, weeks and months are the team's whoever reads the page, as in the API, the
    CSV exports and the goals (``in_kpi_time_zone``).
    """
    with in_kpi_time_zone():
        context = _page_context(request)
        query = context["query"]
        rollup = fresh_rollup([context["previous_period"], query.period], query.scope)
        querystring = request.GET.urlencode()
        context["sections"] = [
            {
                "name": section.name,
                "label": section.label,
                "url": reverse("kpis:section", args=[section.name])
                + (f"?{querystring}" if querystring else ""),
            }
            for section in sections_for(request.user)
        ]
        context["as_of"] = rollup.refreshed_at if rollup else None
        context["rollup_minutes"] = settings.KPI_ROLLUP_MINUTES
        return render(request, "kpis/dashboard.html", context)


@role_required()
def dashboard_section(request, name: str):
    """One section of the dashboard for the page's filters: the fragment htmx puts in
    its place, or a page of its own for a browser without JavaScript."""
    section = SECTIONS.get(name)
    if section is None or section not in sections_for(request.user):
        raise Http404("No such section.")
    with in_kpi_time_zone():
        context = _page_context(request)
        context.update(section.load(context["query"], request.user))
        context["section"] = section
        template = f"kpis/sections/{name}.html"
        if not request.htmx:
            context["section_template"] = template
            template = "kpis/section_page.html"
        return render(request, template, context)


@role_required()
def dashboard_export(request, table: str):
    """A table of the dashboard as CSV, for the filters of the page (its query string),
    in the team's days as the page.

    ``trend`` draws the charts' KPIs unless ``metric`` names others (repeat it for more).
    """
    if table not in TABLES and table != "trend":
        raise Http404("No such table.")
    with in_kpi_time_zone():
        form = DashboardFilterForm(request.GET, user=request.user)
        query = form.query()
        problems = [
            f"{'period' if name == NON_FIELD_ERRORS else name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        ]
        names = request.GET.getlist("metric") or TREND_METRICS
        unknown = [name for name in names if name not in trend_metrics()]
        if table == "trend" and unknown:
            problems.append(
                f"metric: {', '.join(unknown)} cannot be drawn; choose from "
                f"{', '.join(trend_metrics())}."
            )
        if problems:
            # A download of other numbers than asked for would mislead: say what was wrong.
            return HttpResponseBadRequest(
                "\n".join(problems) + "\n", content_type="text/plain; charset=utf-8"
            )
        if table == "trend":
            header, rows = trend_csv(query, names)
        else:
            header, rows = TABLES[table](query)
        return write_csv(filename(table, query), header, rows)


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
