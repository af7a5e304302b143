"""Template filters that say numbers and codes as people do (``alignment.humane``).

``{{ version.claim_sla_minutes|duration }}`` → "4 h"; ``{{ lead.country|country }}`` →
"Germany"; ``{{ codes|countries }}`` → "United States, Germany". The ``tandem`` library's
``duration`` is the same filter, for the templates that load only that one.
"""

from django import template

from alignment import humane

register = template.Library()


@register.filter
def duration(minutes: float | None, precision: str = "") -> str:
    """Minutes as "1 h 30 min", "4 h", "1 day"; "—" for none. ``|duration:"about"`` keeps
    the two largest units, for time measured ("3 days 4 h")."""
    if minutes == "":  # a missing value, as templates pass it
        return humane.EMPTY
    return humane.duration_text(minutes, exact=precision != "about")


@register.filter
def country(code: str | None) -> str:
    """A country code as the country's name; "" for none (``|default:"—"`` to show a dash)."""
    return humane.country_name(code)


@register.filter
def countries(codes) -> str:
    """Country codes (a list, or text separated by commas) as names, joined by commas."""
    return ", ".join(humane.country_names(codes or []))
