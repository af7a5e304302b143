"""Periods, scopes and the small arithmetic every KPI shares."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

MONEY = Decimal("0.01")


def kpi_time_zone() -> tzinfo:
    """The zone KPI days, weeks and months are cut in: the team calendar's, so the pages
    (whoever reads them), the CSV exports, the goals and the API count the same days."""
    from alignment.notifications import zone_of
    from alignment.services import team_time_zone

    return zone_of("", team_time_zone())


@contextmanager
def in_kpi_time_zone() -> Iterator[tzinfo]:
    """Compute (and default "today") in :func:`kpi_time_zone` within the block."""
    zone = kpi_time_zone()
    with timezone.override(zone):
        yield zone


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes, from inclusive dates."""

    start: datetime
    end: datetime

    @classmethod
    def from_dates(cls, start: date, end: date, *, tz: tzinfo | None = None) -> "Period":
        """Whole days in ``tz`` (the current time zone unless given)."""
        tz = tz or timezone.get_current_timezone()
        return cls(
            start=datetime.combine(start, time.min, tzinfo=tz),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        )

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls.from_dates(today - timedelta(days=days - 1), today)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last day the period touches (its end is the midnight after it)."""
        return (self.end - timedelta(microseconds=1)).date()

    def previous(self) -> "Period":
        """The period of equal length just before this one: as many whole days when the
        period is made of whole days (so a change of daylight saving time in between moves
        nothing), else the same duration."""
        start, end = self.start, self.end
        if start.time() == time.min and end.time() == time.min:
            days = (end.date() - start.date()).days
            # In the period's own time zone: a goal's quarter in the team's zone is followed
            # by the quarter before it there, whatever zone the reader is in.
            return Period.from_dates(
                start.date() - timedelta(days=days),
                start.date() - timedelta(days=1),
                tz=start.tzinfo,
            )
        return Period(start - (end - start), start)


@dataclass(frozen=True)
class Scope:
    """Which leads (and which spend) count.

    - ``campaign``: leads whose first-touch campaign it is, and its costs;
    - ``channel``: leads first touched by a campaign on that channel, and those costs;
    - ``owner``: a user's leads: the leads they own plus the leads of the campaigns they
      own (a rep's leads, a marketer's campaigns), and the costs of campaigns they own.
    """

    campaign: int | None = None
    channel: str | None = None
    owner: int | None = None

    def leads_q(self, prefix: str = "") -> Q:
        """The scope as a condition on a lead (``prefix`` is the path to it, ``lead__``)."""
        return self.campaigns_q(f"{prefix}campaign__") & self.owner_q(prefix)

    def campaigns_q(self, prefix: str = "") -> Q:
        """The campaign and channel parts as a condition on a campaign (``prefix`` is the
        path to it, ending in ``__``, or empty for the campaign itself)."""
        q = Q()
        if self.campaign is not None:
            q &= Q(**{f"{prefix}id": self.campaign})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        return q

    def owner_q(self, prefix: str = "") -> Q:
        """The owner part as a condition on a lead."""
        if self.owner is None:
            return Q()
        return Q(**{f"{prefix}owner_id": self.owner}) | Q(
            **{f"{prefix}campaign__owner_id": self.owner}
        )

    def costs_q(self) -> Q:
        q = self.campaigns_q("campaign__")
        if self.owner is not None:
            q &= Q(campaign__owner_id=self.owner)
        return q

    @property
    def narrows_campaigns(self) -> bool:
        """Whether only some campaigns count (a campaign or a channel is chosen)."""
        return self.campaign is not None or bool(self.channel)


def rate(part: float, whole: float) -> float | None:
    """``part / whole`` to four places; None (shown "—") when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def per(money: Decimal, count: float) -> Decimal | None:
    """Money per unit, to the cent; None when there are no units."""
    return money_of(money / Decimal(str(count))) if count else None


def change(current: float, previous: float) -> float | None:
    """The rate of change from ``previous`` to ``current``; None from nothing."""
    return round((current - previous) / previous, 4) if previous else None


def roi(revenue: Decimal, spend: Decimal) -> float | None:
    """Return on investment: (revenue − spend) ÷ spend; None without spend."""
    return round(float((revenue - spend) / spend), 4) if spend else None


def money_of(value: Decimal | float | int | None) -> Decimal:
    """A sum of money to the cent (None, from an empty sum, is zero)."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(MONEY, rounding=ROUND_HALF_UP)


def minutes_of(duration: timedelta | float | None) -> float | None:
    """Minutes to one place, from a duration or a number of seconds."""
    if duration is None:
        return None
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    # ``+ 0.0`` turns the -0.0 of a rounded tiny negative into 0.0.
    return round(seconds / 60, 1) + 0.0


def days_of(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 86400, 1) + 0.0
