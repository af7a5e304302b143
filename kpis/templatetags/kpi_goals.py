"""How a goal reads on a page: its scope and period in words, its numbers in their unit
(money with its currency, rates as percentages, minutes as durations, "—" for none)."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import date_format

from alignment.templatetags.tandem import EMPTY, duration, percent, person
from kpis.goals import GoalMetric, Unit
from kpis.models import Goal

register = template.Library()


@register.filter
def kpi_value(value: Decimal | None, metric: GoalMetric) -> str:
    """``value`` in ``metric``'s unit, as people read it."""
    if value is None:
        return EMPTY
    if metric.unit == Unit.MONEY:
        return f"{value:,.2f} {settings.CURRENCY}"
    if metric.unit in (Unit.RATE, Unit.RATIO):
        return percent(float(value))
    if metric.unit == Unit.MINUTES:
        return duration(float(value))
    if metric.unit == Unit.DAYS:
        return f"{value:,.1f} days"
    return f"{value:,f}"


@register.filter
def goal_scope(goal: Goal) -> str:
    """Whose goal it is: the company's, or a campaign's, a channel's or a person's."""
    if goal.campaign_id:
        return goal.campaign.name
    if goal.channel:
        return f"{goal.get_channel_display()} channel"
    if goal.owner_id:
        return person(goal.owner)
    return "Company"


@register.filter
def goal_period(goal: Goal) -> str:
    """The period as people name it: "Q2 2026", "April 2026", "3 Apr – 9 May 2026"."""
    start, end = goal.period_start, goal.period_end
    if goal.period_kind == Goal.PeriodKind.QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if goal.period_kind == Goal.PeriodKind.MONTH:
        return date_format(start, "F Y")
    if start.year == end.year:
        return f"{date_format(start, 'j M')} – {date_format(end, 'j M Y')}"
    return f"{date_format(start, 'j M Y')} – {date_format(end, 'j M Y')}"
