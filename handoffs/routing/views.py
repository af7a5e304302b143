"""Routing pages: the rules in order with a dry run, the rule editor, business hours and
the team's availability. Everyone selling reads them; managers change them."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from alignment import business_hours
from alignment.notifications import person
from alignment.pages import add_service_errors, role_required, wants_fragment
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import (
    agreement_in_force,
    team_calendar_row,
    update_team_calendar,
    working_calendar,
)
from campaigns.models import Campaign, Channel
from handoffs.routing import engine, services
from handoffs.routing.forms import (
    SPARE_CONDITIONS,
    SPARE_MEMBERS,
    AvailabilityForm,
    CalendarForm,
    ConditionFormSet,
    MemberFormSet,
    RuleForm,
    sales_reps,
)
from handoffs.routing.models import RepAvailability, RoutingRule

#: How many of the latest MQLs a dry run replays.
DRY_RUN_SIZE = 50


def describe_condition(condition: dict, campaigns: dict[str, str]) -> str:
    """A condition in words: "Country is one of DE, AT, CH"."""
    field = engine.FIELDS.get(condition["field"], condition["field"])
    operator = engine.OPERATORS.get(condition["operator"], condition["operator"])
    value = condition.get("value", "")
    if condition["field"] == "campaign":
        value = ", ".join(campaigns.get(part.strip(), part.strip()) for part in value.split(","))
    elif condition["field"] == "channel":
        labels = dict(Channel.choices)
        value = ", ".join(labels.get(part.strip(), part.strip()) for part in value.split(","))
    if condition["operator"] == "is_empty":
        return f"{field} {operator}"
    return f"{field} {operator} {value}"


def _rule_rows(rules, *, users) -> list[dict]:
    campaigns = {str(pk): name for pk, name in Campaign.objects.values_list("pk", "name")}
    rows = []
    for rule in rules:
        members = list(rule.members.all())
        rows.append(
            {
                "rule": rule,
                "conditions": [describe_condition(c, campaigns) for c in rule.conditions],
                "rep": users.get(rule.rep_id),
                "members": [
                    {
                        "user": users.get(member.user_id),
                        "weight": member.weight,
                        "assigned": member.assigned,
                    }  # fmt: skip
                    for member in members
                ],
            }
        )
    return rows


@role_required()
def rule_list(request):
    rules = list(RoutingRule.objects.prefetch_related("members").order_by("position", "id"))
    ids = {rule.rep_id for rule in rules} | {
        m.user_id for rule in rules for m in rule.members.all()
    }
    users = get_user_model().objects.in_bulk([pk for pk in ids if pk is not None])
    context = {
        "rows": _rule_rows(rules, users=users),
        "may_edit": has_role(request.user, MANAGER),
        "dry_run": None,
    }
    if request.GET.get("dry_run"):
        context["dry_run"] = _dry_run_table(services.dry_run(services.latest_mqls(DRY_RUN_SIZE)))
    if wants_fragment(request) and context["dry_run"] is not None:
        return render(request, "handoffs/routing/_dry_run.html", context)
    return render(request, "handoffs/routing/list.html", context)


def _dry_run_table(rows) -> dict:
    return {"rows": rows, "changed": sum(1 for row in rows if row.changed), "count": len(rows)}


def _bound_forms(request):
    form = RuleForm(request.POST)
    conditions = ConditionFormSet(request.POST, prefix="conditions")
    members = MemberFormSet(request.POST, prefix="members")
    return form, conditions, members


def _initial_forms(rule: RoutingRule | None):
    if rule is None:
        form = RuleForm(initial={"action": RoutingRule.Action.ROUND_ROBIN, "active": True})
        conditions = ConditionFormSet(prefix="conditions", initial=[{}] * SPARE_CONDITIONS)
        members = MemberFormSet(prefix="members", initial=[{"weight": 1}] * SPARE_MEMBERS)
        return form, conditions, members
    form = RuleForm(
        initial={
            "name": rule.name,
            "action": rule.action,
            "rep": rule.rep_id,
            "position": rule.position,
            "active": rule.active,
        }
    )
    conditions = ConditionFormSet(
        prefix="conditions", initial=[*rule.conditions, *([{}] * SPARE_CONDITIONS)]
    )
    members = MemberFormSet(
        prefix="members",
        initial=[
            *({"user": m.user_id, "weight": m.weight} for m in rule.members.all()),
            *([{"weight": 1}] * SPARE_MEMBERS),
        ],
    )
    return form, conditions, members


def _with_rows(formset_class, request, *, prefix: str, add: bool, remove: int | None, blank):
    """The posted rows again, with one row more (``add``) or one less (``remove``)."""
    bound = formset_class(request.POST, prefix=prefix)
    rows = []
    for index, row in enumerate(bound.forms):
        if index == remove:
            continue
        rows.append({name: row[name].value() for name in row.fields})
    if add:
        rows.append(dict(blank))
    return formset_class(prefix=prefix, initial=rows)


@role_required(MANAGER)
def rule_edit(request, pk: int | None = None):
    """Add or change a rule. "Dry run" shows where the latest MQLs would go with the rule
    as edited, next to where they went, without saving anything."""
    rule = get_object_or_404(RoutingRule, pk=pk) if pk else None
    dry_run = None
    status = 200
    if request.method != "POST":
        form, conditions, members = _initial_forms(rule)
        return _render_editor(request, rule, form, conditions, members, dry_run, status)
    action = request.POST.get("do", "save")
    if action.startswith(("add_", "remove_")):
        form, conditions, members = _bound_forms(request)
        kind, _, index = action.partition("_")[2].partition("_")
        remove = int(index) if action.startswith("remove_") and index.isdigit() else None
        conditions = _with_rows(
            ConditionFormSet, request, prefix="conditions",
            add=action == "add_condition", remove=remove if kind == "condition" else None,
            blank={},
        )  # fmt: skip
        members = _with_rows(
            MemberFormSet, request, prefix="members",
            add=action == "add_member", remove=remove if kind == "member" else None,
            blank={"weight": 1},
        )  # fmt: skip
        # Rows added or removed, nothing saved: the rule's own fields show without errors.
        form = RuleForm(initial={name: form[name].value() for name in form.fields})
        return _render_editor(request, rule, form, conditions, members, dry_run, status)
    form, conditions, members = _bound_forms(request)
    if not (form.is_valid() and conditions.is_valid() and members.is_valid()):
        return _render_editor(request, rule, form, conditions, members, dry_run, 400)
    values = {
        "name": form.cleaned_data["name"],
        "conditions": [c for row in conditions.forms if (c := row.as_condition())],
        "action": form.cleaned_data["action"],
        "rep": form.cleaned_data.get("rep"),
        "members": [m for row in members.forms if (m := row.as_member())],
    }
    errors = services.rule_errors(**values)
    if errors:
        add_service_errors(form, ValidationError(errors))
        return _render_editor(request, rule, form, conditions, members, dry_run, 400)
    if action == "dry_run":
        draft = services.compile_draft(**values, rule_id=rule.pk if rule else 0)
        rules = services.rules_with(
            draft, position=form.cleaned_data.get("position"), active=form.cleaned_data["active"]
        )
        dry_run = _dry_run_table(services.dry_run(services.latest_mqls(DRY_RUN_SIZE), rules=rules))
        if wants_fragment(request):
            return render(request, "handoffs/routing/_dry_run.html", {"dry_run": dry_run})
        return _render_editor(request, rule, form, conditions, members, dry_run, 200)
    extra = {"active": form.cleaned_data["active"], "position": form.cleaned_data.get("position")}
    try:
        if rule is None:
            rule = services.create_rule(by=request.user, **values, **extra)
            messages.success(request, f"Added the rule “{rule.name}”.")
        else:
            if extra["position"] is None:
                del extra["position"]
            rule = services.update_rule(rule, by=request.user, **values, **extra)
            messages.success(request, f"Saved the rule “{rule.name}”.")
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_editor(request, rule, form, conditions, members, dry_run, 400)
    return redirect("handoffs:routing")


def _render_editor(request, rule, form, conditions, members, dry_run, status):
    context = {
        "rule": rule,
        "form": form,
        "conditions": conditions,
        "members": members,
        "dry_run": dry_run,
        "fields": engine.FIELDS,
        "channels": Channel.choices,
        "campaigns": Campaign.objects.order_by("name").values_list("pk", "name"),
    }
    return render(request, "handoffs/routing/edit.html", context, status=status)


@require_POST
@role_required(MANAGER)
def rule_move(request, pk: int):
    rule = get_object_or_404(RoutingRule, pk=pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    services.update_rule(rule, by=request.user, position=max(1, rule.position + step))
    return redirect("handoffs:routing")


@require_POST
@role_required(MANAGER)
def rule_delete(request, pk: int):
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.delete_rule(rule, by=request.user)
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return redirect("handoffs:routing")


@role_required()
def calendar(request):
    """The team's business hours; SLA minutes count only inside them."""
    row = team_calendar_row()
    may_edit = has_role(request.user, MANAGER)
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("Only a manager can change the team's business hours.")
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                update_team_calendar(by=request.user, **form.calendar())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Saved the business hours.")
                return redirect("handoffs:calendar")
        status = 400
    else:
        form = CalendarForm(initial=CalendarForm.initial_from(row))
    context = {"form": form, "row": row, "may_edit": may_edit, "example": _example(row)}
    return render(request, "handoffs/routing/calendar.html", context, status=status)


def _example(row) -> dict | None:
    """When an MQL arriving now would be due under the agreement's claim target."""
    try:
        calendar_ = working_calendar(row)
        minutes = agreement_in_force().claim_sla_minutes
    except Exception:  # a calendar that cannot be read says so on the form instead
        return None
    now = timezone.now()
    return {
        "minutes": minutes,
        "due": business_hours.add_working_minutes(calendar_, now, minutes),
    }


@role_required(SALES, MANAGER)
def team(request):
    """Each rep's capacity, load and time away; a rep edits their own time away."""
    reps = list(sales_reps())
    now = timezone.now()
    reasons = services.unavailable_reasons(reps, now=now)
    in_play = services.loads([rep.pk for rep in reps])
    availability = {row.user_id: row for row in RepAvailability.objects.filter(user__in=reps)}
    is_manager = has_role(request.user, MANAGER)
    rows = []
    for rep in reps:
        row = availability.get(rep.pk)
        editable = is_manager or rep.pk == request.user.pk
        rows.append(
            {
                "rep": rep,
                "availability": row,
                "load": in_play[rep.pk],
                "status": reasons[rep.pk],
                "form": AvailabilityForm(
                    initial={
                        "capacity": row.capacity if row else None,
                        "away_from": row.away_from if row else None,
                        "away_until": row.away_until if row else None,
                    },
                    prefix=f"rep{rep.pk}",
                )
                if editable
                else None,
            }
        )
    context = {"rows": rows, "is_manager": is_manager, "soon": now + timedelta(days=1)}
    return render(request, "handoffs/routing/team.html", context)


@require_POST
@role_required(SALES, MANAGER)
def availability(request, user_pk: int):
    rep = get_object_or_404(sales_reps(), pk=user_pk)
    form = AvailabilityForm(request.POST, prefix=f"rep{rep.pk}")
    if form.is_valid():
        data = form.cleaned_data
        capacity = data["capacity"]
        if not has_role(request.user, MANAGER):
            capacity = services.availability_of(rep).capacity
        try:
            services.set_availability(
                rep,
                by=request.user,
                capacity=capacity,
                away_from=data["away_from"],
                away_until=data["away_until"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Saved {person(rep)}'s availability.")
    else:
        problems = "; ".join(
            f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
        )
        messages.error(request, f"Not saved. {problems}")
    return redirect("handoffs:team")
