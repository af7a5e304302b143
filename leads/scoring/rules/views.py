"""The rules pages: versions, a draft's editor with a live preview, backtest, activation.

Everyone may read the rules; marketing and managers make, edit and activate versions.
Every form works without JavaScript (plain POST and a full page); with htmx the editor,
the preview and the backtest update in place.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from alignment.jobs import visible_jobs
from alignment.pages import role_required, wants_fragment
from alignment.roles import MANAGER, MARKETING, has_role
from leads.models import ScoringRuleSet, TouchpointKind
from leads.scoring import rescoring
from leads.scoring.rules import services
from leads.scoring.rules.backtest import backtest_ruleset
from leads.scoring.rules.forms import (
    RuleSetForm,
    ordered,
    posted_rows,
    rows_data,
    rule_initial,
    rules_formset,
)
from leads.scoring.rules.preview import preview
from leads.scoring.rules.queries import active_ruleset, changes_between, rules_of
from leads.scoring.rules.wording import fit_words

EDITORS = (MARKETING, MANAGER)


def _ruleset(pk: int) -> ScoringRuleSet:
    return get_object_or_404(
        ScoringRuleSet.objects.select_related(
            "created_by", "updated_by", "activated_by", "based_on"
        ),
        pk=pk,
    )


def _may_edit(request) -> bool:
    return has_role(request.user, *EDITORS)


@role_required()
def ruleset_list(request):
    versions = ScoringRuleSet.objects.select_related("created_by", "activated_by").annotate(
        rule_count=Count("rules")
    )
    return render(
        request,
        "leads/scoring/rules/list.html",
        {"versions": versions, "may_edit": _may_edit(request)},
    )


@role_required(*EDITORS)
def ruleset_new(request):
    """A new draft: a copy of the version named by ``from`` (default: the one in force)."""
    if request.method != "POST":
        return redirect("leads:rules")
    source = None
    if request.POST.get("from"):
        if not request.POST["from"].isdigit():
            raise Http404
        source = get_object_or_404(ScoringRuleSet, pk=request.POST["from"])
    draft = services.create_draft(by=request.user, based_on=source)
    messages.success(request, f"Draft version {draft.pk} made. Edit it, preview, then activate.")
    return redirect("leads:rules_detail", draft.pk)


@role_required()
def ruleset_detail(request, pk: int):
    """A version: the editor for a draft (marketing and managers), else its rules."""
    ruleset = _ruleset(pk)
    if not (ruleset.is_draft and _may_edit(request)):
        return _render_version(request, ruleset)
    if request.method != "POST":
        return _render_editor(
            request,
            ruleset,
            form=RuleSetForm(initial=RuleSetForm.initial_for(ruleset)),
            formset=rules_formset(rules=[rule_initial(rule) for rule in rules_of(ruleset)]),
        )
    return _edit(request, ruleset)


def _edit(request, ruleset: ScoringRuleSet):
    action = request.POST.get("action", "save")
    data = request.POST
    if action.startswith(("add_", "remove_")):
        # A row added or removed: the editor again with the rows as typed (and renumbered),
        # nothing saved and no error shown yet.
        rows = posted_rows(request.POST)
        if action in ("add_fit", "add_engagement"):
            rows.append({"kind": action.removeprefix("add_")})
        elif action.removeprefix("remove_").isdigit():
            index = int(action.removeprefix("remove_"))
            if index < len(rows):
                del rows[index]
        data = rows_data(rows, request.POST)
    form = RuleSetForm(data)
    formset = rules_formset(data=data)
    valid = form.is_valid() & formset.is_valid()
    if valid and action == "save":
        row_forms = ordered(formset)
        try:
            services.update_draft(
                ruleset,
                by=request.user,
                name=form.cleaned_data["name"],
                decay_half_life_days=form.cleaned_data["decay_half_life_days"],
                note=form.cleaned_data["note"],
                rules=[row.rule() for row in row_forms],
            )
        except services.NotADraft as exc:
            messages.error(request, str(exc))
            return _redirect(request, reverse("leads:rules_detail", args=[ruleset.pk]))
        except ValidationError as error:
            _place_errors(form, row_forms, error)
            valid = False
        else:
            messages.success(request, f"Draft version {ruleset.pk} saved.")
            return _redirect(request, reverse("leads:rules_detail", args=[ruleset.pk]))
    show_errors = action in ("save", "preview")
    return _render_editor(
        request,
        ruleset,
        form=form,
        formset=formset,
        show_errors=show_errors,
        status=422 if show_errors and not valid else 200,
    )


def _place_errors(form, rows, error: ValidationError) -> None:
    """A service's errors (``rules[2].value``, ``name``) beside the field they concern."""
    for key, messages_ in error.message_dict.items():
        if key.startswith("rules["):
            index, _, name = key.removeprefix("rules[").partition("].")
            row = rows[int(index)]
            row.add_error(name if name in row.fields else None, messages_)
        else:
            form.add_error(key if key in form.fields else None, messages_)


