"""The import's side of the one capture path: a chunk of rows in, one outcome per row out."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign
from leads import services
from leads.models import TouchpointKind


@dataclass
class RowOutcome:
    """What capture did with one row: ``created``, ``updated`` (an existing lead) or
    ``error`` with the field errors that kept it out."""

    status: str
    lead_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def capture_rows(rows: list[dict[str, Any]], *, campaign: Campaign | None) -> list[RowOutcome]:
    """Capture each row as an imported touchpoint; a bad row never stops the others."""
    outcomes = []
    for row in rows:
        try:
            with transaction.atomic():
                result = services.capture_lead(
                    campaign=campaign, touchpoint_kind=TouchpointKind.IMPORTED, **row
                )
        except ValidationError as exc:
            outcomes.append(RowOutcome("error", errors=error_dict(exc)))
            continue
        outcomes.append(RowOutcome("created" if result.created else "updated", result.lead.pk))
    return outcomes


def validate_row(row: dict[str, Any]) -> dict[str, list[str]]:
    """The errors capture would find in ``row``, without writing anything (the preview)."""
    errors: dict[str, list[str]] = {}
    try:
        services.normalise_email(row.get("email", ""))
    except ValidationError as exc:
        errors.update(error_dict(exc))
    profile = {key: value for key, value in row.items() if key not in ("email", "consent")}
    try:
        services._clean_values(profile)
    except ValidationError as exc:
        errors.update(error_dict(exc))
    return errors


def error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            key: [str(message) for message in messages]
            for key, messages in exc.message_dict.items()
        }
    return {"row": [str(message) for message in exc.messages]}
