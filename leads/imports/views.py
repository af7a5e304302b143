"""Import pages: upload, mapping with a preview, progress and the report."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django_htmx.http import HttpResponseClientRefresh

from alignment.pages import (
    add_service_errors,
    is_filtered,
    paginate,
    role_required,
    wants_fragment,
)
from alignment.roles import MANAGER, MARKETING
from campaigns.models import Campaign
from leads.imports import services
from leads.imports.api import errors_csv_response
from leads.imports.filters import LeadImportFilter
from leads.imports.forms import MappingForm, UploadForm
from leads.imports.mapping import FIELDS
from leads.imports.models import LeadImport
from leads.imports.queries import reason_text, reasons, visible_imports

FAILED_ROWS_PER_PAGE = 25


def _import(request, pk: int) -> LeadImport:
    return get_object_or_404(visible_imports(request.user), pk=pk)


@role_required(MARKETING, MANAGER)
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                lead_import = services.create_import(
                    file=form.cleaned_data["file"],
                    by=request.user,
                    campaign=form.cleaned_data["campaign"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("leads:import_mapping", lead_import.pk)
        status = 422
    filterset = LeadImportFilter(
        request.GET, queryset=visible_imports(request.user), request=request
    )
    context = {
        "form": form,
        "filter": filterset,
        "filtered": is_filtered(request),
        "page": paginate(request, filterset.qs, per_page=10),
        "results_id": "history",
    }
    if request.method == "GET" and wants_fragment(request):
        return render(request, "leads/imports/_history.html", context)
    context["campaigns"] = Campaign.objects.order_by("name").values_list("pk", "name")
    context["mine_choices"] = [("true", "Me")]
    return render(request, "leads/imports/upload.html", context, status=status)


@role_required(MARKETING, MANAGER)
def import_mapping(request, pk: int):
    """The mapping form over a preview of the first rows; "Start import" queues it."""
    lead_import = _import(request, pk)
    if lead_import.status != LeadImport.Status.DRAFT:
        return redirect("leads:import_detail", lead_import.pk)
    headers = lead_import.headers
    status = 200
    if request.method == "POST":
        form = MappingForm(request.POST, headers=headers, mapping=lead_import.mapping)
        mapping = form.submitted_mapping()
        if form.is_valid():
            services.set_mapping(lead_import, mapping=form.cleaned_data["mapping"])
            if request.POST.get("action") == "start":
                services.start_import(lead_import, by=request.user)
                messages.success(request, f"Import of {lead_import.total:,} rows started.")
                return redirect("leads:import_detail", lead_import.pk)
        else:
            status = 422
    else:
        form = MappingForm(headers=headers, mapping=lead_import.mapping)
        mapping = lead_import.mapping
    rows = services.preview(lead_import, mapping=mapping)
    # A full name is shown as the first and last name it is split into.
    wanted = set(mapping.values())
    if "full_name" in wanted:
        wanted |= {"first_name", "last_name"}
    fields = [(f, label) for f, label in FIELDS.items() if f in wanted and f != "full_name"]
    columns = _columns(form, mapping, [row.cells for row in rows])
    context = {
        "lead_import": lead_import,
        "form": form,
        "columns": columns,
        "unmapped": sum(1 for column in columns if not column["mapped"]),
        "email_missing": "email" not in mapping.values(),
        "email_suggestion": _email_suggestion(columns),
        "preview": [
            {
                "row": row.row,
                "shown": [row.values.get(field) for field, _ in fields],
                "errors": reasons(mapping, headers, row.errors),
            }
            for row in rows
        ],
        "preview_fields": fields,
        "preview_problems": sum(1 for row in rows if row.errors),
    }
    if wants_fragment(request):
        # A changed select re-renders the preview and, out of band, what the columns table
        # says about the mapping (the selects stay, and so does the focus); 200 so htmx
        # swaps them in either way.
        return render(request, "leads/imports/_mapping_update.html", context)
    return render(request, "leads/imports/mapping.html", context, status=status)


SAMPLES_SHOWN = 3
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _columns(form: MappingForm, mapping: dict[str, str], cells: list[list[str]]) -> list[dict]:
    """The file's columns for the mapping table: those no field takes first (the ones a
    person may have to fix), each with a few of its values, so a column the guess missed
    is easy to see and to map."""
    columns = []
    for position, (header, field) in enumerate(form.columns()):
        samples: list[str] = []
        for row in cells:
            value = row[position].strip() if position < len(row) else ""
            if value and value not in samples:
                samples.append(value)
            if len(samples) == SAMPLES_SHOWN:
                break
        columns.append(
            {
                "position": position,
                "header": header,
                "field": field,
                "samples": samples,
                "mapped": header in mapping,
            }
        )
    return sorted(columns, key=lambda column: column["mapped"])


def _email_suggestion(columns: list[dict]) -> dict | None:
    """The first column not mapped whose values are email addresses, if any."""
    for column in columns:
        if not column["mapped"] and column["samples"]:
            if all(_ADDRESS.fullmatch(value) for value in column["samples"]):
                return column
    return None


def _report_context(request, lead_import: LeadImport) -> dict:
    email_header = next((h for h, f in lead_import.mapping.items() if f == "email"), None)
    email_at = lead_import.headers.index(email_header) if email_header else None
    page = paginate(request, lead_import.errors.order_by("row"), per_page=FAILED_ROWS_PER_PAGE)
    failures = [
        {
            "row": failure.row,
            "email": failure.values[email_at]
            if email_at is not None and email_at < len(failure.values)
            else "",
            "reason": reason_text(lead_import, failure.errors),
        }
        for failure in page.object_list
    ]
    return {"lead_import": lead_import, "job": lead_import.job, "page": page, "failures": failures}


@role_required(MARKETING, MANAGER)
def import_detail(request, pk: int):
    """Progress while the import runs, then its report."""
    lead_import = _import(request, pk)
    if lead_import.status == LeadImport.Status.DRAFT:
        return redirect("leads:import_mapping", lead_import.pk)
    context = _report_context(request, lead_import)
    if wants_fragment(request) and request.GET.get("page"):
        return render(request, "leads/imports/_failures.html", context)
    return render(request, "leads/imports/detail.html", context)


@role_required(MARKETING, MANAGER)
def import_progress(request, pk: int):
    """The progress bar alone, polled by htmx; once the import is over the whole page
    reloads to show the report."""
    lead_import = _import(request, pk)
    if lead_import.finished and getattr(request, "htmx", False):
        return HttpResponseClientRefresh()
    return render(
        request,
        "leads/imports/_progress.html",
        {"lead_import": lead_import, "job": lead_import.job},
    )


@role_required(MARKETING, MANAGER)
def import_errors_csv(request, pk: int):
    return errors_csv_response(_import(request, pk))
