"""Template helpers for the design system: stage badges, score chips, SLA clocks, numbers."""

from datetime import datetime
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alignment.humane import duration_text
from alignment.templatetags.humane import duration as humane_duration
from leads.models import Stage

register = template.Library()

EMPTY = "—"


@register.inclusion_tag("partials/stage_badge.html")
def stage_badge(stage: str) -> dict:
    """One colour per lifecycle stage, the same on every page."""
    try:
        label = Stage(stage).label
    except ValueError:
        label = stage
    return {"stage": stage, "label": label}


@register.inclusion_tag("partials/score_chip.html")
def score_chip(lead, size: str = "") -> dict:
    """The score, with the rules that gave its points on hover and keyboard focus."""
    rows = sorted(lead.score_breakdown or [], key=lambda row: -abs(row.get("points", 0)))
    return {
        "lead": lead,
        "rows": rows,
        "size": size,
        "band": "high" if lead.score >= 50 else "mid" if lead.score >= 25 else "low",
    }


def about(minutes: float) -> str:
    return duration_text(minutes, exact=False)


@register.inclusion_tag("partials/sla_clock.html")
def sla_clock(due: datetime | None, done: datetime | None = None, label: str = "left") -> dict:
    """Time left before an SLA deadline: ok, soon (under 15 minutes) or overdue."""
    if due is None:
        return {"state": "none", "text": EMPTY, "due": None}
    if done is not None:
        on_time = done <= due
        return {
            "state": "met" if on_time else "late",
            "text": "Met" if on_time else f"Late by {about((done - due).total_seconds() / 60)}",
            "due": due,
        }
    minutes = (due - timezone.now()).total_seconds() / 60
    if minutes < 0:
        return {"state": "overdue", "text": f"Overdue by {about(minutes)}", "due": due}
    state = "soon" if minutes < 15 else "ok"
    return {"state": state, "text": f"{about(minutes)} {label}", "due": due}


@register.filter
def duration(minutes: float | None, precision: str = "") -> str:
    """Minutes as people say them ("4 h", "1 day"); the ``humane`` library's filter."""
    return humane_duration(minutes, precision)


@register.filter
def percent(rate: float | None) -> str:
    return EMPTY if rate is None else f"{rate * 100:.1f} %"


@register.filter
def money(amount: Decimal | float | str | None) -> str:
    """An amount in the ``CURRENCY`` setting's currency, the one way every page shows
    money: ``12,400.00 EUR`` (a no-break space keeps the code with its number); "—" for
    no amount, such as a cost per SQL before the first SQL."""
    if amount is None or amount == "":
        return EMPTY
    return f"{Decimal(str(amount)):,.2f}\u00a0{settings.CURRENCY}"


@register.simple_tag
def currency() -> str:
    """The code of the currency money is kept in, for the labels of amount fields."""
    return settings.CURRENCY


@register.filter
def signed_percent(rate: float | None) -> str:
    return EMPTY if rate is None else f"{rate * 100:+.0f} %"


@register.simple_tag
def share(part: float | int | None, whole: float | int | None) -> int:
    """``part`` as a whole percentage of ``whole`` (0–100), for bar widths."""
    if not part or not whole:
        return 0
    return max(0, min(100, round(float(part) * 100 / float(whole))))


@register.simple_tag
def funnel_rows(numbers) -> list[dict]:
    """The funnel of a KPI summary as bars, each sized against the first (leads)."""
    rows = [
        ("new", "Leads", numbers.leads),
        ("mql", "MQL", numbers.mqls),
        ("sal", "SAL", numbers.sals),
        ("sql", "SQL", numbers.sqls),
        ("won", "Won", numbers.won),
    ]
    top = max((count for _, _, count in rows), default=0)
    result = []
    previous = None
    for stage, label, count in rows:
        result.append(
            {
                "stage": stage,
                "label": label,
                "count": count,
                "width": share(count, top),
                "from_previous": (count / previous) if previous else None,
            }
        )
        previous = count
    return result


@register.filter
def person(user) -> str:
    """A user's full name, else their username; a dash for nobody."""
    if user is None:
        return EMPTY
    return user.get_full_name() or user.username


@register.filter
def iso_datetime(value: str | None) -> datetime | None:
    """A datetime stored as ISO text (as in a handoff brief) back as a datetime."""
    return parse_datetime(value) if value else None


@register.filter(needs_autoescape=True)
def with_mentions(text: str, autoescape: bool = True) -> str:
    """A comment's text, escaped, with its line breaks and ``@username`` mentions shown."""
    from django.utils.html import conditional_escape, linebreaks
    from django.utils.safestring import mark_safe

    from leads.comments import MENTION

    def mark(match) -> str:
        name = match.group(1).rstrip(".-")
        return f'<span class="mention">@{name}</span>{match.group(1)[len(name) :]}'

    escaped = conditional_escape(text) if autoescape else text
    return mark_safe(linebreaks(MENTION.sub(mark, str(escaped)), autoescape=False))
