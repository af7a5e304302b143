"""Pages show times in the reader's own time zone."""

from django.db.models import Subquery
from django.utils import timezone

from alignment.models import Preferences, TeamCalendar
from alignment.notifications import zone_of


class LocalTimeMiddleware:
    """Activate the signed-in user's time zone (their own, else the team calendar's) for
    the pages; the API answers in ISO 8601 with offsets and is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith("/api/") and user is not None and user.is_authenticated:
            timezone.activate(zone_of(*self._zone_names(user.pk)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone_names(user_id: int) -> tuple[str, str]:
        """The user's own zone name and the team's, in one query."""
        own = Preferences.objects.filter(user_id=user_id).values("time_zone")[:1]
        row = (
            TeamCalendar.objects.filter(pk=1)
            .annotate(own=Subquery(own))
            .values_list("own", "time_zone")
            .first()
        )
        if row is None:
            return "", ""
        return row[0] or "", row[1] or ""
