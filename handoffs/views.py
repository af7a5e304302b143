"""Sales pages: the claim queue, my leads, and the forms that work a lead."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment.pages import (
    add_service_errors,
    paginate,
    redirect_back,
    role_required,
    wants_fragment,
)
from alignment.roles import MANAGER, SALES, has_role
from handoffs import services
from handoffs.display import next_step, offer_of
from handoffs.forms import ActivityForm, ReassignForm, RejectForm
from handoffs.models import Activity, Handoff
from handoffs.queries import claim_queue, handoff_list, leads_of
from leads.filters import LeadFilter
from leads.forms import StageForm
from leads.lifecycle import IllegalTransition
from leads.models import Lead, Stage
from leads.views import can_log_activity, render_lead_detail, stage_actions

SELLERS = (SALES, MANAGER)

#: My leads shows the leads still being worked unless asked for all of them.
WORKING_STAGES = (Stage.SAL, Stage.SQL)


def _queue_context(request, *, reject_form=None, reject_for=None) -> dict:
    # Managers oversee the whole queue; a rep sees the team queue, what is routed to them,
    # and what was offered to another rep whose claim clock ran out.
    rep = None if has_role(request.user, MANAGER) else request.user
    page = paginate(request, claim_queue(rep))
    for handoff in page.object_list:
        handoff.offer = offer_of(handoff, request.user)
    return {
        "page": page,
        "reject_form": reject_form,
        "reject_for": reject_for,
        "reasons": RejectForm.reason_choices(),
    }


@role_required(*SELLERS)
def queue(request):
    if wants_fragment(request):
        return render(request, "handoffs/_queue_table.html", _queue_context(request))
    return render(request, "handoffs/queue.html", _queue_context(request))


def _row(request, handoff: Handoff, *, status: int = 200, **extra):
    """One queue row for htmx, with the toasts of this request swapped in beside it."""
    handoff.offer = offer_of(handoff, request.user)
    context = {"handoff": handoff, "reasons": RejectForm.reason_choices(), **extra}
    return render(request, "handoffs/_queue_row_swap.html", context, status=status)


@require_POST
@role_required(*SELLERS)
def claim(request, pk: int):
    handoff = get_object_or_404(handoff_list(), pk=pk)
    try:
        services.claim_handoff(handoff, rep=request.user)
    except services.OfferedToAnother as error:
        messages.error(request, str(error))
        if wants_fragment(request):
            return _row(request, handoff_list().get(pk=pk), status=409)
        return redirect_back(request, reverse("handoffs:queue"))
    except services.AlreadyClaimed:
        handoff = handoff_list().get(pk=pk)
        holder = handoff.claimed_by
        who = f" by {holder.get_full_name() or holder.username}" if holder else ""
        messages.error(request, f"Too late: {handoff.lead} was already claimed{who}.")
        if wants_fragment(request):
            return _row(request, handoff, status=409)
        return redirect("handoffs:queue")
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, f"Claimed {handoff.lead}. First contact is due next.")
    if wants_fragment(request):
        return _row(request, handoff_list().get(pk=pk))
    return redirect_back(request, reverse("handoffs:queue"))


@require_POST
@role_required(*SELLERS)
def claim_next(request):
    """ "Claim next": the most urgent lead this rep may take, straight to its page."""
    try:
        handoff = services.claim_next(request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    if handoff is None:
        messages.success(request, "Nothing to claim: the queue is empty for you.")
        return redirect("handoffs:queue")
    messages.success(request, f"Claimed {handoff.lead}. First contact is due next.")
    return redirect("leads:detail", handoff.lead_id)


@require_POST
@role_required(MANAGER)
def reassign(request, pk: int):
    handoff = get_object_or_404(handoff_list(), pk=pk)
    form = ReassignForm(request.POST)
    lead = handoff.lead
    if form.is_valid():
        try:
            services.reassign_handoff(
                handoff, to=form.cleaned_data["to"], by=request.user,
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        except (services.HandoffClosed, services.NotAllowed) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Gave {lead} to {form.cleaned_data['to'].get_full_name()}.")
            return redirect_back(request, reverse("leads:detail", args=[lead.pk]))
    return render_lead_detail(request, _lead(lead.pk), reassign_form=form, status=400)


def _reject_invalid(request, handoff: Handoff, form: RejectForm):
    """Show the reject form again with its errors: in its row (htmx) or in the queue page."""
    if wants_fragment(request):
        return _row(request, handoff, status=422, reject_form=form, reject_for=handoff.pk)
    context = _queue_context(request, reject_form=form, reject_for=handoff.pk)
    return render(request, "handoffs/queue.html", context, status=400)


@require_POST
@role_required(*SELLERS)
def reject(request, pk: int):
    handoff = get_object_or_404(handoff_list(), pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _reject_invalid(request, handoff, form)
    try:
        services.reject_handoff(
            handoff,
            rep=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _reject_invalid(request, handoff, form)
    except (services.NotAllowed, services.HandoffClosed) as error:
        messages.error(request, str(error))
        if wants_fragment(request):
            return _row(request, handoff_list().get(pk=pk), status=409)
        return redirect("handoffs:queue")
    messages.success(request, f"Sent {handoff.lead} back to marketing.")
    if wants_fragment(request):
        return _row(request, handoff_list().get(pk=pk))
    return redirect_back(request, reverse("handoffs:queue"))


@role_required(*SELLERS)
def my_leads(request):
    """The rep's leads, what is due first on top (an overdue first contact above all),
    then the leads that have waited longest for an activity."""
    last_activity = (
        Activity.objects.filter(lead=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")
    )
    live = Handoff.objects.filter(status=Handoff.Status.CLAIMED).order_by("-created_at")
    contact_due = Handoff.objects.filter(
        lead=OuterRef("pk"), status=Handoff.Status.CLAIMED, first_contact_at__isnull=True
    ).order_by("-created_at")
    queryset = (
        leads_of(request.user)
        .annotate(
            last_activity_at=Subquery(last_activity[:1]),
            due_at=Subquery(contact_due.values("first_contact_due_at")[:1]),
        )
        .prefetch_related(Prefetch("handoffs", queryset=live, to_attr="live_handoffs"))
        .order_by(
            F("due_at").asc(nulls_last=True),
            F("last_activity_at").asc(nulls_first=True),
            "-updated_at",
            "-id",
        )
    )
    show = request.GET.get("show", "working")
    if show == "working":
        queryset = queryset.filter(stage__in=WORKING_STAGES)
    filterset = LeadFilter(request.GET, queryset=queryset)
    page = paginate(request, filterset.qs)
    rows = []
    for lead in page:
        handoff = lead.live_handoffs[0] if lead.live_handoffs else None
        rows.append(
            {
                "lead": lead,
                "handoff": handoff,
                "next": next_step(lead, handoff),
                "actions": stage_actions(request.user, lead),
                "activity_form": ActivityForm(auto_id=f"activity-{lead.pk}-%s")
                if can_log_activity(request.user, lead)
                else None,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "show": show,
        "filter": filterset,
    }
    return render(request, "handoffs/my_leads.html", context)


def _lead(pk: int) -> Lead:
    return get_object_or_404(Lead.objects.select_related("campaign", "owner"), pk=pk)


@require_POST
@role_required(*SELLERS)
def log_activity(request, lead_pk: int):
    lead = _lead(lead_pk)
    if not can_log_activity(request.user, lead):
        raise PermissionDenied("Only the rep who owns this lead (or a manager) logs its work.")
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.log_activity(lead, rep=request.user, **form.cleaned_data)
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            add_service_errors(form, error)
            return render_lead_detail(request, lead, activity_form=form, status=400)
        kind = Activity.Kind(form.cleaned_data["kind"]).label.lower()
        messages.success(request, f"Logged a {kind} with {lead}.")
        return redirect_back(request, reverse("leads:detail", args=[lead.pk]))
    return render_lead_detail(request, lead, activity_form=form, status=400)


@require_POST
@role_required()
def change_stage(request, lead_pk: int):
    """Any stage button: the service decides; its refusals come back as form errors."""
    lead = _lead(lead_pk)
    form = StageForm(request.POST)
    status = 400
    if form.is_valid():
        to_stage = form.cleaned_data["stage"]
        try:
            services.move_lead(
                lead,
                to_stage=to_stage,
                by=request.user,
                reason=form.cleaned_data["reason"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except IllegalTransition as error:
            form.add_error(None, str(error))
            status = 409
        except services.NotAllowed as error:
            form.add_error(None, str(error))
            status = 403
        else:
            messages.success(request, f"{lead} is now {Stage(to_stage).label}.")
            return redirect_back(request, reverse("leads:detail", args=[lead.pk]))
        lead.refresh_from_db()
    return render_lead_detail(request, lead, stage_form=form, status=status)
