"""Template context shared by every page: the caller's roles and unread count."""

from alignment.models import Notification
from alignment.roles import MANAGER, MARKETING, SALES, has_role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_marketing": has_role(user, MARKETING),
        "is_sales": has_role(user, SALES),
        "is_manager": has_role(user, MANAGER),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }
