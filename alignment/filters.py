"""Filter pieces every app's FilterSets share."""

import django_filters
from django.core.validators import MaxValueValidator

#: The largest id any backend stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A row id in the query string.

    Bounded to what the database can hold: SQLite raises instead of finding nothing when
    asked for a foreign key past 64 bits, and bad input must answer 400, not 500.
    """

    def get_max_validator(self):
        return MaxValueValidator(MAX_ID)
