"""Capture's writes: the set-based upsert of a batch of valid rows.

Rows with one email are merged in row order into one offer; one ``INSERT ... ON
CONFLICT (email) DO UPDATE`` per chunk writes the offers with the merge rules in its
``SET`` list; touchpoints, conflicting offers and ``lead.captured`` events follow with
one ``INSERT`` each.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alignment import events
from alignment.bulk import array_literal, array_type, insert_columns, parameter_limit
from alignment.filters import MAX_ID
from campaigns.models import Campaign
from leads.capture.values import PROFILE_FIELDS, UTM_FIELDS, Row
from leads.models import Lead, LeadFieldConflict, LeadMerge, Touchpoint


def resolve_campaign(*, campaign: Campaign | None, utm_campaign: str = "") -> Campaign | None:
    if campaign is not None:
        return campaign
    if utm_campaign.strip():
        # Links carry the code in any case; campaigns store it lowercase.
        return Campaign.objects.filter(utm_campaign__iexact=utm_campaign.strip()).first()
    return None


def resolve_campaigns(
    rows: list[Row], default: Campaign | None, errors: dict[int, dict[str, list[str]]]
) -> None:
    """Each row's campaign: its own (an object or an id), the batch's, or its UTM code's.

    Two queries for the whole batch at most; an unknown id is the row's error.
    """
    for row in rows:
        # Past 20 digits it is no id (and past 4300 Python will not read it as a number).
        if isinstance(row.campaign, str) and row.campaign.strip().isdecimal():
            if len(row.campaign.strip()) <= 20:
                row.campaign = int(row.campaign)
    # An id no column can hold is unknown without asking (SQLite raises on one).
    ids = {
        row.campaign
        for row in rows
        if isinstance(row.campaign, int) and -MAX_ID <= row.campaign <= MAX_ID
    }
    known = set(Campaign.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    codes = {
        row.values["utm_campaign"].lower()
        for row in rows
        if row.campaign is None and default is None and row.values.get("utm_campaign")
    }
    by_code = (
        dict(
            Campaign.objects.annotate(code=Lower("utm_campaign"))
            .filter(code__in=codes)
            .values_list("code", "pk")
        )
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


_TEXT_FIELDS = tuple(name for name in (*PROFILE_FIELDS, *UTM_FIELDS) if name != "company_size")
#: Columns each row of the upsert gives; a new lead takes the rest from the model's defaults.
_ROW_COLUMNS = (
    "email",
    *_TEXT_FIELDS,
    "company_size",
    "campaign_id",
    "consent",
    "consent_at",
    "created_at",
    "updated_at",
)
#: What the upsert reads back: the id, and the profile as it stands after the merge rules.
_RETURNED = ("id", "email", "created_at", *PROFILE_FIELDS)


def _column_field(column: str) -> Any:
    return next(field for field in Lead._meta.concrete_fields if field.column == column)


def _default_columns() -> list[tuple[str, Any]]:
    """The other columns of a new lead (stage, scores, owner...) with their defaults, so a
    field added to ``Lead`` later is written too."""
    return [
        (str(field.column), field.get_db_prep_save(field.get_default(), connection))
        for field in Lead._meta.concrete_fields
        if field.column not in _ROW_COLUMNS and not field.primary_key and not field.generated
    ]


def _source_sql(rows: int, defaults: list[str]) -> str:
    """Where the upsert's rows come from. PostgreSQL reads them from one array per column
    (``unnest``), which it parses far faster than a thousand ``VALUES`` tuples; SQLite
    gets the tuples."""
    if connection.vendor == "postgresql":

        def cast(column: str) -> str:
            return array_type(_column_field(column))

        arrays = ", ".join(f"%s::{cast(column)}[]" for column in _ROW_COLUMNS)
        constants = "".join(f", %s::{cast(column)}" for column in defaults)
        return f"SELECT rows.*{constants} FROM unnest({arrays}) AS rows"
    one_row = "({})".format(", ".join(["%s"] * (len(_ROW_COLUMNS) + len(defaults))))
    return f"VALUES {', '.join([one_row] * rows)}"


def _upsert_sql(rows: int, defaults: list[str]) -> str:
    return _built_upsert_sql(connection.vendor, rows, tuple(defaults))


# Built once per shape: a single capture would otherwise spend a third of its time here.
@lru_cache(maxsize=64)
def _built_upsert_sql(vendor: str, rows: int, defaults: tuple[str, ...]) -> str:
    """``INSERT ... ON CONFLICT (email) DO UPDATE`` with the merge rules in its SET list.

    The SET expressions read the row as it was (``table.column``) and the offer
    (``EXCLUDED.column``): an empty field takes the offer, a filled one stays; the
    first-touch campaign stays; consent once given stays, with its time. On PostgreSQL
    ``xmax = 0`` tells a row this statement inserted from one it updated.
    """
    quote = connection.ops.quote_name
    table = quote(Lead._meta.db_table)
    columns = [*_ROW_COLUMNS, *defaults]

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
    returning = ", ".join(quote(column) for column in _RETURNED)
    if vendor == "postgresql":
        returning += ", (xmax = 0)"
    return (
        f"INSERT INTO {table} ({', '.join(quote(column) for column in columns)}) "
        f"{_source_sql(rows, list(defaults))} "
        f"ON CONFLICT ({quote('email')}) DO UPDATE SET {', '.join(updates)} "
        f"RETURNING {returning}"
    )


@dataclass
class _Offer:
    """What the rows of one email offer the lead, merged in row order."""

    email: str
    rows: list[Row]
    values: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None
    consent: bool = False
    lead_id: int = 0
    lead_created_at: datetime | None = None
    inserted: bool = False
    #: The lead's profile after the upsert, to find the offers it did not take.
    profile: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.rows) == 1:  # nearly always: one row per email
            [row] = self.rows
            self.values, self.campaign_id, self.consent = row.values, row.campaign_id, row.consent
            return
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


def _rows_per_statement(params_per_row: int) -> int:
    if connection.vendor == "postgresql":
        return 5000  # one array per column: the statement's size is not in its parameters
    return max(1, min(1000, parameter_limit() // params_per_row))


def _lookup_size() -> int:
    """How many values one ``IN (...)`` may hold."""
    return min(10_000, parameter_limit())


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _merged_into(emails: list[str]) -> dict[str, str]:
    """Emails of merged-away leads → the email of the lead they were merged into.

    One query per few thousand emails; an address merged more than once lands where its
    latest merge took it."""
    quote = connection.ops.quote_name
    merges, leads = quote(LeadMerge._meta.db_table), quote(Lead._meta.db_table)
    postgres = connection.vendor == "postgresql"
    targets: dict[str, str] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(emails, _lookup_size()):
            if postgres:
                condition, params = "m.merged_email = ANY(%s)", [list(chunk)]
            else:
                condition = f"m.merged_email IN ({', '.join(['%s'] * len(chunk))})"
                params = list(chunk)
            cursor.execute(
                f"SELECT m.merged_email, l.email FROM {merges} m "
                f"JOIN {leads} l ON l.id = m.lead_id WHERE {condition} "
                "ORDER BY m.merged_at, m.id",
                params,
            )
            targets.update(cursor.fetchall())
    return targets


def _upsert(offers: list[_Offer], now: datetime) -> None:
    """Write the offers, sorted by email so concurrent batches lock rows in one order."""
    offers.sort(key=lambda offer: offer.email)
    existing: set[str] = set()
    if connection.vendor != "postgresql":
        # SQLite lets one writer at a time in, so what exists now is what the upsert meets.
        for chunk in _chunks([offer.email for offer in offers], _lookup_size()):
            existing.update(Lead.objects.filter(email__in=chunk).values_list("email", flat=True))
    default_columns = _default_columns()
    columns = [column for column, _ in default_columns]
    defaults = [value for _, value in default_columns]
    size = _rows_per_statement(len(_ROW_COLUMNS) + len(defaults))
    by_email = {offer.email: offer for offer in offers}
    with connection.cursor() as cursor:
        for chunk in _chunks(offers, size):
            if connection.vendor == "postgresql":
                rows = [offer.params(now) for offer in chunk]
                params = [*defaults, *map(array_literal, zip(*rows, strict=True))]
            else:
                params = [value for offer in chunk for value in (*offer.params(now), *defaults)]
            cursor.execute(_upsert_sql(len(chunk), columns), params)
            for returned in cursor.fetchall():
                offer = by_email[returned[1]]
                offer.lead_id = returned[0]
                offer.lead_created_at = _aware(returned[2])
                offer.profile = dict(zip(PROFILE_FIELDS, returned[3:], strict=False))
                offer.inserted = (
                    bool(returned[-1])
                    if len(returned) > len(_RETURNED)
                    else offer.email not in existing
                )


def _aware(value: Any) -> datetime | None:
    """A timestamp read by a raw cursor: SQLite gives text in UTC, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _same(kept: Any, offered: Any) -> bool:
    """Equal for a person: text compares without regard to case."""
    if isinstance(kept, str) and isinstance(offered, str):
        return kept.casefold() == offered.casefold()
    return kept == offered


