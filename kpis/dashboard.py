"""The dashboard's content, built from ``kpis.queries`` for the page and its CSV exports.

``DashboardQuery`` is what the filters asked for (``forms.DashboardFilterForm.query``);
the page is made of ``SECTIONS``, each loaded by a request of its own and reading its
numbers in a fixed number of queries, whatever the number of campaigns, reps or weeks.
The CSV export (``kpis.exports``) calls the same query functions with the same query, so
a download and the page never disagree. What is
here is presentation: which KPIs are cards and how they read, chart labels, the order of
the campaign table; the arithmetic stays in ``kpis.queries``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.safestring import SafeString

from alignment.roles import SALES, has_role
from alignment.templatetags.tandem import EMPTY, duration, money, percent, signed_percent
from campaigns.models import Channel
from kpis.charts import Point, line_chart
from kpis.goals import GoalProgress, goals_with_progress, team_today
from kpis.models import Goal
from kpis.queries import (
    METRICS,
    STEPS,
    Attribution,
    CampaignRow,
    Comparison,
    Period,
    RepRow,
    Scope,
    Summary,
    TrendPoint,
    Value,
    campaign_rows,
    compare,
    rep_rows,
    trends,
    values,
)
from kpis.queries.comparison import SUMMARY_FIELDS
from kpis.queries.metrics import PREVIOUS_METRICS


@dataclass(frozen=True)
class DashboardQuery:
    """What the dashboard shows: a period and scope, and how the tables and charts read."""

    period: Period
    #: How people name the period: "Last 30 days", "March 2026".
    label: str
    scope: Scope
    attribution: Attribution = "first_touch"
    #: The trend charts' buckets: week or month.
    interval: str = "week"
    #: The campaign table's order: a key of ``CAMPAIGN_SORTS``, ``-`` first for descending.
    sort: str = "-spend"
    #: A marketer looking at their own campaigns only (``Scope(owner=…)``).
    mine: bool = False


# Key numbers -----------------------------------------------------------------------------

#: The cards, in groups, in the order they are read.
CARD_GROUPS: list[tuple[str, list[str]]] = [
    ("Pipeline", ["leads", "mqls", "sqls", "won", "lead_velocity"]),
    ("Money", ["won_amount", "spend", "cost_per_lead", "cost_per_sql", "roi"]),
    (
        "Alignment",
        ["acceptance_rate", "sla_compliance_rate", "brief_completeness_rate", "unowned_leads"],
    ),
]
#: Ratios that may pass 100 % or go below zero: shown with their sign.
SIGNED = {"roi", "lead_velocity"}


def show(name: str, value: Value) -> str:
    """A KPI's value as people read it: money with its currency, rates as percentages,
    minutes as durations, "—" for nothing to divide."""
    if value is None:
        return EMPTY
    kind = METRICS[name].kind
    if kind == "money":
        return money(value)
    if kind == "rate":
        return signed_percent(float(value)) if name in SIGNED else percent(float(value))
    if kind == "minutes":
        return duration(float(value))
    if kind == "days":
        return f"{float(value):,.1f} days"
    return f"{value:,}"


@dataclass(frozen=True)
class Card:
    """One key number against the period before.

    ``direction`` is up, down or flat (empty without a previous value); ``tone`` says
    whether that is good or bad for this KPI (``Metric.better``), or neutral.
    """

    name: str
    label: str
    value: str
    previous: str
    direction: str
    change: str
    tone: str
    hint: str = ""
    #: A number that should be zero and is not (work nobody owns).
    alert: bool = False
    #: Long values (money) take the smaller type so they fit.
    small: bool = False


def _change(comparison: Comparison, name: str) -> tuple[str, str, str]:
    """``(direction, change, tone)`` of a KPI against the period before: a rate moves
    in points, everything else by its share of the value before."""
    metric = METRICS[name]
    now, before = comparison.current.get(name), comparison.previous.get(name)
    if now is None or before is None:
        return "", "", "neutral"
    difference = float(now) - float(before)
    if difference == 0:
        return "flat", "no change", "neutral"
    direction = "up" if difference > 0 else "down"
    if metric.kind == "rate":
        change = f"{abs(difference) * 100:.1f} pts"
    else:
        relative = comparison.change(name)
        change = "from 0" if relative is None else f"{abs(relative) * 100:.0f} %"
    good = (difference > 0) == (metric.better == "higher")
    return direction, change, "good" if good else "bad"


def cards(comparison: Comparison) -> list[tuple[str, list[Card]]]:
    """The key numbers of ``CARD_GROUPS``, each against the period before."""
    groups = []
    for title, names in CARD_GROUPS:
        row = []
        for name in names:
            metric = METRICS[name]
            value = comparison.current.get(name)
            direction, change, tone = _change(comparison, name)
            hint, previous = "", show(name, comparison.previous.get(name))
            if name == "lead_velocity":
                # Velocity already is a comparison: show what it compares, not its change.
                direction, change, tone, previous = "", "", "neutral", EMPTY
                hint = (
                    f"{comparison.current['mqls']} MQLs against "
                    f"{comparison.previous['mqls']} the period before"
                )
            elif metric.snapshot:
                hint = "right now · the target is 0"
            row.append(
                Card(
                    name=name,
                    label=metric.label,
                    value=show(name, value),
                    previous=previous,
                    direction=direction,
                    change=change,
                    tone=tone,
                    hint=hint,
                    alert=metric.snapshot and bool(value),
                    small=metric.kind == "money",
                )
            )
        groups.append((title, row))
    return groups


def funnel_numbers(comparison: Comparison) -> Summary:
    """The summary of the first API contract, from the comparison already read: the
    funnel partial draws it, and it is ``kpis.queries.summary`` without its queries."""
    return Summary(**{name: comparison.current[name] for name in SUMMARY_FIELDS})  # type: ignore[arg-type]


# Speed to lead -----------------------------------------------------------------------------


def speed_steps(comparison: Comparison) -> list[dict]:
    """Speed to lead in its steps (``kpis.queries.STEPS``), median and p90 in minutes,
    as ``kpis.queries.speed_to_lead`` answers them, from the comparison already read."""
    numbers = comparison.current
    return [
        {
            "step": step,
            "label": label,
            "median": numbers[f"speed_to_{step}_minutes_median"],
            "p90": numbers[f"speed_to_{step}_minutes_p90"],
            "total": step in ("claim", "lead"),
        }
        for step, label, *_ in STEPS
    ]


# Trends ------------------------------------------------------------------------------------

#: The charts: the KPIs people compare week by week.
TREND_METRICS = ["leads", "mqls", "sqls", "won_amount"]


def bucket_label(start: date, interval: str) -> str:
    """A week by its Monday ("7 Dec"), a month by its name ("Dec 2026")."""
    if interval == "week":
        return f"{start.day} {start:%b}"
    return f"{start:%b %Y}"


def dashboard_trends(query: DashboardQuery, names: list[str] | None = None) -> dict:
    """The trends of ``names`` (default ``TREND_METRICS``) over the period, by the
    query's interval, sharing their queries."""
    return trends(
        names or TREND_METRICS,
        interval=query.interval,
        start=query.period.first_day,
        end=query.period.last_day,
        scope=query.scope,
    )


