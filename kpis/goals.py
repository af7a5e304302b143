"""Goals: the services that set them and the query that says how each is going.

A goal is a target on one KPI of ``kpis.queries.METRICS`` for a period. How it is going:

- ``actual``: the KPI over the goal's whole period as it stands at ``now`` (for counts and
  money, what has added up so far; for rates, medians and costs per unit, their value so
  far), computed by ``kpis.queries.values``, so a goal agrees with the dashboard;
- ``elapsed``: the share of the period gone, in the team's time zone;
- ``expected_now``: where the KPI should be by now: ``target × elapsed`` for a KPI that
  adds up over the period, the target itself for a rate or a cost per unit;
- ``pace``: ahead, on track (within ±5 % of what was expected) or behind, the right way
  round for KPIs where lower is better (costs, minutes, spend, lost leads);
- once the period is over, whether the goal was met.

Who may set a goal: a manager any; a marketer one on a campaign they own or with
themselves as owner; a rep only with themselves as owner. Everyone with a role reads them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from alignment.roles import MANAGER, MARKETING, SALES, has_role
from alignment.services import team_time_zone
from campaigns.models import Campaign, Channel
from kpis.models import Goal
from kpis.queries import METRICS, Metric, Period, Scope, Value, values

#: How far from where it should be a goal may be and still be "on track".
TOLERANCE = Decimal("0.05")
#: Dates a goal may use (``Period`` adds a day to the end, which must not overflow).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
#: The largest target the column holds: 12 digits before the point, 4 after.
MAX_TARGET = Decimal("1e12")

Kind = Goal.PeriodKind

# Goal metrics ------------------------------------------------------------------------------


class Unit(StrEnum):
    COUNT = "count"
    MONEY = "money"
    #: A share of 1 (0.9 is 90 %): its target cannot pass 1.
    RATE = "rate"
    #: A fraction that may pass 1 (ROI, lead velocity).
    RATIO = "ratio"
    MINUTES = "minutes"
    DAYS = "days"


_PLACES = {Unit.COUNT: 0, Unit.MONEY: 2, Unit.RATE: 4, Unit.RATIO: 4, Unit.MINUTES: 1, Unit.DAYS: 1}


@dataclass(frozen=True)
class GoalMetric:
    """A KPI a goal may be set on, and how to judge it."""

    name: str
    label: str
    unit: Unit
    #: Counts and sums of money add up over the period; rates, medians, costs per unit
    #: and snapshots of now have a value at any moment, compared with the target as is.
    cumulative: bool
    lower_is_better: bool

    @property
    def money(self) -> bool:
        return self.unit == Unit.MONEY

    def quantize(self, value: Decimal) -> Decimal:
        """``value`` to the places the KPI is shown with."""
        return value.quantize(Decimal(1).scaleb(-_PLACES[self.unit]), rounding=ROUND_HALF_UP)


def _goal_metric(metric: Metric) -> GoalMetric:
    if metric.kind == "rate":
        unit = Unit.RATE if metric.name.endswith("_rate") else Unit.RATIO
    else:
        unit = Unit(metric.kind)
    return GoalMetric(
        name=metric.name,
        label=metric.label,
        unit=unit,
        cumulative=unit in (Unit.COUNT, Unit.MONEY) and not metric.nullable and not metric.snapshot,
        lower_is_better=metric.better == "lower",
    )


@cache
def goal_metrics() -> dict[str, GoalMetric]:
    """Every KPI of ``kpis.queries.METRICS``, in its order, as a goal metric: a KPI added
    there can carry a goal at once."""
    return {name: _goal_metric(metric) for name, metric in METRICS.items()}


# Periods and scopes --------------------------------------------------------------------------


def last_day_of(kind: str, start: date) -> date:
    """The last day of the month or quarter that starts on ``start``."""
    months = 3 if kind == Kind.QUARTER else 1
    month = start.month - 1 + months
    following = date(start.year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def starts_a(kind: str, start: date) -> bool:
    """Whether ``start`` is the first day of a month (or of a quarter)."""
    if kind == Kind.QUARTER:
        return start.day == 1 and start.month % 3 == 1
    return start.day == 1


def kind_of(start: date, end: date) -> str:
    """The kind of period two dates span: a calendar quarter or month, else custom."""
    for kind in (Kind.QUARTER, Kind.MONTH):
        if starts_a(kind, start) and end == last_day_of(kind, start):
            return kind
    return Kind.CUSTOM


def goal_period(goal: Goal, zone: ZoneInfo) -> Period:
    """The goal's days as a half-open interval of instants in the team's time zone."""
    return Period(
        start=datetime.combine(goal.period_start, time.min, tzinfo=zone),
        end=datetime.combine(goal.period_end + timedelta(days=1), time.min, tzinfo=zone),
    )


def goal_scope(goal: Goal) -> Scope:
    """Whose numbers count for the goal: the company's (no scope) or one scope's."""
    return Scope(campaign=goal.campaign_id, channel=goal.channel or None, owner=goal.owner_id)


def team_today(now: datetime | None = None) -> date:
    """Today in the team's time zone: the day ``?active=true`` asks about."""
    return (now or timezone.now()).astimezone(ZoneInfo(team_time_zone())).date()


