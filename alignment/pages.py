"""What every HTML page shares: the role check, pagination and safe redirects."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from alignment.roles import ALL_ROLES, has_role

PAGE_SIZE = 25

ROLE_LABELS = {"marketing": "marketing", "sales": "sales", "manager": "managers"}


def role_required(*roles: str) -> Callable:
    """A page open to ``roles`` (every role when none is given).

    Anonymous visitors go to the login page (an htmx request is told to load it as a
    whole page, so a login form never lands inside a table row); other users get 403.
    """
    allowed = roles or ALL_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    login = resolve_url(settings.LOGIN_URL)
                    return HttpResponseClientRedirect(f"{login}?next={request.path}")
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *allowed):
                names = " and ".join(ROLE_LABELS.get(role, role) for role in allowed)
                raise PermissionDenied(f"This page is for {names}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``queryset`` named by ``?page=``; out-of-range numbers give the last page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of a page (not a history restore of the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def person_choices(users: QuerySet) -> list[tuple[int, str]]:
    """People as a filter's choices, ``(pk, name)`` in the order of their names."""
    return [
        (user.pk, user.get_full_name() or user.username)
        for user in users.order_by("first_name", "username")
    ]


def is_filtered(request: HttpRequest) -> bool:
    """Whether the list is narrowed by a filter (paging and sorting don't count)."""
    return any(value for key, value in request.GET.items() if key not in ("page", "sort"))


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's ``next`` when it is a URL on this site, else to ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: by field where the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
