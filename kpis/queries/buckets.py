"""Buckets: the periods one grouped query answers at once.

Every KPI source is one grouped query per table whose ``GROUP BY`` is a bucket
expression: a ``CASE`` over a few consecutive periods (this period and the one before it,
for the summary), or a truncation to the week or the month (for trends, in the current
time zone). The source fills every bucket, so a week with nothing in it is a zero, not a
gap.
"""

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, DateField, Expression, IntegerField, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from kpis.queries.base import Period

#: The figures of one bucket, by name, and of every bucket, by key.
Figures = dict[str, Any]
ByBucket = dict[Hashable, Figures]


class Buckets(ABC):
    """Consecutive periods from ``start`` to ``end`` (half-open), each known by a key."""

    keys: Sequence[Hashable]
    periods: list[Period]

    @property
    def start(self) -> datetime:
        return self.periods[0].start

    @property
    def end(self) -> datetime:
        return self.periods[-1].end

    @property
    def first_day(self) -> date:
        return self.periods[0].first_day

    @property
    def end_day(self) -> date:
        """The day after the last one, for ``date < end_day`` on date columns."""
        return self.periods[-1].last_day + timedelta(days=1)

    @abstractmethod
    def of(self, field: str) -> Expression:
        """The key of the bucket a datetime column's value falls in."""

    @abstractmethod
    def of_date(self, field: str) -> Expression:
        """The key of the bucket a date column's value falls in."""

    @abstractmethod
    def start_of_date(self, field: str) -> Expression:
        """The first day of the bucket a date column's value falls in."""

    @abstractmethod
    def key(self, value: object) -> Hashable:
        """A bucket key as the database gave it back, as it stands in ``keys``."""

    @abstractmethod
    def lead_in(self) -> "Buckets":
        """The same buckets with one more before the first (what a change is measured
        against)."""


class PeriodBuckets(Buckets):
    """A few consecutive periods, keyed 0, 1, …; one ``CASE`` sorts rows into them."""

    def __init__(self, periods: list[Period]) -> None:
        for before, after in zip(periods, periods[1:], strict=False):
            if before.end != after.start:
                raise ValueError("Periods of one query follow each other without gaps.")
        self.periods = periods
        self.keys = list(range(len(periods)))

    def of(self, field: str) -> Expression:
        return Case(
            *(When(**{f"{field}__lt": p.end}, then=Value(i)) for i, p in enumerate(self.periods)),
            output_field=IntegerField(),
        )

    def of_date(self, field: str) -> Expression:
        ends = [p.last_day + timedelta(days=1) for p in self.periods]
        return Case(
            *(When(**{f"{field}__lt": end}, then=Value(i)) for i, end in enumerate(ends)),
            output_field=IntegerField(),
        )

    def start_of_date(self, field: str) -> Expression:
        ends = [p.last_day + timedelta(days=1) for p in self.periods]
        return Case(
            *(
                When(**{f"{field}__lt": end}, then=Value(p.first_day))
                for p, end in zip(self.periods, ends, strict=True)
            ),
            output_field=DateField(),
        )

    def key(self, value: object) -> Hashable:
        assert isinstance(value, int)
        return value

    def lead_in(self) -> "PeriodBuckets":
        return PeriodBuckets([self.periods[0].previous(), *self.periods])


INTERVALS = ("week", "month")


def bucket_start(day: date, interval: str) -> date:
    """The first day of the week (Monday) or month ``day`` falls in."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_count(first: date, last: date, interval: str) -> int:
    """How many weeks or months the days from ``first`` to ``last`` touch."""
    first, last = bucket_start(first, interval), bucket_start(last, interval)
    if interval == "week":
        return (last - first).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


class TruncBuckets(Buckets):
    """Whole weeks (from Monday) or months in the current time zone, keyed by their first
    day, covering the days from ``first`` to ``last``."""

    def __init__(self, interval: str, first: date, last: date) -> None:
        if interval not in INTERVALS:
            raise ValueError(f"Buckets are weeks or months, not {interval!r}.")
        self.interval = interval
        starts = [bucket_start(first, interval)]
        while next_bucket(starts[-1], interval) <= last:
            starts.append(next_bucket(starts[-1], interval))
        self.keys = list(starts)
        self.periods = [
            Period.from_dates(start, next_bucket(start, interval) - timedelta(days=1))
            for start in starts
        ]
        self._trunc = TruncWeek if interval == "week" else TruncMonth

    def of(self, field: str) -> Expression:
        return self._trunc(field, tzinfo=timezone.get_current_timezone())

    def of_date(self, field: str) -> Expression:
        return self._trunc(field)

    def start_of_date(self, field: str) -> Expression:
        return self._trunc(field, output_field=DateField())

    def key(self, value: object) -> Hashable:
        assert isinstance(value, date)
        return value.date() if isinstance(value, datetime) else value

    def lead_in(self) -> "TruncBuckets":
        before = bucket_start(self.first_day - timedelta(days=1), self.interval)
        return TruncBuckets(self.interval, before, self.periods[-1].last_day)


def fill(buckets: Buckets, defaults: Figures) -> ByBucket:
    """Every bucket, each with its own copy of ``defaults``: empty buckets are zeros."""
    return {key: dict(defaults) for key in buckets.keys}
