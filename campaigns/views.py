"""Campaign pages: list with filters, create, edit, detail with funnel and spend, archive
and delete."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_POST

from alignment.pages import (
    add_service_errors,
    is_filtered,
    paginate,
    person_choices,
    role_required,
    wants_fragment,
)
from alignment.roles import MANAGER, MARKETING, has_role
from alignment.templatetags.tandem import money
from campaigns import services
from campaigns.filters import CampaignFilter
from campaigns.forms import CampaignForm, CostForm, WebFormSettingsForm, qualifying
from campaigns.models import FORM_FIELDS, Campaign
from campaigns.queries import why_in_use, with_spend
from handoffs.models import Handoff
from kpis.queries import Period, Scope, summary
from leads.models import Lead
from leads.web_form.views import CLOSED

EDITORS = (MARKETING, MANAGER)

#: A campaign's funnel counts everything its leads did, however long ago.
LIFETIME_DAYS = 3650


def _lead_count():
    counts = (
        Lead.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _archived_too(request) -> dict:
    """How many archived campaigns the other filters match, when the list hides them."""
    if request.GET.get("status"):
        return {"archived": 0}
    params = request.GET.copy()
    params.pop("page", None)
    params["status"] = Campaign.Status.ARCHIVED
    archived = CampaignFilter(params, queryset=Campaign.objects.all()).qs.count()
    return {"archived": archived, "archived_query": params.urlencode()}


@role_required()
def campaign_list(request):
    queryset = with_spend(Campaign.objects.select_related("owner")).annotate(
        lead_count=_lead_count()
    )
    filterset = CampaignFilter(request.GET, queryset=queryset)
    context = {
        "filter": filterset,
        "filtered": is_filtered(request),
        "page": paginate(request, filterset.qs),
        "can_edit": has_role(request.user, *EDITORS),
        **_archived_too(request),
    }
    if wants_fragment(request):
        return render(request, "campaigns/_table.html", context)
    editors = get_user_model().objects.filter(groups__name__in=EDITORS).distinct()
    context["owners"] = person_choices(editors)
    return render(request, "campaigns/list.html", context)


def _save(form: CampaignForm, save) -> Campaign | None:
    """Run a campaign service, turning its validation errors into form errors."""
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@role_required(*EDITORS)
def campaign_create(request):
    """A campaign and its web form in one go: the form starts with the questions that can
    qualify a lead, and the campaign starts active, so the form takes leads at once."""
    rules = qualifying()
    form = CampaignForm(request.POST or None, initial={"status": Campaign.Status.ACTIVE})
    # A post without the web form's fields (a script) gets the model's default form.
    posted_web = any(key.startswith("web-") for key in request.POST)
    web = WebFormSettingsForm(
        request.POST if posted_web else None,
        instance=Campaign(form_fields=rules.suggested_fields()),
        prefix="web",
    )
    if request.method == "POST":
        campaign_ok = form.is_valid()
        web_ok = web.is_valid() if posted_web else True
        if campaign_ok and web_ok:
            web_settings = web.settings() if posted_web else {}
            campaign = _save(
                form,
                lambda data: services.create_campaign(owner=request.user, **data, **web_settings),
            )
            if campaign is not None:
                messages.success(request, _created_message(campaign))
                return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#web-form")
    status = 400 if form.errors or web.errors else 200
    context = {"form": form, "web": web, "rules": rules}
    return render(request, "campaigns/form.html", context, status=status)


def _created_message(campaign: Campaign) -> str:
    if campaign.form_is_open:
        then = "Its web form takes leads now: share the link or paste a snippet."
    else:
        then = "Its web form opens when you make the campaign active."
    return f"Campaign “{campaign.name}” created. {then}"


@role_required(*EDITORS)
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    # A post without the web form's fields (an older page, a script) leaves them as they are.
    posted_web = any(key.startswith("web-") for key in request.POST)
    web = WebFormSettingsForm(request.POST if posted_web else None, instance=campaign, prefix="web")
    if request.method == "POST":
        # The campaign form first: its model check must see the stored web form settings.
        campaign_ok = form.is_valid()
        web_ok = web.is_valid() if posted_web else True
        if campaign_ok and web_ok:
            web_settings = web.settings() if posted_web else {}
            saved = _save(
                form, lambda data: services.update_campaign(campaign, **data, **web_settings)
            )
            if saved is not None:
                messages.success(request, "Campaign saved.")
                return redirect("campaigns:detail", pk=campaign.pk)
    status = 400 if form.errors or web.errors else 200
    context = {"form": form, "web": web, "campaign": campaign, "rules": qualifying()}
    return render(request, "campaigns/form.html", context, status=status)


def embed_snippets(request, campaign: Campaign) -> dict[str, str]:
    """The HTML a marketer pastes into a web page to show the campaign's form there."""
    form_url = request.build_absolute_uri(reverse("capture:form", args=[campaign.form_key]))
    script_url = request.build_absolute_uri(reverse("capture:embed", args=[campaign.form_key]))
    title = escape(campaign.form_headline or campaign.name)
    asked = len(campaign.form_fields or {})
    height = 260 + 80 * asked + (60 if "message" in (campaign.form_fields or {}) else 0)
    return {
        "form_url": form_url,
        "script": (
            f'<div data-tandem-form="{campaign.form_key}"><noscript>'
            f'<a href="{form_url}">{title}</a></noscript></div>\n'
            f'<script src="{script_url}" async></script>'
        ),
        # The referrer policy lets the form see the host page's URL and UTM codes.
        "iframe": (
            f'<iframe src="{form_url}?embed=1" title="{title}" width="100%" '
            f'height="{height}" style="border:0;max-width:560px" loading="lazy" '
            'referrerpolicy="no-referrer-when-downgrade"></iframe>'
        ),
    }


