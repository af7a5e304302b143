"""Trends: any period KPI week by week or month by month, every bucket present.

One grouped query per table the metrics read, truncating times to the week (from Monday)
or month in the current time zone, however many buckets: never a summary per bucket.
The buckets are whole weeks or months: the range asked for is widened to the first day
of its first bucket and the last day of its last one, so every point counts a full
interval (the current one: so far).
"""

from dataclasses import dataclass
from datetime import date, datetime

from kpis.queries.base import Scope
from kpis.queries.buckets import INTERVALS, TruncBuckets, bucket_count
from kpis.queries.metrics import METRICS, Value, per_bucket

#: The most buckets one trend draws: three years of weeks, twenty of months.
MAX_BUCKETS = {"week": 157, "month": 240}


@dataclass(frozen=True)
class TrendPoint:
    period_start: date
    period_end: date
    value: Value


def check_trend(names: list[str], interval: str, start: date, end: date) -> None:
    """Raise ``ValueError`` with a message a person can act on if the trend cannot be
    drawn: an unknown or snapshot metric, an unknown interval, a backwards or too long
    range."""
    for name in names:
        if name not in METRICS:
            raise ValueError(f"Unknown metric {name!r}.")
        if METRICS[name].snapshot:
            raise ValueError(f"{METRICS[name].label} is a number about now: it has no trend.")
    if interval not in INTERVALS:
        raise ValueError(f"The interval is week or month, not {interval!r}.")
    if start > end:
        raise ValueError("The range cannot end before it starts.")
    if bucket_count(start, end, interval) > MAX_BUCKETS[interval]:
        raise ValueError(
            f"A trend draws at most {MAX_BUCKETS[interval]} {interval}s: "
            "shorten the range or count by month."
        )


def trends(
    names: list[str],
    *,
    interval: str = "week",
    start: date,
    end: date,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> dict[str, list[TrendPoint]]:
    """Several metrics' trends at once, sharing their queries (leads, MQLs, SQLs and won
    revenue read two tables between them)."""
    check_trend(names, interval, start, end)
    buckets = TruncBuckets(interval, start, end)
    by_bucket = per_bucket(buckets, scope, names, now=now)
    return {
        name: [
            TrendPoint(
                period_start=period.first_day,
                period_end=period.last_day,
                value=by_bucket[key][name],
            )
            for key, period in zip(buckets.keys, buckets.periods, strict=True)
        ]
        for name in names
    }


def trend(
    metric: str,
    *,
    interval: str = "week",
    start: date,
    end: date,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> list[TrendPoint]:
    """One metric's value per week or month from ``start`` to ``end``: ``[TrendPoint]``
    with every bucket present (a count of nothing is 0, a ratio of nothing None)."""
    return trends([metric], interval=interval, start=start, end=end, scope=scope, now=now)[metric]
