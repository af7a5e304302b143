"""Dates and times as every door takes them: what PostgreSQL stores and every zone shows.

Python reads offsets up to ±23:59 and any year from 1 to 9999, but PostgreSQL refuses an
offset past ±15:59 (a 500 from a filter or an insert), an instant past year 9999 in UTC
cannot be read back by Python, and a page shows a time in its reader's zone (up to 14
hours either side of UTC). So an input is refused with a field message (400) unless its
offset is one a real zone uses (at most ±14:00) and its instant is one day clear of the
ends of year 1 and year 9999 in UTC. The API's serializers take ``DateTimeField`` from
here, the FilterSets ``IsoDateTimeFilter`` (``alignment.filters``), capture
``check_datetime``.
"""

from datetime import UTC, datetime, timedelta

import django_filters.fields
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

MAX_OFFSET = timedelta(hours=14)
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
OFFSET_MESSAGE = "Give a UTC offset between -14:00 and +14:00."
RANGE_MESSAGE = (
    f"Give a date and time between {EARLIEST.date().isoformat()} and "
    f"{LATEST.date().isoformat()} (UTC)."
)


def check_datetime(value: datetime) -> datetime:
    """``value`` if it can be stored and shown, else ``ValidationError``.

    A naive value is read in the current time zone, as Django and DRF read it."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(OFFSET_MESSAGE, code="offset")
    try:
        instant = (value if offset is not None else timezone.make_aware(value)).astimezone(UTC)
    except OverflowError:
        raise ValidationError(RANGE_MESSAGE, code="range") from None
    if not EARLIEST <= instant <= LATEST:
        raise ValidationError(RANGE_MESSAGE, code="range")
    return value


class DateTimeField(serializers.DateTimeField):
    """DRF's ``DateTimeField``, refusing what ``check_datetime`` refuses."""

    def to_internal_value(self, value):
        given = value
        if isinstance(value, str):
            try:
                given = parse_datetime(value)
            except ValueError:
                given = None  # a date that does not exist: DRF says so below
        if isinstance(given, datetime):
            try:
                check_datetime(given)
            except ValidationError as exc:
                raise serializers.ValidationError(exc.messages, code=exc.code) from exc
        return super().to_internal_value(value)


class IsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """The form field of ``alignment.filters.IsoDateTimeFilter``."""

    def to_python(self, value):
        parsed = super().to_python(value)
        return check_datetime(parsed) if parsed is not None else None
