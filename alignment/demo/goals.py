"""The demo company's goals: set for the month and the quarter the demo is opened in, so the
dashboard always has goals running, whatever day ``./run`` starts."""

from datetime import date, datetime
from decimal import Decimal

from kpis.goals import create_goal, team_today
from kpis.models import Goal

#: (metric, period kind, target, whose): the company's, or one person's (by username).
GOALS = [
    ("sqls", Goal.PeriodKind.QUARTER, Decimal(50), None),
    ("mqls", Goal.PeriodKind.MONTH, Decimal(35), None),
    ("cost_per_lead", Goal.PeriodKind.QUARTER, Decimal(250), None),
    ("won", Goal.PeriodKind.MONTH, Decimal(3), "rep1"),
]
#: Who sets them: the sales manager the company's, each person their own.
SET_BY = "manager"


def period_start(kind: str, today: date) -> date:
    if kind == Goal.PeriodKind.QUARTER:
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return today.replace(day=1)


def set_goals(users: dict, *, now: datetime) -> int:
    """Add the goals of the current month and quarter that are not there yet."""
    today, made = team_today(now), 0
    for metric, kind, target, whose in GOALS:
        owner = users[whose] if whose else None
        start = period_start(kind, today)
        if Goal.objects.filter(
            metric=metric, period_kind=kind, period_start=start, owner=owner
        ).exists():
            continue
        create_goal(
            by=owner or users[SET_BY],
            metric=metric,
            target=target,
            period_start=start,
            period_kind=kind,
            owner=owner,
        )
        made += 1
    return made
