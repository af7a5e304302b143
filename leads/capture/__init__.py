"""Capture: the one path from every door (web form, API, CSV import) into the leads table.

``capture_lead`` takes one person, ``capture_leads`` a batch; both run the same set-based
code, so a batch ends exactly as the same rows captured one by one would:

- the email is normalised (NFKC, trimmed, lowercase) and is the lead's identity; an
  address merged into another lead (``LeadMerge``) lands on the survivor;
- one ``INSERT ... ON CONFLICT (email) DO UPDATE`` per chunk upserts the leads, so two
  captures racing on one email end in one lead (the unique constraint decides);
- a new non-empty value fills an empty field; a field already filled keeps its value and
  a different offer is kept as a ``LeadFieldConflict`` (shown on the timeline);
- the first-touch campaign is kept; consent once given stays given;
- every captured row is also a touchpoint; a new lead records ``lead.captured``;
- the score is marked stale (``scored_at`` NULL: the outbox of scoring) and scoring is
  queued after commit; if the broker is down the beat sweep scores it later.

``values`` holds the checks, ``upsert`` the writes, ``queue`` the scoring requests.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from campaigns.models import Campaign
from leads.capture.queue import request_scoring, request_scoring_many, reset_broker_backoff
from leads.capture.upsert import Written, resolve_campaign, resolve_campaigns, write_rows
from leads.capture.values import (
    EMAIL_MAX_LENGTH,
    PROFILE_FIELDS,
    ROW_KEYS,
    URL_MAX_LENGTH,
    UTM_FIELDS,
    Row,
    clean_consent,
    clean_row,
    clean_values,
    normalise_email,
)
from leads.models import Lead, LeadMerge, Touchpoint, TouchpointKind

__all__ = [
    "EMAIL_MAX_LENGTH",
    "PROFILE_FIELDS",
    "ROW_KEYS",
    "URL_MAX_LENGTH",
    "UTM_FIELDS",
    "BatchResult",
    "CaptureResult",
    "RowResult",
    "capture_lead",
    "capture_leads",
    "lead_for_email",
    "clean_consent",
    "clean_values",
    "normalise_email",
    "request_scoring",
    "request_scoring_many",
    "reset_broker_backoff",
    "resolve_campaign",
    "row_errors",
]

CREATED, UPDATED, ERROR = "created", "updated", "error"


@dataclass
class CaptureResult:
    lead: Lead
    created: bool
    touchpoint: Touchpoint | None


@dataclass
class RowResult:
    """What capture did with one row: ``created``, ``updated`` or ``error`` (with why)."""

    index: int
    status: str
    lead_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: When the lead was first captured (an import tells its own new leads by it).
    lead_created_at: datetime | None = None
    touchpoint_id: int | None = None
    #: The row as written, and when: the touchpoint is built from them on demand.
    _row: Row | None = field(default=None, repr=False, compare=False)
    _written_at: datetime | None = field(default=None, repr=False, compare=False)

    @property
    def touchpoint(self) -> Touchpoint | None:
        """The row's touchpoint as it was written (no query); None for an error row.

        Built on demand: a 100,000-row import asks for none of them."""
        row, lead_id, written_at = self._row, self.lead_id, self._written_at
        if row is None or self.touchpoint_id is None or lead_id is None or written_at is None:
            return None
        touchpoint = Touchpoint(
            pk=self.touchpoint_id,
            lead_id=lead_id,
            campaign_id=row.campaign_id,
            kind=row.touchpoint_kind,
            occurred_at=row.occurred_at,
            url=row.url,
            referrer=row.referrer,
            note=row.note,
            consent_text=row.consent_text,
            created_at=written_at,
        )
        touchpoint._state.adding = False
        touchpoint._state.db = DEFAULT_DB_ALIAS
        return touchpoint

    def as_dict(self) -> dict[str, Any]:
        """The row as the API reports it: ``{index, status, id?, errors?}``."""
        if self.status == ERROR:
            return {"index": self.index, "status": self.status, "errors": self.errors}
        return {"index": self.index, "status": self.status, "id": self.lead_id}


@dataclass
class BatchResult:
    rows: list[RowResult]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in (CREATED, UPDATED, ERROR)}


def capture_leads(
    rows: Sequence[Mapping[str, Any]],
    *,
    campaign: Campaign | None = None,
    touchpoint_kind: str = TouchpointKind.FORM_SUBMITTED,
    occurred_at: datetime | None = None,
) -> BatchResult:
    """Capture many people in one transaction; one result per row, in the rows' order.

    A row holds the keyword arguments of ``capture_lead`` (``campaign`` may also be an
    id); ``campaign``, ``touchpoint_kind`` and ``occurred_at`` here are the defaults of
    rows that have none. A bad row is reported with its field errors and never keeps
    the good ones out; rows with the same email end as one lead.
    """
    now = timezone.now()
    errors: dict[int, dict[str, list[str]]] = {}
    valid: list[Row] = []
    for index, row in enumerate(rows):
        try:
            valid.append(
                clean_row(
                    index, row, touchpoint_kind=touchpoint_kind, occurred_at=occurred_at, now=now
                )
            )
        except ValidationError as exc:
            errors[index] = exc.message_dict
    resolve_campaigns(valid, campaign, errors)
    valid = [row for row in valid if row.index not in errors]
    written = Written(lead_ids={}, created_at={}, touchpoint_ids={}, new=set())
    if valid:
        with transaction.atomic():
            written = write_rows(valid, now)
            request_scoring_many(sorted(set(written.lead_ids.values())))
    results = []
    by_index = {row.index: row for row in valid}
    seen: set[int] = set()
    for index in range(len(rows)):
        if index in errors:
            results.append(RowResult(index=index, status=ERROR, errors=errors[index]))
            continue
        lead_id = written.lead_ids[index]
        created = lead_id in written.new and lead_id not in seen
        seen.add(lead_id)
        results.append(
            RowResult(
                index=index,
                status=CREATED if created else UPDATED,
                lead_id=lead_id,
                lead_created_at=written.created_at[index],
                touchpoint_id=written.touchpoint_ids[index],
                _row=by_index[index],
                _written_at=now,
            )
        )
    return BatchResult(rows=results)


def lead_for_email(email: str) -> Lead | None:
    """The lead an address belongs to: its own, or the one it was merged into."""
    lead = Lead.objects.filter(email=email).first()
    if lead is not None:
        return lead
    merge = LeadMerge.objects.filter(merged_email=email).order_by("-merged_at", "-id").first()
    return merge.lead if merge is not None else None


def row_errors(row: Mapping[str, Any]) -> dict[str, list[str]]:
    """The field errors capture would report for ``row``, without writing (a preview)."""
    try:
        clean_row(
            0,
            row,
            touchpoint_kind=TouchpointKind.FORM_SUBMITTED,
            occurred_at=None,
            now=timezone.now(),
        )
    except ValidationError as exc:
        return exc.message_dict
    return {}


def capture_lead(
    *,
    email: str,
    campaign: Campaign | None = None,
    touchpoint_kind: str = TouchpointKind.FORM_SUBMITTED,
    occurred_at: datetime | None = None,
    url: str = "",
    referrer: str = "",
    consent: bool | None = None,
    consent_text: str = "",
    note: str = "",
    **fields: Any,
) -> CaptureResult:
    """Capture one person: the batch path with one row, or ``ValidationError``.

    ``note`` (what the person wrote, such as a form's message) and, with ``consent``, the
    ``consent_text`` they agreed to are kept on the touchpoint.
    """
    unknown = set(fields) - set(PROFILE_FIELDS) - set(UTM_FIELDS)
    if unknown:
        raise TypeError(f"capture_lead got unknown fields: {sorted(unknown)}")
    row = {
        **fields,
        "email": email,
        "campaign": campaign,
        "touchpoint_kind": touchpoint_kind,
        "occurred_at": occurred_at,
        "url": url,
        "referrer": referrer,
        "consent": consent,
        "consent_text": consent_text,
        "note": note,
    }
    [result] = capture_leads([row]).rows
    if result.status == ERROR:
        raise ValidationError(result.errors)
    # The lead as stored, in one plain query: compiling the ORM's would cost more than the
    # round trip (capture through the API answers with the whole lead).
    meta = Lead._meta
    [lead] = Lead.objects.raw(
        f"SELECT * FROM {meta.db_table} WHERE {meta.pk.column} = %s",
        [cast(int, result.lead_id)],
    )
    return CaptureResult(lead=lead, created=result.status == CREATED, touchpoint=result.touchpoint)
