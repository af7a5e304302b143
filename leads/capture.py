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
"""

import logging
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import events
from campaigns.models import Campaign
from leads.models import Lead, LeadFieldConflict, LeadMerge, Touchpoint, TouchpointKind

logger = logging.getLogger(__name__)

#: Lead fields a capture may fill; a filled one is never overwritten by a capture.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "company_size",
    "industry",
)
#: First-touch attribution: filled once like the profile, but a later capture's different
#: codes are no conflict (that capture's campaign is on its touchpoint).
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
#: What a row of ``capture_leads`` may carry (the keyword arguments of ``capture_lead``).
ROW_KEYS = frozenset(
    {
        "email",
        *PROFILE_FIELDS,
        *UTM_FIELDS,
        "consent",
        "consent_text",
        "campaign",
        "touchpoint_kind",
        "occurred_at",
        "url",
        "referrer",
        "note",
    }
)
CREATED, UPDATED, ERROR = "created", "updated", "error"

# Both fields declare a max_length; the cast tells the type checker so.
EMAIL_MAX_LENGTH = cast(int, Lead._meta.get_field("email").max_length)
URL_MAX_LENGTH = cast(int, Touchpoint._meta.get_field("url").max_length)
COMPANY_SIZE_MAX = 2_147_483_647  # the largest value the integer column holds
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "f", "no", "n", "off"})


# --- Values -------------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """Trim, apply Unicode NFKC and lowercase; raise ``ValidationError`` if not an address."""
    if raw is not None and not isinstance(raw, str):
        raise ValidationError({"email": ["Enter a valid email address."]})
    email = unicodedata.normalize("NFKC", raw or "").strip().lower()
    # The validator accepts addresses longer than the column; the database would not.
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError({"email": [f"At most {EMAIL_MAX_LENGTH} characters."]})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    return email


def _text(value: Any, max_length: int | None = None) -> str:
    """A trimmed string; numbers are read as text (spreadsheets make numbers of ids)."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = str(value)
    else:
        raise ValidationError("Not a valid string.")
    if "\x00" in text:  # PostgreSQL refuses NUL in text; say so instead of failing
        raise ValidationError("Null characters are not allowed.")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(
            f"Ensure this value has at most {max_length} characters (it has {len(text)})."
        )
    return text


def _country(value: Any) -> str:
    code = _text(value).upper()
    if code and not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise ValidationError("Enter a two-letter country code (ISO 3166-1), such as DE.")
    return code