def asked_for(campaign: Campaign) -> list[str]:
    """What the campaign's web form asks, as a sentence lists it ("email, company, what
    they need")."""
    asked = campaign.form_fields or {}
    names = {name: label.lower() for name, label in FORM_FIELDS.items()}
    names.update(need="what they need", consent="consent")
    return ["email", *(names[name] for name in FORM_FIELDS if name in asked)]


def _detail_context(request, campaign: Campaign, cost_form: CostForm | None = None) -> dict:
    today = timezone.localdate()
    period = Period.from_dates(
        today - timedelta(days=LIFETIME_DAYS), max(today, campaign.ends_on or today)
    )
    numbers = summary(period, Scope(campaign=campaign.pk))
    rejections = (
        Handoff.objects.filter(lead__campaign=campaign, status=Handoff.Status.REJECTED)
        .values("rejection_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "rejection_reason")
    )
    reasons = dict(Handoff._meta.get_field("rejection_reason").choices)
    can_edit = has_role(request.user, *EDITORS)
    return {
        "campaign": campaign,
        "numbers": numbers,
        "costs": campaign.costs.select_related("created_by")[:50],
        "recent_leads": campaign.leads.order_by("-created_at", "-id")[:8],
        "rejections": [
            {"reason": reasons.get(row["rejection_reason"], row["rejection_reason"]), "n": row["n"]}
            for row in rejections
        ],
        "can_edit": can_edit,
        "cost_form": cost_form or (CostForm() if can_edit else None),
        "embed": embed_snippets(request, campaign) if can_edit else None,
        "asked": asked_for(campaign),
        "closed_notice": CLOSED.get(campaign.status, ""),
        "can_open": can_edit and campaign.status in services.OPENABLE,
    }


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(with_spend(Campaign.objects.select_related("owner")), pk=pk)


@role_required()
def campaign_detail(request, pk: int):
    campaign = _campaign(pk)
    return render(request, "campaigns/detail.html", _detail_context(request, campaign))


@require_POST
@role_required(*EDITORS)
def cost_add(request, pk: int):
    campaign = _campaign(pk)
    form = CostForm(request.POST)
    if form.is_valid():
        try:
            entry = services.add_cost(campaign, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added a cost of {money(entry.amount)}.")
            return redirect("campaigns:detail", pk=campaign.pk)
    context = _detail_context(request, campaign, cost_form=form)
    return render(request, "campaigns/detail.html", context, status=400)


@require_POST
@role_required(*EDITORS)
def campaign_activate(request, pk: int):
    """Open a planned or paused campaign's web form: the campaign becomes active."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        services.activate_campaign(campaign)
    except services.NotOpenable as refused:
        messages.error(request, str(refused))
    except ValidationError as invalid:
        # Settings saved before a rule existed; the edit page shows them by field.
        messages.error(request, f"Fix the campaign first: {' '.join(invalid.messages)}")
    else:
        messages.success(request, f"“{campaign.name}” is active: its web form takes leads now.")
    return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#web-form")


@require_POST
@role_required(*EDITORS)
def campaign_archive(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    services.archive_campaign(campaign)
    messages.success(
        request,
        f"“{campaign.name}” is archived: it is out of the campaign list, and its leads and "
        "spend still count in every figure.",
    )
    return redirect("campaigns:detail", pk=campaign.pk)


@role_required(*EDITORS)
def campaign_delete(request, pk: int):
    """A confirmation, then the delete; a campaign anything names is refused (archive it)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.method == "POST":
        try:
            services.delete_campaign(campaign)
        except services.CampaignInUse as refused:
            context = {"campaign": campaign, "refused": str(refused)}
            return render(request, "campaigns/delete.html", context, status=409)
        messages.success(request, f"Campaign “{campaign.name}” deleted.")
        return redirect("campaigns:list")
    context = {"campaign": campaign, "refused": why_in_use(campaign)}
    return render(request, "campaigns/delete.html", context)
