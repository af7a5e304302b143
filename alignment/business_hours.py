"""Working time on the team's calendar: pure functions, no database.

SLA targets are minutes of working time. A lead that becomes an MQL at 17:55 on a Friday
with a 60-minute claim target, on a calendar open 09:00–18:00 on weekdays, is due at
09:55 on Monday. Each day's opening hours are read in the calendar's time zone and turned
into absolute instants before any arithmetic, so a day on which clocks change (DST) has
exactly as many working minutes as its local hours say.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: The keys of a calendar's ``days``, Monday first (``date.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
#: Mon–Fri 09:00–17:00: what a new team starts with.
DEFAULT_DAYS: dict[str, list[str]] = {day: ["09:00", "17:00"] for day in WEEKDAYS[:5]}
ALWAYS_OPEN_DAYS: dict[str, list[str]] = {day: ["00:00", "24:00"] for day in WEEKDAYS}
#: A search for working time gives up after this many calendar days: ten years of
#: holidays in a row is a calendar mistake, not a deadline.
MAX_DAYS = 3660
MAX_HOLIDAYS = 1000


class CalendarError(ValueError):
    """The calendar cannot be used: no working time, bad hours, unknown time zone."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours per weekday (``None``: closed) in ``tz``, and the dates closed."""

    tz: ZoneInfo
    hours: tuple[tuple[time, time | None] | None, ...]  # 7 entries; end None means 24:00
    holidays: frozenset[date] = field(default_factory=frozenset)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of ``day`` as aware datetimes, or None when closed."""
        if day in self.holidays:
            return None
        hours = self.hours[day.weekday()]
        if hours is None:
            return None
        start, end = hours
        opens = datetime.combine(day, start, tzinfo=self.tz)
        if end is None:
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        else:
            closes = datetime.combine(day, end, tzinfo=self.tz)
        return opens, closes


def parse_time(text: str, *, end: bool = False) -> time | None:
    """``"09:30"`` as a time; ``"24:00"`` (only as an end) is midnight after, as None."""
    if not isinstance(text, str):
        raise CalendarError("Write times as HH:MM, such as 09:00.")
    hours, colon, minutes = text.strip().partition(":")
    # ASCII digits only: str.isdigit() also says yes to "²" and "١", which int() refuses
    # or reads as a time nobody typed.
    digits = hours + minutes
    if not (colon and digits.isascii() and digits.isdigit()) or len(minutes) != 2:
        raise CalendarError(f"{text!r} is not a time; write HH:MM, such as 09:00.")
    if not 1 <= len(hours) <= 2:
        raise CalendarError(f"{text!r} is not a time; write HH:MM, such as 09:00.")
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return None
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise CalendarError(f"{text!r} is not a time of day.")
    return time(h, m)


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name`` (``Europe/Berlin``)."""
    if not isinstance(name, str) or not name or name not in _zone_names():
        raise CalendarError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"Unknown time zone {name!r}.") from exc


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    # Looked up in the list, not opened by name: ZoneInfo would read any file path given.
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def zone_choices() -> list[str]:
    return sorted(_zone_names())


def build(
    *, time_zone_name: str, days: Mapping[str, Iterable[str] | None], holidays: Iterable[str]
) -> WorkingCalendar:
    """A calendar from the stored (and API) shape; raises ``CalendarError`` with the
    first problem found. ``errors`` gives all of them by field."""
    problems = errors(time_zone_name=time_zone_name, days=days, holidays=holidays)
    if problems:
        first = next(iter(problems.values()))[0]
        raise CalendarError(first)
    hours: list[tuple[time, time | None] | None] = []
    for key in WEEKDAYS:
        span = days.get(key)
        if not span:
            hours.append(None)
            continue
        start_text, end_text = list(span)
        start = parse_time(start_text)
        assert start is not None
        hours.append((start, parse_time(end_text, end=True)))
    return WorkingCalendar(
        tz=time_zone(time_zone_name),
        hours=tuple(hours),
        holidays=frozenset(date.fromisoformat(day) for day in holidays),
    )


