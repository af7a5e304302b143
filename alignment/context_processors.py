"""Template context shared by every page: the caller's roles and unread count."""

from functools import cache

from alignment.models import Notification
from alignment.roles import MANAGER, MARKETING, SALES, has_role, roles_of


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_superuser:
        role_label = "Admin"
    else:
        role_label = " · ".join(sorted(role.capitalize() for role in roles_of(user))) or "No role"
    return {
        "is_marketing": has_role(user, MARKETING),
        "is_sales": has_role(user, SALES),
        "is_manager": has_role(user, MANAGER),
        "role_label": role_label,
        # Counted when a template first shows it (the templates call it; once a render):
        # fragments without the navigation do not pay for it.
        "unread_notifications": cache(
            Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).count
        ),
    }
