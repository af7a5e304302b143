"""The public web form of a campaign (``/f/<form_key>/``): no login, embeddable anywhere.

The form page works without JavaScript and inside an iframe on any site; ``embed.js``
renders the same form into a host page and posts it as JSON from that page's origin.
Every door ends in ``leads.services.capture_lead``.
"""

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError

from alignment.http import client_ip
from alignment.pages import add_service_errors
from alignment.parsers import parse_json
from alignment.roles import MANAGER, MARKETING, has_role
from campaigns.models import Campaign, normalise_origin
from leads.models import TouchpointKind
from leads.services import UTM_FIELDS, capture_lead, record_touchpoint
from leads.web_form.forms import HONEYPOT, CaptureForm, http_url, utm_from_url

logger = logging.getLogger(__name__)

NOT_HERE = "This form takes submissions only from its campaign's own websites."
CLOSED = {
    Campaign.Status.PLANNED: "This form is not open yet. Please come back later.",
    Campaign.Status.PAUSED: "This form is paused for now. Please come back later.",
    Campaign.Status.COMPLETED: "This form is closed. Thank you for your interest.",
    Campaign.Status.ARCHIVED: "This form is closed. Thank you for your interest.",
}
EMBED_STYLESHEETS = ("css/tokens.css", "css/base.css", "css/components.css", "css/capture.css")


#: Tries of any kind an address may make to a form per window, as a multiple of the
#: submissions it may send: a visitor fixing a typo is never held back by their typos,
#: a script posting broken forms in a loop is.
TRIES_PER_SUBMISSION = 5


def _count(key: str, *, window: int) -> int:
    """Count one more under ``key``; 0 when the cache (Redis) is unreachable: the form
    keeps taking leads while Redis is down, as the API's throttles do."""
    try:
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    except RedisError as error:
        logger.warning("Form rate limit skipped: the cache is unreachable (%s).", error)
        return 0


class RateLimit:
    """The submissions one address may send to one form: a fixed window, counted in the
    shared cache (Redis in production), so every web process sees the same count.

    Counted are the submissions accepted and the spam the honeypot caught, at most
    ``CAPTURE_RATE_LIMIT`` per window. A try is counted when it arrives, so two at once
    cannot both take the last place, and given back when the form is sent back with
    errors: someone who mistypes their email a few times is not locked out.
    """

    def __init__(self, request: HttpRequest, campaign: Campaign) -> None:
        self.window = max(settings.CAPTURE_RATE_WINDOW, 1)
        now = int(time.time())
        slot = f"{campaign.form_key}:{client_ip(request)}:{now // self.window}"
        self.sent_key = f"capture-rate:{slot}"
        self.tries_key = f"capture-tries:{slot}"
        self.seconds_left = self.window - now % self.window

    def take(self) -> int:
        """Count this try; 0 when it is within the limits, else the seconds to wait."""
        limit = settings.CAPTURE_RATE_LIMIT
        if _count(self.tries_key, window=self.window) > limit * TRIES_PER_SUBMISSION:
            return self.seconds_left
        if _count(self.sent_key, window=self.window) > limit:
            return self.seconds_left
        return 0

    def give_back(self) -> None:
        """The try was sent back with errors: it is no submission."""
        try:
            cache.decr(self.sent_key)
        except (ValueError, RedisError):  # the window ended meanwhile, or Redis is down
            pass


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def origin_allowed(request: HttpRequest, campaign: Campaign) -> bool:
    return campaign.form_accepts_origin(
        request.headers.get("Origin"), own_origin=own_origin(request)
    )


def allow_cross_origin(
    response: HttpResponse,
    *,
    request: HttpRequest,
    campaign: Campaign | None = None,
    preflight: bool = False,
) -> HttpResponse:
    """Let pages of other websites read the answer: any website's, or only the listed
    websites' when the campaign lists some. No cookies are sent or needed."""
    if campaign is None or not campaign.form_allowed_origins:
        response["Access-Control-Allow-Origin"] = "*"
    else:
        patch_vary_headers(response, ["Origin"])
        origin = request.headers.get("Origin")
        if not origin or not origin_allowed(request, campaign):
            return response
        response["Access-Control-Allow-Origin"] = origin
    if preflight:
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Accept, Content-Type, X-Requested-With"
        response["Access-Control-Max-Age"] = "86400"
    return response


def wants_json(request: HttpRequest) -> bool:
    return (
        request.content_type == "application/json"
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or (request.accepts("application/json") and not request.accepts("text/html"))
    )


def _is_editor(request: HttpRequest) -> bool:
    return request.user.is_authenticated and has_role(request.user, MARKETING, MANAGER)