def charts(series: dict[str, list[TrendPoint]], interval: str) -> list[dict[str, Any]]:
    """A line chart per trend: ``[{name, title, svg}]``."""
    drawn = []
    for name, points in series.items():
        metric = METRICS[name]
        title = f"{metric.label} by {interval}"
        drawn.append(
            {
                "name": name,
                "title": title,
                "unit": "money" if metric.kind == "money" else "",
                "svg": _chart(name, points, interval, title),
            }
        )
    return drawn


def _chart(name: str, points: list[TrendPoint], interval: str, title: str) -> SafeString:
    return line_chart(
        [Point(bucket_label(point.period_start, interval), point.value) for point in points],
        title=title,
        describe=lambda value: show(name, value),
        chart_id=f"trend-{name}",
    )


# The campaign table ------------------------------------------------------------------------


def campaign_table(rows: list[CampaignRow]) -> list[dict[str, Any]]:
    """The rows with the labels the table shows: the channel's and the top rejection
    reason's, with how often it was given."""
    channels = dict(Channel.choices)
    return [
        {
            "row": row,
            "channel": channels.get(row.channel, row.channel),
            "top_reason": row.rejection_reasons[0] if row.rejection_reasons else None,
        }
        for row in rows
    ]


def _top_reason(row: CampaignRow) -> str | None:
    return row.rejection_reasons[0]["label"] if row.rejection_reasons else None


