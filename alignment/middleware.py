"""Pages show times in the reader's own time zone."""

from django.db.models import Subquery
from django.utils import timezone

from alignment.models import Preferences, TeamCalendar
from alignment.notifications import zone_of
from alignment.services.team_calendar import team_zone_read


class LocalTimeMiddleware:
    """Activate the signed-in user's time zone (their own, else the team calendar's) for
    the pages; the API answers in ISO 8601 with offsets and is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or user is None or not user.is_authenticated:
            return self.get_response(request)
        own, team = self._zone_names(user.pk)
        timezone.activate(zone_of(own, team))
        try:
            # The team's zone is read: the KPIs cut days in it without asking again.
            with team_zone_read(team):
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
