"""The dashboard's tables as CSV files: the campaign table, the rep table, the trends and
the summary, for the same filters as the page (``DashboardQuery``) and from the same
query functions, so a download says what the page and ``/api/v1/kpis/`` say.

Numbers are written plainly for a spreadsheet: money as decimals with a ``currency``
column, rates as fractions of 1 (0.25 is 25 %), minutes as minutes, nothing to divide
by as an empty cell. Text that a spreadsheet would run as a formula (a campaign called
``=HYPERLINK(…)``) is written with a leading apostrophe. The file starts with a byte
order mark, so Excel reads it as UTF-8.
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from kpis.dashboard import DashboardQuery, dashboard_trends, sort_campaigns
from kpis.queries import (
    DEFAULT_METRICS,
    METRICS,
    CampaignRow,
    RepRow,
    campaign_rows,
    compare,
    currency,
    rep_rows,
)
from kpis.queries.metrics import PREVIOUS_METRICS

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def cell(value: Any) -> str | int | float:
    """One value as a CSV cell. Numbers are left as numbers (a negative ROI is not a
    formula); text that could be read as one is defused."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return response


def _columns(row_class: type, leave_out: set[str]) -> list[str]:
    """A dataclass's fields in order, as the API names them."""
    return [field.name for field in fields(row_class) if field.name not in leave_out]


#: The campaign table's columns: ``kpis/campaigns/``'s fields but the list of reasons
#: (the top one stays), with its label.
CAMPAIGN_COLUMNS = _columns(CampaignRow, {"rejection_reasons"})
REP_COLUMNS = _columns(RepRow, set())


def campaigns_csv(query: DashboardQuery) -> tuple[list[str], list[list[Any]]]:
    rows = sort_campaigns(
        campaign_rows(query.period, query.scope, attribution=query.attribution), query.sort
    )
    header = [*CAMPAIGN_COLUMNS, "top_rejection_reason_label"]
    return header, [
        [
            *(getattr(row, name) for name in CAMPAIGN_COLUMNS),
            row.rejection_reasons[0]["label"] if row.rejection_reasons else None,
        ]
        for row in rows
    ]


def reps_csv(query: DashboardQuery) -> tuple[list[str], list[list[Any]]]:
    rows = rep_rows(query.period, query.scope)
    return REP_COLUMNS, [[getattr(row, name) for name in REP_COLUMNS] for row in rows]


def trend_csv(query: DashboardQuery, names: list[str]) -> tuple[list[str], list[list[Any]]]:
    """A row per week or month, a column per metric."""
    series = dashboard_trends(query, names)
    buckets = zip(*series.values(), strict=True)
    header = ["period_start", "period_end", *series, "currency"]
    return header, [
        [points[0].period_start, points[0].period_end, *(p.value for p in points), currency()]
        for points in buckets
    ]


def summary_csv(query: DashboardQuery) -> tuple[list[str], list[list[Any]]]:
    """Every KPI of ``kpis/summary/``, for the period and the one before it (speed to
    lead for the period only, as the API); the currency is given on the money rows."""
    comparison = compare(query.period, query.scope, previous_names=PREVIOUS_METRICS)
    header = ["metric", "label", "kind", "value", "previous", "currency"]
    return header, [
        [
            name,
            METRICS[name].label,
            METRICS[name].kind,
            comparison.current.get(name),
            comparison.previous.get(name),
            comparison.currency if METRICS[name].kind == "money" else None,
        ]
        for name in DEFAULT_METRICS
    ]


#: The tables but the trend, which also takes the KPIs to draw.
TABLES: dict[str, Callable[[DashboardQuery], tuple[list[str], list[list[Any]]]]] = {
    "campaigns": campaigns_csv,
    "reps": reps_csv,
    "summary": summary_csv,
}


def filename(table: str, query: DashboardQuery) -> str:
    first, last = query.period.first_day, query.period.last_day
    return f"tandem-{table}-{first.isoformat()}-{last.isoformat()}.csv"