def errors(*, time_zone_name: str, days: object, holidays: object) -> dict[str, list[str]]:
    """What is wrong with a calendar, by field (``time_zone``, ``days``, ``holidays``)."""
    found: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    try:
        time_zone(time_zone_name)
    except CalendarError as exc:
        add("time_zone", str(exc))
    if not isinstance(days, Mapping):
        add("days", 'Give the hours per weekday, such as {"mon": ["09:00", "17:00"]}.')
    else:
        unknown = sorted(str(key) for key in days if key not in WEEKDAYS)
        if unknown:
            add("days", f"Unknown day {unknown[0]!r}; use {', '.join(WEEKDAYS)}.")
        open_days = 0
        for key in WEEKDAYS:
            span = days.get(key)
            if span in (None, [], ()):
                continue
            if not isinstance(span, list | tuple) or len(span) != 2:
                add("days", f"{WEEKDAY_LABELS[key]}: give an opening and a closing time.")
                continue
            try:
                start = parse_time(span[0])
                end = parse_time(span[1], end=True)
            except CalendarError as exc:
                add("days", f"{WEEKDAY_LABELS[key]}: {exc}")
                continue
            if end is not None and start is not None and end <= start:
                add("days", f"{WEEKDAY_LABELS[key]}: closing time must be after opening time.")
                continue
            open_days += 1
        if open_days == 0 and "days" not in found:
            add("days", "Open at least one day a week: SLA clocks count only working time.")
    if not isinstance(holidays, list | tuple):
        add("holidays", "Give holidays as a list of dates (YYYY-MM-DD).")
    else:
        if len(holidays) > MAX_HOLIDAYS:
            add("holidays", f"At most {MAX_HOLIDAYS} holidays.")
        for value in holidays[:MAX_HOLIDAYS]:
            try:
                if not isinstance(value, str) or len(value) != 10:
                    raise ValueError
                date.fromisoformat(value)
            except ValueError:
                add("holidays", f"{str(value)[:40]!r} is not a date; write YYYY-MM-DD.")
                break
    return found


def _windows_from(
    calendar: WorkingCalendar, start: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The working windows that end after ``start``, in order, clipped to begin at it, in
    UTC (datetimes that share a ``ZoneInfo`` subtract as wall clocks, which is wrong
    across a DST change). With ``until``, stops at the first window opening after it."""
    start = start.astimezone(UTC)
    day = start.astimezone(calendar.tz).date() - timedelta(days=1)
    last = until.astimezone(calendar.tz).date() if until is not None else None
    # With an end the walk is bounded by it; without one, by MAX_DAYS.
    days = (last - day).days + 1 if last is not None else MAX_DAYS
    for _ in range(max(0, days)):
        window = calendar.window(day)
        day += timedelta(days=1)
        if window is None:
            continue
        opens, closes = (moment.astimezone(UTC) for moment in window)
        # Hours that fall in the hour skipped in spring can close before they open: no time.
        if closes <= start or closes <= opens:
            continue
        yield max(opens, start), closes
    if last is None:
        raise CalendarError("No working time in the next ten years: check the calendar.")


def add_working_minutes(calendar: WorkingCalendar, start: datetime, minutes: float) -> datetime:
    """The instant ``minutes`` of working time after ``start`` (in UTC).

    Zero minutes gives the next working instant (``start`` itself during working hours).
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    left = timedelta(minutes=max(0.0, minutes))
    for opens, closes in _windows_from(calendar, start):
        available = closes - opens
        if left < available:
            return opens + left
        left -= available
    raise CalendarError("No working time in the next ten years: check the calendar.")


def working_minutes_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> float:
    """Minutes of working time from ``start`` to ``end``; negative when ``end`` is first."""
    if end < start:
        return -working_minutes_between(calendar, end, start)
    end = end.astimezone(UTC)
    total = timedelta()
    for opens, closes in _windows_from(calendar, start, until=end):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total.total_seconds() / 60