def _redirect(request, url: str):
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render_editor(request, ruleset, *, form, formset, show_errors=False, status=200):
    """The editor page (or, for htmx, the editor and its preview): the preview is of the
    rows shown when they are valid, of the saved draft on a first visit."""
    context = {"ruleset": ruleset, "form": form, "formset": formset}
    if not formset.is_bound:
        context["preview"] = preview(rules_of(ruleset), half_life_days=ruleset.decay_half_life_days)
    elif form.is_valid() and formset.is_valid():
        context["preview"] = preview(
            [row.rule() for row in ordered(formset)],
            half_life_days=form.cleaned_data["decay_half_life_days"],
        )
    elif show_errors:
        context["problems"] = _problems(form, formset)
    rows = list(formset.forms)
    context.update(
        fit_rows=[(index, row) for index, row in enumerate(rows) if row.is_fit],
        engagement_rows=[(index, row) for index, row in enumerate(rows) if not row.is_fit],
        show_errors=show_errors,
        active=active_ruleset(),
        changes=_changes(ruleset),
    )
    if wants_fragment(request):
        return render(request, "leads/scoring/rules/_editor.html", context, status=status)
    return render(request, "leads/scoring/rules/edit.html", context, status=status)


def _changes(ruleset: ScoringRuleSet):
    base = ruleset.based_on
    if base is None:
        return None
    return changes_between(rules_of(base), rules_of(ruleset))


def _render_version(request, ruleset: ScoringRuleSet, *, status: int = 200):
    job = None
    if request.GET.get("job", "").isdigit():
        job = visible_jobs(request.user).filter(pk=request.GET["job"]).first()
    rules = rules_of(ruleset)
    kinds = dict(TouchpointKind.choices)
    return render(
        request,
        "leads/scoring/rules/detail.html",
        {
            "ruleset": ruleset,
            "fit_rules": [
                {"rule": rule, "words": fit_words(rule)} for rule in rules if rule.kind == "fit"
            ],
            "engagement_rules": [
                {"rule": rule, "touchpoint": kinds.get(rule.touchpoint_kind, rule.touchpoint_kind)}
                for rule in rules
                if rule.kind != "fit"
            ],
            "changes": _changes(ruleset),
            "may_edit": _may_edit(request),
            "job": job,
        },
        status=status,
    )


@role_required(*EDITORS)
def ruleset_preview(request, pk: int):
    """The preview of the rules as typed (htmx, as the editor changes)."""
    ruleset = _ruleset(pk)
    if request.method != "POST":
        return redirect("leads:rules_detail", ruleset.pk)
    form = RuleSetForm(request.POST)
    formset = rules_formset(data=request.POST)
    context: dict = {"ruleset": ruleset}
    if form.is_valid() and formset.is_valid():
        context["preview"] = preview(
            [row.rule() for row in ordered(formset)],
            half_life_days=form.cleaned_data["decay_half_life_days"],
        )
    else:
        context["problems"] = _problems(form, formset)
    return render(request, "leads/scoring/rules/_preview.html", context)


def _problems(form, formset) -> list[str]:
    """The errors as sentences ("Fit rule 2, value: ..."), for the preview, which is what
    an editor sees change while typing."""
    problems = [
        f"{form[name].label}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name in form.fields
    ]
    problems += [str(error) for error in formset.non_form_errors()]
    numbers = {"fit": 0, "engagement": 0}
    for row in formset.forms:
        kind = "fit" if row.is_fit else "engagement"
        numbers[kind] += 1
        for name, errors in row.errors.items():
            where = row[name].label.lower() if name in row.fields else "rule"
            problems.append(
                f"{kind.capitalize()} rule {numbers[kind]}, {where}: {' '.join(errors)}"
            )
    return problems


@role_required(*EDITORS)
def ruleset_backtest(request, pk: int):
    """The version's backtest next to the one in force, on leads with an outcome."""
    ruleset = _ruleset(pk)
    if request.method != "POST":
        return redirect("leads:rules_detail", ruleset.pk)
    report = backtest_ruleset(ruleset)
    if wants_fragment(request):
        return render(request, "leads/scoring/rules/_backtest.html", {"report": report})
    return render(
        request, "leads/scoring/rules/backtest.html", {"ruleset": ruleset, "report": report}
    )


@role_required(*EDITORS)
def ruleset_activate(request, pk: int):
    ruleset = _ruleset(pk)
    if request.method != "POST":
        return redirect("leads:rules_detail", ruleset.pk)
    try:
        job = services.activate_ruleset(ruleset, by=request.user)
    except services.NotADraft as exc:
        messages.error(request, str(exc))
        return _redirect(request, reverse("leads:rules_detail", args=[ruleset.pk]))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _redirect(request, reverse("leads:rules_detail", args=[ruleset.pk]))
    leads = job.total or 0
    messages.success(
        request,
        f"Version {ruleset.pk} is in force. Rescoring {leads:,} lead{'' if leads == 1 else 's'}.",
    )
    url = reverse("leads:rules_detail", args=[ruleset.pk]) + f"?job={job.pk}"
    return _redirect(request, url)


@role_required()
def rescore_progress(request, job_pk: int):
    """A rescore's progress card (htmx polls it until the job is finished)."""
    job = visible_jobs(request.user).filter(pk=job_pk, kind=rescoring.JOB_KIND).first()
    if job is None:
        raise Http404
    return render(request, "leads/scoring/rules/_progress.html", {"job": job})
