"""Numbers and codes as people say them: "4 h" for 240 minutes, "Germany" for ``de``.

Pure functions, shared by the template filters (``alignment.templatetags.humane``) and by
the code that writes sentences (the agreement's list of changes, the rules in words), so a
page and a sentence about the same value say it the same way.
"""

from collections.abc import Iterable

import pycountry

EMPTY = "—"
MINUTES_PER_DAY = 24 * 60


def duration_text(minutes: float | None, *, exact: bool = True) -> str:
    """A number of minutes as people say it: 90 → "1 h 30 min", 240 → "4 h", 1440 →
    "1 day", 2970 → "2 days 1 h 30 min".

    Exact to the minute by default, for targets (a target of 1 h 30 min is not "about
    2 h"); ``exact=False`` keeps the two largest units, for time measured or counting down
    ("3 days 4 h" rather than "3 days 4 h 17 min"). A negative number reads as its size
    (the caller says "overdue by")."""
    if minutes is None:
        return EMPTY
    total = int(round(abs(minutes)))
    if total < 60:
        return f"{total} min"
    days, rest = divmod(total, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = [
        (days, f"{days} day{'s' if days != 1 else ''}"),
        (hours, f"{hours} h"),
        (mins, f"{mins} min"),
    ]
    if not exact:
        first = next(index for index, (amount, _) in enumerate(parts) if amount)
        parts = parts[first : first + 2]
    return " ".join(text for amount, text in parts if amount)


def country_name(code: str | None) -> str:
    """An ISO 3166-1 alpha-2 code (any case) as the country's common name ("Germany",
    "South Korea"); an unknown code as it was given, upper-cased; "" for none."""
    code = (code or "").strip()
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code.upper()
    return getattr(country, "common_name", None) or country.name


def country_names(codes: Iterable[str] | str) -> list[str]:
    """Codes (a list, or text separated by commas) as country names, in their order."""
    if isinstance(codes, str):
        codes = codes.split(",")
    return [country_name(code) for code in codes if code and code.strip()]


def joined(items: Iterable[str], *, last: str = "or") -> str:
    """``a, b or c``: a list in a sentence."""
    items = [item for item in items if item]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