def _conflicts(offer: _Offer, now: datetime) -> list[LeadFieldConflict]:
    """Offers for profile fields the lead holds with another value, first offer first."""
    if offer.inserted and len(offer.rows) == 1:
        return []  # a new lead holds exactly what its one row offered
    conflicts: dict[tuple[str, str], LeadFieldConflict] = {}
    for row in offer.rows:
        for name in PROFILE_FIELDS:
            offered = row.values.get(name)
            kept = offer.profile.get(name)
            if offered is None or kept in (None, "") or _same(kept, offered):
                continue
            conflicts.setdefault(
                (name, str(offered)),
                LeadFieldConflict(
                    lead_id=offer.lead_id,
                    field=name,
                    kept_value=str(kept),
                    offered_value=str(offered),
                    source=row.touchpoint_kind,
                    campaign_id=row.campaign_id,
                    created_at=now,
                ),
            )
    return list(conflicts.values())


@dataclass
class Written:
    """What ``write_rows`` did, by row index: the lead (id, when it was first captured),
    the touchpoint's id; and which leads are new."""

    lead_ids: dict[int, int]
    created_at: dict[int, datetime | None]
    touchpoint_ids: dict[int, int]
    new: set[int]


def write_rows(rows: list[Row], now: datetime) -> Written:
    """Upsert the leads of ``rows``, record their touchpoints, conflicts and events."""
    aliases = _merged_into(sorted({row.email for row in rows}))
    groups: dict[str, list[Row]] = {}
    for row in rows:
        row.email = aliases.get(row.email, row.email)
        groups.setdefault(row.email, []).append(row)
    offers = [_Offer(email=email, rows=group) for email, group in groups.items()]
    _upsert(offers, now)

    conflicts = [conflict for offer in offers for conflict in _conflicts(offer, now)]
    if conflicts:
        LeadFieldConflict.objects.bulk_create(conflicts, ignore_conflicts=True)
    lead_of_row = {row.index: offer.lead_id for offer in offers for row in offer.rows}
    touchpoint_ids = insert_columns(
        Touchpoint,
        {
            "lead_id": [lead_of_row[row.index] for row in rows],
            "campaign_id": [row.campaign_id for row in rows],
            "kind": [row.touchpoint_kind for row in rows],
            "occurred_at": [row.occurred_at for row in rows],
            "url": [row.url for row in rows],
            "referrer": [row.referrer for row in rows],
            "note": [row.note for row in rows],
            "consent_text": [row.consent_text for row in rows],
            "created_at": [now] * len(rows),
        },
        returning_ids=True,
    )
    new = sorted((offer for offer in offers if offer.inserted), key=lambda o: o.rows[0].index)
    _publish_captured(new)
    return Written(
        lead_ids=lead_of_row,
        created_at={row.index: offer.lead_created_at for offer in offers for row in offer.rows},
        touchpoint_ids={row.index: pk for row, pk in zip(rows, touchpoint_ids, strict=True)},
        new={offer.lead_id for offer in new},
    )


def _publish_captured(new: list[_Offer]) -> None:
    """``lead.captured`` for each new lead; the leads are loaded only for subscribers."""
    leads = (
        Lead.objects.in_bulk([offer.lead_id for offer in new])
        if new and events.has_subscribers(events.LEAD_CAPTURED)
        else {}
    )
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
                context={"lead": leads[offer.lead_id]} if leads else {},
            )
            for offer in new
        ],
    )
