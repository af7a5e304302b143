"""Lead pages: the list with filters, the lead detail with score, brief and timeline, and
the merge of a possible duplicate (preview, then confirm)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from alignment.notifications import person
from alignment.pages import (
    add_service_errors,
    is_filtered,
    paginate,
    person_choices,
    role_required,
    wants_fragment,
)
from alignment.roles import MANAGER, MARKETING, SALES, has_role
from campaigns.models import Campaign
from handoffs.display import brief_badge, offer_of, outcome_of, speed_steps
from handoffs.forms import ActivityForm, ReassignForm
from handoffs.models import Handoff
from handoffs.queries import lead_timeline
from handoffs.services import move_refusal
from leads.comments import add_comment, people_who_can_be_mentioned
from leads.filters import RANKED_SCORE, LeadFilter
from leads.forms import CommentForm, StageForm
from leads.lifecycle import can_advance
from leads.merge import merge_leads, plan_merge, survivor_first
from leads.models import Lead, Stage
from leads.queries import possible_duplicates

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    # Through ``LeadScore``: its index on (score, lead) gives the rows in this order.
    "score": (f"-{RANKED_SCORE}", "-id"),
    "score_low": (RANKED_SCORE, "id"),
    "name": ("first_name", "last_name", "id"),
}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "score": "Highest score",
    "score_low": "Lowest score",
    "name": "Name",
}

#: The stage buttons, in the order a lead's life runs; what each asks for.
STAGE_ACTIONS = (
    {"stage": Stage.MQL, "label": "Qualify as MQL", "reason": "optional", "tone": "primary"},
    {"stage": Stage.SQL, "label": "Mark as SQL", "reason": "optional", "tone": "primary"},
    {"stage": Stage.WON, "label": "Won", "reason": "optional", "amount": True, "tone": "success"},
    {"stage": Stage.LOST, "label": "Lost", "reason": "required", "tone": "secondary"},
    {
        "stage": Stage.RECYCLED,
        "label": "Recycle to marketing",
        "reason": "required",
        "tone": "secondary",
    },
    {"stage": Stage.DISQUALIFIED, "label": "Disqualify", "reason": "required", "tone": "danger"},
)


def stage_actions(user, lead: Lead, form: StageForm | None = None) -> list[dict]:
    """The stage changes this user may make to this lead now (the service checks again)."""
    failed = form.data.get("stage") if form is not None and form.is_bound else None
    return [
        {**action, "form": form if failed == action["stage"] else None}
        for action in STAGE_ACTIONS
        if can_advance(lead.stage, action["stage"])
        and move_refusal(lead, to_stage=action["stage"], by=user) is None
    ]


def has_inputs(action: dict) -> bool:
    return bool(action.get("amount")) or action["reason"] == "required"


def can_log_activity(user, lead: Lead) -> bool:
    if has_role(user, MANAGER):
        return True
    return has_role(user, SALES) and lead.owner_id == user.pk


@role_required()
def lead_list(request):
    queryset = Lead.objects.select_related("campaign", "owner")
    filterset = LeadFilter(request.GET, queryset=queryset)
    sort = request.GET.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    context = {
        "filter": filterset,
        "filtered": is_filtered(request),
        "page": paginate(request, filterset.qs.order_by(*SORTS[sort])),
        "sort": sort,
        "sorts": SORT_LABELS,
        "stages": Stage.choices,
    }
    if wants_fragment(request):
        return render(request, "leads/_table.html", context)
    context["campaigns"] = Campaign.objects.order_by("name").values_list("pk", "name")
    context["owners"] = person_choices(get_user_model().objects.filter(groups__name=SALES))
    return render(request, "leads/list.html", context)


def render_lead_detail(
    request,
    lead: Lead,
    *,
    stage_form: StageForm | None = None,
    activity_form: ActivityForm | None = None,
    comment_form: CommentForm | None = None,
    reassign_form: ReassignForm | None = None,
    status: int = 200,
):
    """The lead page; the stage and activity views re-render it with their form errors."""
    handoff = (
        Handoff.objects.filter(lead=lead)
        .select_related("claimed_by", "routed_to", "rejected_by", "agreement")
        .order_by("-created_at", "-id")
        .first()
    )
    breakdown = sorted(lead.score_breakdown or [], key=lambda row: -abs(row.get("points", 0)))
    can_log = can_log_activity(request.user, lead)
    actions = stage_actions(request.user, lead, stage_form)
    # Errors of a stage form show inside its own disclosure when it has one, else on top.
    placed = any(action["form"] and has_inputs(action) for action in actions)
    stage_errors = []
    if stage_form is not None and not placed:
        stage_errors = [message for messages in stage_form.errors.values() for message in messages]
    timeline = lead_timeline(lead)
    context = {
        "lead": lead,
        "handoff": handoff,
        "brief_badge": brief_badge(handoff, lead) if handoff is not None else None,
        "outcome": outcome_of(lead, timeline),
        "timeline": timeline,
        "fit_rows": [row for row in breakdown if row.get("kind") == "fit"],
        "engagement_rows": [row for row in breakdown if row.get("kind") != "fit"],
        "actions": actions,
        "stage_errors": stage_errors,
        "activity_form": activity_form or (ActivityForm() if can_log else None),
        "can_log_activity": can_log,
        "can_claim": handoff is not None
        and handoff.status == Handoff.Status.OPEN
        and has_role(request.user, SALES, MANAGER),
        "offer": offer_of(handoff, request.user),
        "speed": speed_steps(handoff),
        "comment_form": comment_form or CommentForm(),
        "colleagues": people_who_can_be_mentioned().order_by("username"),
        "reassign_form": reassign_form
        or (
            ReassignForm()
            if handoff is not None
            and handoff.status in (Handoff.Status.OPEN, Handoff.Status.CLAIMED)
            and has_role(request.user, MANAGER)
            else None
        ),
        "duplicates": [
            {
                "lead": found.lead,
                "reasons": found.reasons,
                "order": survivor_first(lead, found.lead),
            }
            for found in possible_duplicates(lead)
        ],
        "can_merge": has_role(request.user, MARKETING, MANAGER),
    }
    return render(request, "leads/detail.html", context, status=status)


@require_http_methods(["POST"])
@role_required()
def lead_comment(request, pk: int):
    """Comment on a lead; @mentions notify the colleagues named."""
    lead = get_object_or_404(Lead.objects.select_related("campaign", "owner"), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = add_comment(lead, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            mentioned = list(comment.mentions.all())
            note = f" and notified {', '.join(map(person, mentioned))}" if mentioned else ""
            messages.success(request, f"Comment posted{note}.")
            return redirect(f"{reverse('leads:detail', args=[lead.pk])}#comment-{comment.pk}")
    return render_lead_detail(request, lead, comment_form=form, status=400)


@role_required()
def lead_detail(request, pk: int):
    lead = get_object_or_404(Lead.objects.select_related("campaign", "owner"), pk=pk)
    return render_lead_detail(request, lead)


@role_required(MARKETING, MANAGER)
@require_http_methods(["GET", "POST"])
def lead_merge(request, pk: int, other: int):
    """Merge lead ``other`` into lead ``pk``: a preview of what wins and what moves (GET),
    then the merge (POST), which lands on the surviving lead's page."""
    leads = Lead.objects.select_related("campaign", "owner")
    survivor, duplicate = get_object_or_404(leads, pk=pk), get_object_or_404(leads, pk=other)
    if survivor.pk == duplicate.pk:
        raise Http404("A lead is not its own duplicate.")
    if request.method == "POST":
        try:
            merge = merge_leads(survivor, duplicate, by=request.user)
        except ValidationError as error:
            return _merge_preview(request, survivor, duplicate, errors=error.messages, status=409)
        messages.success(request, f"Merged {merge.merged_email} into {survivor}.")
        return redirect("leads:detail", survivor.pk)
    return _merge_preview(request, survivor, duplicate)


def _merge_preview(request, survivor: Lead, duplicate: Lead, *, errors=(), status: int = 200):
    plan = plan_merge(survivor, duplicate)
    campaigns = {lead.campaign_id: lead.campaign for lead in (survivor, duplicate)}
    context = {
        "plan": plan,
        "survivor": survivor,
        "duplicate": duplicate,
        "first_touch": campaigns.get(plan.campaign_id),
        "moved": [
            (kind.replace("_", " ").capitalize(), count)
            for kind, count in plan.moved.items()
            if count
        ],
        "errors": [*errors] or ([plan.refusal] if plan.refusal else []),
    }
    return render(request, "leads/merge.html", context, status=status)
