"""Filter pieces every app's FilterSets share."""

import django_filters
from django.core.validators import MaxValueValidator

from alignment.fields import IsoDateTimeField

#: The largest id any backend stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A row id in the query string.

    Bounded to what the database can hold: SQLite raises instead of finding nothing when
    asked for a foreign key past 64 bits, and bad input must answer 400, not 500.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID)  # below it, SQLite raises as above it
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return MaxValueValidator(MAX_ID)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date and time in the query string, refused (400) when PostgreSQL could
    not compare with it or a page could not show it (``alignment.fields``)."""

    field_class = IsoDateTimeField