def _company_size(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError("Enter a whole number.")
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise ValidationError("Enter a whole number.")
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValidationError("Enter a whole number.") from None
    if not isinstance(value, int):
        raise ValidationError("Enter a whole number.")
    if value < 0:
        raise ValidationError("Ensure this value is greater than or equal to 0.")
    if value > COMPANY_SIZE_MAX:
        raise ValidationError(f"Ensure this value is less than or equal to {COMPANY_SIZE_MAX}.")
    return value


def _max_length(name: str) -> int:
    return cast(int, Lead._meta.get_field(name).max_length)


#: One cleaner per lead field a capture or an edit may set: value in, stored value out.
CLEANERS: dict[str, Callable[[Any], Any]] = {
    **{
        name: partial(_text, max_length=_max_length(name))
        for name in (*PROFILE_FIELDS, *UTM_FIELDS)
        if name not in ("country", "company_size")
    },
    "country": _country,
    "company_size": _company_size,
}


def clean_consent(value: Any) -> bool:
    """Consent as given by a form, a JSON body or a spreadsheet cell."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValidationError("Must be a valid boolean (true or false).")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_values(fields: Mapping[str, Any], *, keep_empty: bool = False) -> dict[str, Any]:
    """Profile and UTM values as the lead stores them, or ``ValidationError`` keyed by field.

    Every door gets the same checks (types, lengths, numbers), so bad input never reaches
    the database. Without ``keep_empty`` empty values are dropped: a capture never blanks
    a field (an edit may).
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        if not keep_empty and _is_empty(value):
            continue
        try:
            values[key] = CLEANERS[key](value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


def _occurred_at(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError("Enter a valid date and time (ISO 8601).")
        value = parsed
    if not isinstance(value, datetime):
        raise ValidationError("Enter a valid date and time (ISO 8601).")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- Results ------------------------------------------------------------------------


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
    lead: Lead | None = field(default=None, repr=False)
    touchpoint: Touchpoint | None = field(default=None, repr=False)

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


# --- Rows ---------------------------------------------------------------------------


@dataclass
class _Row:
    """One valid row on its way in; ``campaign_id`` is filled by ``_resolve_campaigns``."""

    index: int
    email: str
    values: dict[str, Any]
    consent: bool
    consent_text: str
    touchpoint_kind: str
    occurred_at: datetime
    url: str
    referrer: str
    note: str
    campaign: Any = None
    campaign_id: int | None = None


def _clean_row(
    index: int,
    row: Mapping[str, Any],
    *,
    touchpoint_kind: str,
    occurred_at: datetime | None,
    now: datetime,
) -> _Row:
    """Check one row completely (every field's errors at once) or raise ``ValidationError``."""
    unknown = set(row) - ROW_KEYS
    if unknown:
        raise TypeError(f"capture got unknown fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    email = ""
    try:
        email = normalise_email(row.get("email") or "")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        values = clean_values({key: row[key] for key in CLEANERS if key in row})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        values = {}
    kind = row.get("touchpoint_kind") or touchpoint_kind
    if kind not in TouchpointKind.values:
        errors["touchpoint_kind"] = [f"Unknown touchpoint kind {kind!r}."]
    texts: dict[str, str] = {}
    for name, limit in (
        ("url", URL_MAX_LENGTH),
        ("referrer", URL_MAX_LENGTH),
        ("note", None),
        ("consent_text", None),
    ):
        try:
            texts[name] = "" if row.get(name) is None else _text(row[name], limit)
        except ValidationError as exc:
            errors[name] = exc.messages
    consent = False
    try:
        consent = clean_consent(row.get("consent"))
    except ValidationError as exc:
        errors["consent"] = exc.messages
    at = occurred_at
    try:
        at = _occurred_at(row.get("occurred_at")) or occurred_at
    except ValidationError as exc:
        errors["occurred_at"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return _Row(
        index=index,
        email=email,
        values=values,
        consent=consent,
        consent_text=texts["consent_text"] if consent else "",
        touchpoint_kind=kind,
        occurred_at=at or now,
        url=texts["url"],
        referrer=texts["referrer"],
        note=texts["note"],
        campaign=row.get("campaign"),
    )


def resolve_campaign(*, campaign: Campaign | None, utm_campaign: str = "") -> Campaign | None:
    if campaign is not None:
        return campaign
    if utm_campaign.strip():
        # Links carry the code in any case; campaigns store it lowercase.
        return Campaign.objects.filter(utm_campaign=utm_campaign.strip().lower()).first()
    return None


def _resolve_campaigns(
    rows: list[_Row], default: Campaign | None, errors: dict[int, dict[str, list[str]]]
) -> None:
    """Each row's campaign: its own (an object or an id), the batch's, or its UTM code's.

    Two queries for the whole batch at most; an unknown id is the row's error.
    """
    ids = {row.campaign for row in rows if isinstance(row.campaign, int)}
    known = set(Campaign.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    codes = {
        row.values["utm_campaign"].lower()
        for row in rows
        if row.campaign is None and default is None and row.values.get("utm_campaign")
    }
    by_code = (
        dict(Campaign.objects.filter(utm_campaign__in=codes).values_list("utm_campaign", "pk"))
        if codes
        else {}
    )
    for row in rows:
        if isinstance(row.campaign, Campaign):
            row.campaign_id = row.campaign.pk
        elif isinstance(row.campaign, int) and not isinstance(row.campaign, bool):
            if row.campaign in known:
                row.campaign_id = row.campaign
            else:
                errors[row.index] = {"campaign": [f"Unknown campaign {row.campaign}."]}
        elif row.campaign is not None:
            errors[row.index] = {"campaign": ["Give a campaign id."]}
        elif default is not None:
            row.campaign_id = default.pk
        elif row.values.get("utm_campaign"):
            row.campaign_id = by_code.get(row.values["utm_campaign"].lower())


# --- The upsert ---------------------------------------------------------------------

_TEXT_FIELDS = tuple(name for name in (*PROFILE_FIELDS, *UTM_FIELDS) if name != "company_size")
#: Columns one row of the upsert writes, in order; the rest are constants for a new lead.
_INSERT_COLUMNS = (
    "email",
    *_TEXT_FIELDS,
    "company_size",
    "campaign_id",
    "consent",
    "consent_at",
    "created_at",
    "updated_at",
)
_NEW_LEAD_CONSTANTS = {
    "stage": "'new'",
    "score": "0",
    "fit_score": "0",
    "engagement_score": "0",
    "score_breakdown": "'[]'",
    "scored_at": "NULL",
    "owner_id": "NULL",
}


def _upsert_sql(rows: int) -> str:
    """``INSERT ... ON CONFLICT (email) DO UPDATE`` with the merge rules in its SET list.

    The SET expressions read the row as it was (``table.column``) and the offer
    (``EXCLUDED.column``): an empty field takes the offer, a filled one stays; the
    first-touch campaign stays; consent once given stays, with its time. On PostgreSQL
    ``xmax = 0`` tells a row this statement inserted from one it updated.
    """
    quote = connection.ops.quote_name
    table = quote(Lead._meta.db_table)
    columns = [*_INSERT_COLUMNS, *_NEW_LEAD_CONSTANTS]
    one_row = "({})".format(
        ", ".join(["%s"] * len(_INSERT_COLUMNS) + list(_NEW_LEAD_CONSTANTS.values()))
    )

    def old(column: str) -> str:
        return f"{table}.{quote(column)}"

    def new(column: str) -> str:
        return f"EXCLUDED.{quote(column)}"

    updates = [
        f"{quote(name)} = CASE WHEN {old(name)} = '' THEN {new(name)} ELSE {old(name)} END"
        for name in _TEXT_FIELDS
    ]
    updates += [
        f"{quote(name)} = COALESCE({old(name)}, {new(name)})"
        for name in ("company_size", "campaign_id")
    ]
    updates += [
        f"{quote('consent_at')} = CASE WHEN {old('consent')} OR NOT {new('consent')} "
        f"THEN {old('consent_at')} ELSE {new('consent_at')} END",
        f"{quote('consent')} = {old('consent')} OR {new('consent')}",
        f"{quote('scored_at')} = NULL",
        f"{quote('updated_at')} = {new('updated_at')}",
    ]
    returning = f"{quote('id')}, {quote('email')}"
    if connection.vendor == "postgresql":
        returning += ", (xmax = 0)"
    return (
        f"INSERT INTO {table} ({', '.join(quote(column) for column in columns)}) "
        f"VALUES {', '.join([one_row] * rows)} "
        f"ON CONFLICT ({quote('email')}) DO UPDATE SET {', '.join(updates)} "
        f"RETURNING {returning}"
    )


@dataclass
class _Offer:
    """What the rows of one email offer the lead, merged in row order."""

    email: str
    rows: list[_Row]
    values: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None
    consent: bool = False
    lead_id: int = 0
    inserted: bool = False

    def __post_init__(self) -> None:
        for row in self.rows:
            for name, value in row.values.items():
                self.values.setdefault(name, value)
            if self.campaign_id is None:
                self.campaign_id = row.campaign_id
            self.consent = self.consent or row.consent

    def params(self, now: datetime) -> list[Any]:
        return [
            self.email,
            *(self.values.get(name, "") for name in _TEXT_FIELDS),
            self.values.get("company_size"),
            self.campaign_id,
            self.consent,
            now if self.consent else None,
            now,
            now,
        ]


def _rows_per_statement() -> int:
    if connection.vendor == "postgresql":
        return 1000
    return max(1, connection.features.max_query_params // len(_INSERT_COLUMNS))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _merged_into(emails: list[str]) -> dict[str, str]:
    """Emails of merged-away leads → the email of the lead they were merged into."""
    targets: dict[str, int] = {}
    for chunk in _chunks(emails, 500):
        for email, lead_id in (
            LeadMerge.objects.filter(merged_email__in=chunk)
            .order_by("merged_at", "id")
            .values_list("merged_email", "lead_id")
        ):
            targets[email] = lead_id
    if not targets:
        return {}
    survivors = dict(Lead.objects.filter(pk__in=set(targets.values())).values_list("pk", "email"))
    return {email: survivors[lead_id] for email, lead_id in targets.items()}


def _upsert(offers: list[_Offer], now: datetime) -> None:
    """Write the offers, sorted by email so concurrent batches lock rows in one order."""
    offers.sort(key=lambda offer: offer.email)
    existing: set[str] = set()
    if connection.vendor != "postgresql":
        # SQLite lets one writer at a time in, so what exists now is what the upsert meets.
        for chunk in _chunks([offer.email for offer in offers], 500):
            existing.update(Lead.objects.filter(email__in=chunk).values_list("email", flat=True))
    by_email = {offer.email: offer for offer in offers}
    with connection.cursor() as cursor:
        for chunk in _chunks(offers, _rows_per_statement()):
            params = [value for offer in chunk for value in offer.params(now)]
            cursor.execute(_upsert_sql(len(chunk)), params)
            for returned in cursor.fetchall():
                offer = by_email[returned[1]]
                offer.lead_id = returned[0]
                offer.inserted = (
                    bool(returned[2]) if len(returned) > 2 else offer.email not in existing
                )


def _same(kept: Any, offered: Any) -> bool:
    """Equal for a person: text compares without regard to case."""
    if isinstance(kept, str) and isinstance(offered, str):
        return kept.casefold() == offered.casefold()
    return kept == offered


def _conflicts(offer: _Offer, lead: Lead, now: datetime) -> list[LeadFieldConflict]:
    """Offers for profile fields the lead holds with another value, first offer first."""
    conflicts: dict[tuple[str, str], LeadFieldConflict] = {}
    for row in offer.rows:
        for name in PROFILE_FIELDS:
            offered = row.values.get(name)
            kept = getattr(lead, name)
            if offered is None or kept in (None, "") or _same(kept, offered):
                continue
            conflicts.setdefault(
                (name, str(offered)),
                LeadFieldConflict(
                    lead=lead,
                    field=name,
                    kept_value=str(kept),
                    offered_value=str(offered),
                    source=row.touchpoint_kind,
                    campaign_id=row.campaign_id,
                    created_at=now,
                ),
            )
    return list(conflicts.values())


def _capture(
    rows: list[_Row], now: datetime
) -> tuple[dict[int, Lead], dict[int, Touchpoint], set[int]]:
    """Upsert the leads of ``rows``, record their touchpoints, conflicts and events.

    Returns the lead and the touchpoint of each row index, and the ids of new leads.
    """
    aliases = _merged_into(sorted({row.email for row in rows}))
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        row.email = aliases.get(row.email, row.email)
        groups.setdefault(row.email, []).append(row)
    offers = [_Offer(email=email, rows=group) for email, group in groups.items()]
    _upsert(offers, now)
    leads = Lead.objects.in_bulk([offer.lead_id for offer in offers])

    conflicts = [
        conflict for offer in offers for conflict in _conflicts(offer, leads[offer.lead_id], now)
    ]
    if conflicts:
        LeadFieldConflict.objects.bulk_create(conflicts, ignore_conflicts=True)
    lead_of_row = {row.index: leads[offer.lead_id] for offer in offers for row in offer.rows}
    touchpoints = Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                lead=lead_of_row[row.index],
                campaign_id=row.campaign_id,
                kind=row.touchpoint_kind,
                occurred_at=row.occurred_at,
                url=row.url,
                referrer=row.referrer,
                note=row.note,
                consent_text=row.consent_text,
            )
            for row in rows
        ]
    )
    new = sorted((offer for offer in offers if offer.inserted), key=lambda o: o.rows[0].index)
    events.publish_many(
        events.LEAD_CAPTURED,
        [
            events.Pending(
                subject=f"lead:{offer.lead_id}",
                payload={
                    "lead": offer.lead_id,
                    "email": offer.email,
                    "campaign": offer.rows[0].campaign_id,
                },
                context={"lead": leads[offer.lead_id]},
            )
            for offer in new
        ],
    )
    return (
        lead_of_row,
        {row.index: touchpoint for row, touchpoint in zip(rows, touchpoints, strict=True)},
        {offer.lead_id for offer in new},
    )


# --- The doors ----------------------------------------------------------------------


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
    valid: list[_Row] = []
    for index, row in enumerate(rows):
        try:
            valid.append(
                _clean_row(
                    index, row, touchpoint_kind=touchpoint_kind, occurred_at=occurred_at, now=now
                )
            )
        except ValidationError as exc:
            errors[index] = exc.message_dict
    _resolve_campaigns(valid, campaign, errors)
    valid = [row for row in valid if row.index not in errors]
    leads: dict[int, Lead] = {}
    touchpoints: dict[int, Touchpoint] = {}
    new: set[int] = set()
    if valid:
        with transaction.atomic():
            leads, touchpoints, new = _capture(valid, now)
            request_scoring_many(sorted({lead.pk for lead in leads.values()}))
    results = []
    seen: set[int] = set()
    for index in range(len(rows)):
        if index in errors:
            results.append(RowResult(index=index, status=ERROR, errors=errors[index]))
            continue
        lead = leads[index]
        created = lead.pk in new and lead.pk not in seen
        seen.add(lead.pk)
        results.append(
            RowResult(
                index=index,
                status=CREATED if created else UPDATED,
                lead_id=lead.pk,
                lead=lead,
                touchpoint=touchpoints[index],
            )
        )
    return BatchResult(rows=results)


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
    assert result.lead is not None  # a row that is no error has its lead
    return CaptureResult(
        lead=result.lead, created=result.status == CREATED, touchpoint=result.touchpoint
    )


# --- Scoring after commit -----------------------------------------------------------

#: How long capture stops trying a broker that just failed (the sweep catches up).
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0
SCORING_TASK_SIZE = 500


def _broker_is_resting() -> bool:
    return time.monotonic() < _broker_down_until


def _broker_failed(error: Exception) -> None:
    """Remember a failed publish, so the next captures don't each wait on a dead broker."""
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
    logger.warning("Broker unreachable (%s); the beat sweep will score stale leads.", error)


def reset_broker_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0


def _publish(send: Callable[[], Any]) -> None:
    if _broker_is_resting():
        return
    try:
        send()
    except (KombuOperationalError, OSError) as error:
        _broker_failed(error)


def request_scoring(lead_id: int) -> None:
    """Queue ``score_lead`` after commit. The lead's NULL ``scored_at`` is the record of
    the work: if the broker is down, the beat sweep scores it when one is up again."""

    def _queue() -> None:
        from leads.tasks import score_lead

        _publish(lambda: score_lead.delay(lead_id))

    transaction.on_commit(_queue)


def request_scoring_many(lead_ids: Sequence[int]) -> None:
    """Queue scoring of many leads after commit, a few hundred leads per task."""
    if not lead_ids:
        return
    if len(lead_ids) == 1:
        request_scoring(lead_ids[0])
        return
    ids = list(lead_ids)

    def _queue() -> None:
        from leads.tasks import score_leads

        for chunk in _chunks(ids, SCORING_TASK_SIZE):
            _publish(lambda chunk=chunk: score_leads.delay(list(chunk)))

    transaction.on_commit(_queue)