#: The campaign table's sortable columns: the value each sorts by.
CAMPAIGN_SORTS: dict[str, Callable[[CampaignRow], Any]] = {
    "name": lambda row: row.name.lower(),
    "spend": lambda row: row.spend,
    "leads": lambda row: row.leads,
    "mqls": lambda row: row.mqls,
    "sqls": lambda row: row.sqls,
    "won": lambda row: row.won,
    "won_amount": lambda row: row.attributed_won_amount,
    "cost_per_lead": lambda row: row.cost_per_lead,
    "cost_per_sql": lambda row: row.cost_per_sql,
    "roi": lambda row: row.roi,
    "acceptance_rate": lambda row: row.acceptance_rate,
    "top_rejection_reason": _top_reason,
}


def sort_campaigns(rows: list[CampaignRow], sort: str) -> list[CampaignRow]:
    """The rows in the order asked for (``-`` first: descending), ties by name; rows
    with nothing to show in that column ("—") after the others either way, and the "No
    campaign" row last, as it is not a campaign one could compare."""
    key = CAMPAIGN_SORTS[sort.removeprefix("-")]
    campaigns = sorted(
        (row for row in rows if row.campaign is not None), key=CAMPAIGN_SORTS["name"]
    )
    valued = [row for row in campaigns if key(row) is not None]
    # Python's sort is stable in both directions, so equal values keep the names' order.
    valued.sort(key=key, reverse=sort.startswith("-"))
    empty = [row for row in campaigns if key(row) is None]
    return valued + empty + [row for row in rows if row.campaign is None]


@dataclass(frozen=True)
class Column:
    """A header of the campaign table: the sort its link asks for next, and whether the
    table is sorted by it now (``ascending``/``descending``, for ``aria-sort``)."""

    key: str
    label: str
    next_sort: str
    sorted: str = ""
    numeric: bool = True


CAMPAIGN_COLUMNS = [
    ("name", "Campaign", False),
    ("spend", "Spend", True),
    ("leads", "Leads", True),
    ("mqls", "MQL", True),
    ("sqls", "SQL", True),
    ("won", "Won", True),
    ("won_amount", "Won revenue", True),
    ("cost_per_lead", "CPL", True),
    ("cost_per_sql", "Cost per SQL", True),
    ("roi", "ROI", True),
    ("acceptance_rate", "Acceptance", True),
    ("top_rejection_reason", "Top rejection reason", False),
]


def campaign_columns(sort: str) -> list[Column]:
    """The table's headers: clicking one sorts by it (numbers largest first, words from
    A), clicking the sorted one again turns the order round."""
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    columns = []
    for key, label, numeric in CAMPAIGN_COLUMNS:
        if key == current:
            next_sort = key if descending else f"-{key}"
            state = "descending" if descending else "ascending"
        else:
            next_sort, state = (f"-{key}" if numeric else key), ""
        columns.append(Column(key, label, next_sort, state, numeric))
    return columns


# The rep table -----------------------------------------------------------------------------


#: The team's numbers a rep's own are set against (the rest is the rep table's totals).
TEAM_METRICS = [
    "speed_to_claim_minutes_median",
    "speed_to_contact_minutes_median",
    "sla_compliance_rate",
]


