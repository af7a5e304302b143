"""The goals page: every goal with its progress bar and pace, and the form that sets,
changes or deletes one. Everyone with a role reads it; the goal services decide who may
set which goal."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alignment.pages import add_service_errors, is_filtered, paginate, role_required
from kpis.filters import GoalFilter
from kpis.forms_goals import GoalForm
from kpis.goals import (
    create_goal,
    delete_goal,
    goal_metrics,
    goals_with_progress,
    may_change_goal,
    update_goal,
)
from kpis.models import Goal


def _save(form: GoalForm, save: Callable[[dict], Goal]) -> Goal | None:
    """Run a goal service, turning its refusals and validation errors into form errors."""
    try:
        return save(form.goal_values())
    except ValidationError as error:
        add_service_errors(form, error)
    except PermissionDenied as refusal:
        form.add_error(None, str(refusal))
    return None


def _page(
    request: HttpRequest, form: GoalForm, *, editing: Goal | None = None, status: int = 200
) -> HttpResponse:
    goals = Goal.objects.select_related("campaign", "owner")
    filterset = GoalFilter(request.GET, queryset=goals)
    page = paginate(request, filterset.qs)
    rows = [
        {"progress": row, "may_edit": may_change_goal(request.user, row.goal)}
        for row in goals_with_progress(page.object_list)
    ]
    context = {
        "form": form,
        "editing": editing,
        "filter": filterset,
        "filtered": is_filtered(request),
        "page": page,
        "rows": rows,
    }
    return render(request, "kpis/goals.html", context, status=status)


def _saved(request: HttpRequest, goal: Goal, verb: str) -> HttpResponse:
    label = goal_metrics()[goal.metric].label
    messages.success(request, f"{verb} the goal on {label}.")
    return redirect("kpis:goals")


@role_required()
def goal_list(request):
    """The goals; a POST sets a new one."""
    form = GoalForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            goal = _save(form, lambda values: create_goal(by=request.user, **values))
            if goal is not None:
                return _saved(request, goal, "Set")
        return _page(request, form, status=400)
    return _page(request, form)


def _editable(request: HttpRequest, pk: int) -> Goal:
    goal = get_object_or_404(Goal.objects.select_related("campaign"), pk=pk)
    if not may_change_goal(request.user, goal):
        raise PermissionDenied("You may not change this goal.")
    return goal


@role_required()
def goal_edit(request, pk: int):
    goal = _editable(request, pk)
    if request.method != "POST":
        form = GoalForm(initial=GoalForm.initial_of(goal), user=request.user)
        return _page(request, form, editing=goal)
    form = GoalForm(request.POST, user=request.user)
    if form.is_valid():
        saved = _save(form, lambda values: update_goal(goal, by=request.user, **values))
        if saved is not None:
            return _saved(request, saved, "Saved")
    return _page(request, form, editing=goal, status=400)


@require_POST
@role_required()
def goal_delete(request, pk: int):
    goal = _editable(request, pk)
    delete_goal(goal, by=request.user)
    return _saved(request, goal, "Deleted")