def _page_context(request: HttpRequest, *, embedded: bool) -> dict[str, str]:
    """Where the form page is being read: its URL, the page before it, the UTM codes.

    Inside an iframe the Referer is the host page (the snippet asks browsers to send it
    whole), and the host page's query string carries the UTM codes.
    """
    referer = http_url(request.headers.get("Referer"))
    if embedded:
        page_url, referrer = referer, ""
    else:
        page_url, referrer = http_url(request.build_absolute_uri()), referer
    utm = utm_from_url(page_url)
    for name in UTM_FIELDS:
        if request.GET.get(name):
            utm[name] = request.GET[name]
    return {"page_url": page_url, "referrer": referrer, **utm}


def _submitted_context(request: HttpRequest, form: CaptureForm) -> dict[str, str]:
    """The page context the form sent, with the Referer header of the post as fallback
    (a plain form post from the form page names that page, query string included)."""
    data = form.cleaned_data
    page_url = data.get("page_url") or http_url(request.headers.get("Referer"))
    from_url = utm_from_url(page_url)
    utm = {name: data.get(name) or from_url.get(name, "") for name in UTM_FIELDS}
    return {"url": page_url, "referrer": data.get("referrer", ""), **utm}


def _message_page(request: HttpRequest, campaign: Campaign, text: str, status: int, **extra):
    context = {"campaign": campaign, "text": text, "embedded": request.GET.get("embed") == "1"}
    return render(request, "capture/message.html", {**context, **extra}, status=status)


def _form_page(request: HttpRequest, campaign: Campaign, form: CaptureForm, status: int = 200):
    embedded = request.GET.get("embed") == "1"
    action = reverse("capture:form", args=[campaign.form_key])
    context = {
        "campaign": campaign,
        "form": form,
        "honeypot": form[HONEYPOT],
        "action": f"{action}?embed=1" if embedded else action,
        "embedded": embedded,
        # A redirect from inside an iframe must take the whole window with it.
        "target": "_top" if embedded and campaign.form_redirect_url else "",
        "preview": not campaign.form_is_open,
    }
    return render(request, "capture/form.html", context, status=status)


def _read_json(request: HttpRequest) -> dict[str, Any] | None:
    """The posted object, read with the API's limits (depth too), or None."""
    try:
        data = parse_json(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _succeeded(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if wants_json(request):
        body = {
            "status": "ok",
            "message": campaign.form_thank_you,
            "redirect_url": campaign.form_redirect_url,
        }
        return JsonResponse(body, status=201)
    if campaign.form_redirect_url:
        return redirect(campaign.form_redirect_url)
    thanks = reverse("capture:thanks", args=[campaign.form_key])
    if request.GET.get("embed") == "1":
        thanks += "?" + urlencode({"embed": 1})
    # See other: reloading the thank-you page never sends the form twice.
    response = HttpResponseRedirect(thanks)
    response.status_code = 303
    return response


def _refused(request: HttpRequest, campaign: Campaign, text: str, status: int) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": text}, status=status)
    return _message_page(request, campaign, text, status)


def _submit(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if not campaign.form_is_open:
        return _refused(request, campaign, CLOSED[campaign.status], 410)
    limit = RateLimit(request, campaign)
    wait = limit.take()
    if wait:
        minutes = -(-wait // 60)
        text = (
            "Too many submissions from your network. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        response = _refused(request, campaign, text, 429)
        response["Retry-After"] = str(wait)
        return response
    if request.content_type == "application/json":
        data = _read_json(request)
        if data is None:
            limit.give_back()
            return JsonResponse({"detail": "Send the form as a JSON object."}, status=400)
    else:
        data = request.POST
    form = CaptureForm(data, campaign=campaign)
    if form.is_bot:
        logger.info("Form %s: honeypot filled in from %s", campaign.form_key, client_ip(request))
        return _succeeded(request, campaign)
    if form.is_valid():
        try:
            _capture(request, campaign, form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _succeeded(request, campaign)
    limit.give_back()
    if wants_json(request):
        return JsonResponse(form.errors.get_json_data(escape_html=False), status=400)
    return _form_page(request, campaign, form, status=400)


@transaction.atomic
def _capture(request: HttpRequest, campaign: Campaign, form: CaptureForm) -> None:
    """The visitor's answers as a lead and a ``form_submitted`` touchpoint; asking for a
    demo is a ``demo_requested`` touchpoint too. One transaction, so the lead is scored
    once, with both."""
    context = _submitted_context(request, form)
    captured = capture_lead(
        email=form.cleaned_data["email"],
        campaign=campaign,
        touchpoint_kind=TouchpointKind.FORM_SUBMITTED,
        consent=form.cleaned_data.get("consent") or None,
        consent_text=campaign.form_consent_text,
        note=form.note(),
        **context,
        **form.profile(),
    )
    if form.asks_for_a_demo:
        record_touchpoint(
            captured.lead,
            kind=TouchpointKind.DEMO_REQUESTED,
            campaign=campaign,
            occurred_at=captured.touchpoint.occurred_at if captured.touchpoint else None,
            url=context["url"],
            referrer=context["referrer"],
        )


# The form is anonymous and posted from other sites' pages, where no CSRF token of ours
# can exist; there is no session to ride on. Bots are kept out by the honeypot and the
# per-address rate limit instead.
def framed_by_allowed_sites(response: HttpResponse, campaign: Campaign) -> HttpResponse:
    """Pages of the listed websites (and Tandem's own) may show the form in an iframe, and
    the form may lead to the campaign's own thank-you page (the rest of the page's
    Content-Security-Policy comes from ``alignment.security``)."""
    directives = []
    if campaign.form_allowed_origins:
        ancestors = " ".join(["'self'", *campaign.form_allowed_origins])
        directives.append(f"frame-ancestors {ancestors}")
    if campaign.form_redirect_url:
        # The browser checks a form's redirect against form-action too; only an origin that
        # reads as one goes in, so nothing in the URL can widen the policy.
        parts = urlsplit(campaign.form_redirect_url)
        try:
            directives.append(
                f"form-action 'self' {normalise_origin(f'{parts.scheme}://{parts.netloc}')}"
            )
        except ValidationError:
            pass
    if directives:
        response["Content-Security-Policy"] = "; ".join(directives)
    return response


@csrf_exempt
@xframe_options_exempt
def capture_form(request: HttpRequest, form_key: str) -> HttpResponse:
    campaign = Campaign.objects.filter(form_key=form_key).first()
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        return allow_cross_origin(response, request=request, campaign=campaign, preflight=True)
    if campaign is None:
        if request.method == "POST" and wants_json(request):
            response = JsonResponse({"detail": "No such form."}, status=404)
            return allow_cross_origin(response, request=request)
        raise Http404("No such form.")
    if request.method == "POST":
        if not origin_allowed(request, campaign):
            logger.info("Form %s: refused a post from %s", form_key, request.headers.get("Origin"))
            response = _refused(request, campaign, NOT_HERE, 403)
        else:
            response = _submit(request, campaign)
        # A page (the form with its errors, a notice) is framed only where the form is.
        framed_by_allowed_sites(response, campaign)
        return allow_cross_origin(response, request=request, campaign=campaign)
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST, OPTIONS"})
        return allow_cross_origin(response, request=request, campaign=campaign)
    if not campaign.form_is_open and not _is_editor(request):
        response = _message_page(request, campaign, CLOSED[campaign.status], 410)
        return framed_by_allowed_sites(response, campaign)
    initial = _page_context(request, embedded=request.GET.get("embed") == "1")
    response = _form_page(request, campaign, CaptureForm(initial=initial, campaign=campaign))
    return framed_by_allowed_sites(response, campaign)


@xframe_options_exempt
def capture_thanks(request: HttpRequest, form_key: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, form_key=form_key)
    response = _message_page(request, campaign, campaign.form_thank_you, 200, thanks=True)
    return framed_by_allowed_sites(response, campaign)


def _field_config(field) -> dict[str, Any]:
    widget = field.field.widget
    attrs = {key: str(value) for key, value in widget.attrs.items()}
    if isinstance(widget, forms.Textarea):
        kind = "textarea"
    else:
        kind = attrs.pop("type", "") or widget.input_type
    config: dict[str, Any] = {
        "name": field.name,
        "label": str(field.label),
        "type": kind,
        "required": field.field.required,
        "attrs": attrs,
    }
    if getattr(field.field, "max_length", None):
        config["attrs"]["maxlength"] = str(field.field.max_length)
    if kind == "select":
        config["choices"] = [[str(value), str(label)] for value, label in field.field.choices]
    return config


def embed_script(request: HttpRequest, form_key: str) -> HttpResponse:
    """The script a host page includes to show the form in place (see the campaign page)."""
    campaign = get_object_or_404(Campaign, form_key=form_key)
    form = CaptureForm(campaign=campaign)
    form_url = request.build_absolute_uri(reverse("capture:form", args=[form_key]))
    config = {
        "key": campaign.form_key,
        "action": form_url,
        "stylesheets": [request.build_absolute_uri(static(path)) for path in EMBED_STYLESHEETS],
        "headline": campaign.form_headline or campaign.name,
        "intro": campaign.form_intro,
        "button": campaign.form_button_label,
        "fields": [_field_config(field) for field in form.visible_fields()],
        "honeypot": {"name": HONEYPOT, "label": str(form[HONEYPOT].label)},
        "closed": "" if campaign.form_is_open else CLOSED[campaign.status],
        # The websites allowed to show the form (empty: any); elsewhere it says so.
        "origins": campaign.form_allowed_origins,
        "notHere": NOT_HERE,
    }
    # JSON is valid JavaScript; escaping < > & keeps "</script>" and friends inert even
    # if someone pastes the script's text into a page.
    payload = (
        json.dumps(config, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    response = render(
        request,
        "capture/embed.js",
        {"config": payload},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=300"
    return response