def you_vs_team(rows: list[RepRow], user_id: int, team: dict[str, Value]) -> dict | None:
    """A rep's own speed and win rate next to the team's: medians and rates of the whole
    scope (``team``: ``TEAM_METRICS``), counts as the team's total of the rep table. None
    when the rep has nothing in this period and scope (no handoff, no lead that moved)."""
    mine = next((row for row in rows if row.rep == user_id), None)
    if mine is None or not (mine.handoffs or mine.sqls or mine.won or mine.lost):
        return None
    won = sum(row.won for row in rows)
    decided = won + sum(row.lost for row in rows)
    lines = [
        (
            "Time to claim (median)",
            "speed_to_claim_minutes_median",
            mine.speed_to_claim_minutes_median,
            team["speed_to_claim_minutes_median"],
        ),
        (
            "Claim to first contact (median)",
            "speed_to_contact_minutes_median",
            mine.speed_to_contact_minutes_median,
            team["speed_to_contact_minutes_median"],
        ),
        (
            "SLA compliance",
            "sla_compliance_rate",
            mine.sla_compliance_rate,
            team["sla_compliance_rate"],
        ),
        ("Win rate", "win_rate", mine.win_rate, round(won / decided, 4) if decided else None),
    ]
    return {
        "row": mine,
        "lines": [
            {
                "label": label,
                "you": show(name, you),
                "team": show(name, theirs),
                "tone": _versus(name, you, theirs),
            }
            for label, name, you, theirs in lines
        ],
        "claimed": mine.claimed,
        "team_claimed": sum(row.claimed for row in rows),
        "won": mine.won,
        "team_won": won,
    }


def _versus(name: str, you: Value, team: Value) -> str:
    if you is None or team is None or float(you) == float(team):
        return "neutral"
    ahead = float(you) > float(team)
    return "good" if ahead == (METRICS[name].better == "higher") else "bad"


# The page ----------------------------------------------------------------------------------

#: Goals the dashboard shows (the goals page lists them all): each group of goals with
#: its own period and scope costs a query per table its KPIs read.
GOALS_SHOWN = 6


def active_goals() -> tuple[list[GoalProgress], bool]:
    """The goals running today with their progress (at most ``GOALS_SHOWN``), and
    whether there are more."""
    goals = list(
        Goal.objects.active(team_today()).select_related("campaign", "owner")[: GOALS_SHOWN + 1]
    )
    return goals_with_progress(goals[:GOALS_SHOWN]), len(goals) > GOALS_SHOWN


def _numbers(query: DashboardQuery, user) -> dict[str, Any]:
    comparison = compare(query.period, query.scope, previous_names=PREVIOUS_METRICS)
    return {
        "comparison": comparison,
        "numbers": funnel_numbers(comparison),
        "cards": cards(comparison),
        "speed": speed_steps(comparison),
    }


def _goals(query: DashboardQuery, user) -> dict[str, Any]:
    goals, more_goals = active_goals()
    return {"goals": goals, "more_goals": more_goals}


def _you(query: DashboardQuery, user) -> dict[str, Any]:
    reps = rep_rows(query.period, query.scope)
    return {"you": you_vs_team(reps, user.pk, values(query.period, query.scope, TEAM_METRICS))}


def _trends(query: DashboardQuery, user) -> dict[str, Any]:
    return {"charts": charts(dashboard_trends(query), query.interval)}


def _campaigns(query: DashboardQuery, user) -> dict[str, Any]:
    rows = campaign_rows(query.period, query.scope, attribution=query.attribution)
    return {
        "campaigns": campaign_table(sort_campaigns(rows, query.sort)),
        "columns": campaign_columns(query.sort),
    }


def _reps(query: DashboardQuery, user) -> dict[str, Any]:
    return {"reps": rep_rows(query.period, query.scope)}


@dataclass(frozen=True)
class Section:
    """A part of the page with its own request (htmx loads each when the page opens), so
    the page is on screen at once and no part waits for another's queries."""

    name: str
    label: str
    load: Callable[[DashboardQuery, Any], dict[str, Any]]
    #: Shown to sales reps only (their own numbers next to the team's).
    reps_only: bool = False


#: The sections in the order the page shows them.
SECTIONS: dict[str, Section] = {
    section.name: section
    for section in (
        Section("goals", "goals", _goals),
        Section("you", "your numbers", _you, reps_only=True),
        Section("numbers", "key numbers", _numbers),
        Section("trends", "trends", _trends),
        Section("campaigns", "campaign table", _campaigns),
        Section("reps", "rep table", _reps),
    )
}


def sections_for(user) -> list[Section]:
    """The sections ``user`` is shown: "you" for those who work leads (sales)."""
    rep = has_role(user, SALES)
    return [section for section in SECTIONS.values() if rep or not section.reps_only]