# Progress ----------------------------------------------------------------------------------


class Pace(StrEnum):
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"


class State(StrEnum):
    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(frozen=True)
class GoalProgress:
    """How one goal is going at ``now``. Values are in the metric's unit, rounded to its
    places; ``actual`` is None for a ratio with nothing to divide by yet."""

    goal: Goal
    metric: GoalMetric
    state: State
    target: Decimal
    actual: Decimal | None
    expected_now: Decimal
    #: ``actual ÷ target``; None when the target is 0 or there is no actual yet.
    progress: float | None
    #: The share of the period gone, 0 to 1.
    elapsed: float
    #: None before the period starts and while there is no actual.
    pace: Pace | None
    pace_text: str
    #: Once the period is over: whether the target was reached.
    met: bool | None

    @property
    def tone(self) -> str:
        """One word for how it looks: met, missed, ahead, on_track, behind, or none."""
        if self.met is not None:
            return "met" if self.met else "missed"
        return self.pace.value if self.pace else "none"

    @property
    def percent(self) -> int:
        """``progress`` as a whole percentage from 0 to 100, for a bar."""
        return max(0, min(100, round((self.progress or 0) * 100)))

    @property
    def expected_percent(self) -> int:
        """Where a bar of ``actual ÷ target`` should be by now, 0 to 100."""
        if not self.target:
            return 0
        return max(0, min(100, round(float(self.expected_now / self.target) * 100)))


