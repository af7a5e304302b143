"""The import's side of the one capture path: a chunk of rows in, one result per row out."""

from typing import Any

from campaigns.models import Campaign
from leads import services
from leads.capture import row_errors
from leads.models import TouchpointKind


def capture_rows(
    rows: list[dict[str, Any]], *, campaign: Campaign | None
) -> list[services.RowResult]:
    """Capture a chunk set-based, each row an imported touchpoint; a bad row never keeps
    the others out (its result is an ``error`` with the field errors)."""
    return services.capture_leads(
        rows, campaign=campaign, touchpoint_kind=TouchpointKind.IMPORTED
    ).rows


def validate_row(row: dict[str, Any]) -> dict[str, list[str]]:
    """The errors capture would find in ``row``, without writing anything (the preview)."""
    return row_errors(row)
