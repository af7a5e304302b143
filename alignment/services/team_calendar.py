"""The team calendar: the business hours and holidays SLA clocks count in, and its zone."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from alignment import business_hours
from alignment.models import TeamCalendar
from alignment.roles import MANAGER, has_role


def team_calendar_row() -> TeamCalendar:
    """The team calendar's row; made with the defaults if it is missing."""
    row, _ = TeamCalendar.objects.get_or_create(
        pk=1,
        defaults={
            "time_zone": settings.TIME_ZONE,
            "days": business_hours.DEFAULT_DAYS,
            "holidays": [],
        },
    )
    return row


def working_calendar(row: TeamCalendar | None = None) -> business_hours.WorkingCalendar:
    """The team's business hours, for SLA arithmetic."""
    row = row or team_calendar_row()
    return business_hours.build(time_zone_name=row.time_zone, days=row.days, holidays=row.holidays)


#: The team's zone name when this request already read it (``team_zone_read``).
_zone_read: ContextVar[str | None] = ContextVar("team_zone_read", default=None)


@contextmanager
def team_zone_read(name: str) -> Iterator[None]:
    """Within the block, ``team_time_zone`` answers ``name`` (the team calendar's zone
    just read, with the reader's own, by ``LocalTimeMiddleware``) without asking again."""
    token = _zone_read.set(name)
    try:
        yield
    finally:
        _zone_read.reset(token)


def team_time_zone() -> str:
    """The name of the team calendar's time zone (the server's when it has none)."""
    name = _zone_read.get()
    if name is None:
        name = TeamCalendar.objects.filter(pk=1).values_list("time_zone", flat=True).first()
    return name or settings.TIME_ZONE


def update_team_calendar(
    *, by, time_zone: str, days: dict[str, list[str]], holidays: list[str]
) -> TeamCalendar:
    """Set the team's business hours. Handoffs already open keep the due times they got;
    the new hours count for handoffs opened from now on."""
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can change the team's business hours.")
    problems = business_hours.errors(time_zone_name=time_zone, days=days, holidays=holidays)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        row = TeamCalendar.objects.select_for_update().filter(pk=1).first() or team_calendar_row()
        row.time_zone = time_zone
        row.days = {key: list(days[key]) for key in business_hours.WEEKDAYS if days.get(key)}
        # Stored as plain dates, once each, whatever ISO form they came in ("2026-W53-4").
        row.holidays = sorted({date.fromisoformat(day).isoformat() for day in holidays})
        row.updated_by = by
        row.save()
    # What this request read before is the old zone now.
    _zone_read.set(None)
    return row