def _number(value: int | float | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _whole_percent(share: Decimal) -> int:
    return int((abs(share) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def judge(
    actual: Decimal, expected: Decimal, *, lower_is_better: bool
) -> tuple[Pace, Decimal | None]:
    """The pace of ``actual`` against ``expected`` and how far off it is, as a share of
    ``expected`` (positive: better than expected); None when nothing was expected."""
    if not expected:
        if not actual:
            return Pace.ON_TRACK, None
        return (Pace.BEHIND if lower_is_better else Pace.AHEAD), None
    deviation = (actual - expected) / expected
    if lower_is_better:
        deviation = -deviation
    if deviation > TOLERANCE:
        return Pace.AHEAD, deviation
    if deviation < -TOLERANCE:
        return Pace.BEHIND, deviation
    return Pace.ON_TRACK, deviation


def _pace_text(pace: Pace, deviation: Decimal | None) -> str:
    if pace == Pace.ON_TRACK:
        return "on track"
    word = "ahead" if pace == Pace.AHEAD else "behind"
    return word if deviation is None else f"{word} by {_whole_percent(deviation)} %"


def _elapsed(period: Period, now: datetime) -> Decimal:
    # In UTC: a day when the clocks change is 23 or 25 hours long, not 24.
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    gone = min(max(now - start, timedelta(0)), end - start)
    tick = timedelta(microseconds=1)
    return Decimal(gone // tick) / Decimal((end - start) // tick)


def _progress(
    goal: Goal, period: Period, numbers: dict[str, Value] | None, now: datetime
) -> GoalProgress:
    metric = goal_metrics()[goal.metric]
    target = goal.target
    elapsed = _elapsed(period, now)
    expected = target * elapsed if metric.cumulative else target
    if now < period.start:
        state = State.UPCOMING
    elif now >= period.end:
        state = State.ENDED
    else:
        state = State.RUNNING
    if numbers is None:
        actual = Decimal(0) if metric.cumulative else None
    else:
        actual = _number(numbers[metric.name])
    pace: Pace | None = None
    met: bool | None = None
    if state == State.UPCOMING:
        text = "not started"
    elif actual is None:
        text = "no data yet" if state == State.RUNNING else "no data"
    else:
        pace, deviation = judge(actual, expected, lower_is_better=metric.lower_is_better)
        text = _pace_text(pace, deviation)
        if state == State.ENDED:
            met = actual <= target if metric.lower_is_better else actual >= target
            if met:
                text = "met"
            else:
                text = "missed" if deviation is None else f"missed by {_whole_percent(deviation)} %"
    return GoalProgress(
        goal=goal,
        metric=metric,
        state=state,
        target=metric.quantize(target),
        actual=None if actual is None else metric.quantize(actual),
        expected_now=metric.quantize(expected),
        progress=round(float(actual / target), 4) if actual is not None and target else None,
        elapsed=float(elapsed),
        pace=pace,
        pace_text=text,
        met=met,
    )


def goals_with_progress(
    goals: Iterable[Goal], *, now: datetime | None = None
) -> list[GoalProgress]:
    """Each goal with how it is going at ``now``.

    Goals of the same period and scope are computed together: one ``kpis.queries.values``
    call for all their KPIs (a query per table those KPIs read), whatever the number of
    goals; goals not started yet need none. Plus one query for the team's time zone.
    """
    goals = list(goals)
    if not goals:
        return []
    now = now or timezone.now()
    zone = ZoneInfo(team_time_zone())
    groups: dict[tuple[Period, Scope], set[str]] = {}
    for goal in goals:
        period = goal_period(goal, zone)
        if now >= period.start:
            groups.setdefault((period, goal_scope(goal)), set()).add(goal.metric)
    computed = {
        (period, scope): values(period, scope, sorted(names), now=now)
        for (period, scope), names in groups.items()
    }
    rows = []
    for goal in goals:
        period = goal_period(goal, zone)
        rows.append(_progress(goal, period, computed.get((period, goal_scope(goal))), now))
    return rows


def goal_progress(goal: Goal, *, now: datetime | None = None) -> GoalProgress:
    """How one goal is going at ``now``."""
    [row] = goals_with_progress([goal], now=now)
    return row


# Who may set a goal ------------------------------------------------------------------------


def may_set_goal(user, *, campaign: Campaign | None, owner_id: int | None) -> bool:
    """Whether ``user`` may set a goal on a campaign, an owner, or neither: the company or
    a channel, which only managers may."""
    if has_role(user, MANAGER):
        return True
    if owner_id is not None and owner_id == user.pk and has_role(user, MARKETING, SALES):
        return True
    return campaign is not None and campaign.owner_id == user.pk and has_role(user, MARKETING)


def may_change_goal(user, goal: Goal) -> bool:
    return may_set_goal(user, campaign=goal.campaign, owner_id=goal.owner_id)


def _refuse(user, values: dict[str, Any]) -> None:
    if not may_set_goal(
        user,
        campaign=values["campaign"],
        owner_id=getattr(values["owner"], "pk", None),
    ):
        raise PermissionDenied(
            "Managers set goals for the company, a channel or anyone; marketers for their "
            "own campaigns or themselves; reps for themselves."
        )


# Services ----------------------------------------------------------------------------------

_FIELDS = (
    "metric",
    "period_kind",
    "period_start",
    "period_end",
    "target",
    "campaign",
    "channel",
    "owner",
)
_SCOPE_KEYS = ("campaign", "channel", "owner")


def _period_errors(values: dict[str, Any], *, end_given: bool) -> dict[str, list[str]]:
    """What is wrong with the period; a month's or quarter's end is derived into
    ``values``."""
    kind, start, end = values["period_kind"], values["period_start"], values["period_end"]
    out_of_range = {
        field: [f"Give a date between {EARLIEST} and {LATEST}."]
        for field in ("period_start", "period_end")
        if values[field] is not None and not EARLIEST <= values[field] <= LATEST
    }
    if out_of_range:
        return out_of_range
    if kind not in Kind.values:
        return {"period_kind": [f'"{kind}" is not a period; use one of: {", ".join(Kind.values)}.']}
    if kind == Kind.CUSTOM:
        if end is None:
            return {"period_end": ["Give the last day, or a period_kind of month or quarter."]}
        if end < start:
            return {"period_end": ["The period cannot end before it starts."]}
        return {}
    if not starts_a(kind, start):
        if kind == Kind.MONTH:
            return {"period_start": ["A month goal starts on the 1st of a month."]}
        return {
            "period_start": ["A quarter goal starts on 1 January, 1 April, 1 July or 1 October."]
        }
    derived = last_day_of(kind, start)
    if end_given and end != derived:
        return {"period_end": [f"A {kind} goal starting on {start} ends on {derived}."]}
    values["period_end"] = derived
    return {}


def _settle(values: dict[str, Any], *, end_given: bool) -> dict[str, Any]:
    """``values`` checked and completed (a month's or quarter's end derived), or a
    ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    metrics = goal_metrics()
    metric = metrics.get(values["metric"])
    if metric is None:
        errors["metric"] = [f'"{values["metric"]}" is not a KPI; use one of: {", ".join(metrics)}.']

    errors.update(_period_errors(values, end_given=end_given))

    target = values["target"]
    if target < 0:
        errors["target"] = ["The target cannot be negative."]
    elif target >= MAX_TARGET or target != target.quantize(Decimal("0.0001")):
        errors["target"] = ["Give at most 12 digits before the point and 4 after it."]
    elif metric is not None and metric.unit == Unit.RATE and target > 1:
        errors["target"] = ["A rate is a fraction of 1: 0.9 for 90 %."]
    elif metric is not None and metric.unit == Unit.COUNT and target != target.to_integral():
        errors["target"] = ["A count is a whole number."]

    values["channel"] = values["channel"] or ""
    if values["channel"] and values["channel"] not in Channel.values:
        errors["channel"] = [f'"{values["channel"]}" is not a channel.']
    if sum(1 for key in _SCOPE_KEYS if values[key]) > 1:
        errors["scope"] = ["Give at most one of campaign, channel and owner."]
    if errors:
        raise ValidationError(errors)
    return values


def _require_role(user) -> None:
    if not has_role(user, MANAGER, MARKETING, SALES):
        raise PermissionDenied("Only the sales and marketing teams set goals.")


def create_goal(
    *,
    by,
    metric: str,
    target: Decimal,
    period_start: date,
    period_end: date | None = None,
    period_kind: str | None = None,
    campaign: Campaign | None = None,
    channel: str = "",
    owner=None,
) -> Goal:
    """Set a goal. Without ``period_kind`` the dates say it (a calendar month or quarter,
    else custom); a month or quarter goal needs only its first day."""
    _require_role(by)
    if period_kind is None:
        period_kind = kind_of(period_start, period_end) if period_end else Kind.CUSTOM
    values = _settle(
        {
            "metric": metric,
            "period_kind": period_kind,
            "period_start": period_start,
            "period_end": period_end,
            "target": target,
            "campaign": campaign,
            "channel": channel,
            "owner": owner,
        },
        end_given=period_end is not None,
    )
    _refuse(by, values)
    return Goal.objects.create(**values, created_by=by)


def update_goal(goal: Goal, *, by, **changes: Any) -> Goal:
    """Change a goal. Any of ``campaign``, ``channel`` and ``owner`` replaces the whole
    scope (the others are cleared). A new start of a month or quarter goal moves its end
    with it; new dates without ``period_kind`` say the kind, as when creating."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise TypeError(f"update_goal() got unexpected fields: {', '.join(sorted(unknown))}")
    _require_role(by)
    with transaction.atomic():
        # The row is read again under a lock: the change is checked against the goal as it
        # is, not as another request left it a moment ago.
        goal = (
            Goal.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=goal.pk)
        )
        if not may_change_goal(by, goal):
            raise PermissionDenied("You may not change this goal.")
        values = {field: getattr(goal, field) for field in _FIELDS}
        if any(key in changes for key in _SCOPE_KEYS):
            values.update(campaign=None, channel="", owner=None)
        values.update(changes)
        end_given = changes.get("period_end") is not None
        if "period_kind" not in changes and end_given:
            values["period_kind"] = kind_of(values["period_start"], values["period_end"])
        values = _settle(values, end_given=end_given)
        _refuse(by, values)
        for field, value in values.items():
            setattr(goal, field, value)
        goal.save()
    return goal


def delete_goal(goal: Goal, *, by) -> None:
    _require_role(by)
    if not may_change_goal(by, goal):
        raise PermissionDenied("You may not delete this goal.")
    goal.delete()
