"""Capture's checks: every value a door brings, cleaned as the lead stores it.

The same checks for every door (types, lengths, numbers, known choices), so bad input
is reported by field and never reaches the database.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alignment.fields import check_datetime
from leads.models import Lead, Touchpoint, TouchpointKind

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

# Both fields declare a max_length; the cast tells the type checker so.
EMAIL_MAX_LENGTH = cast(int, Lead._meta.get_field("email").max_length)
URL_MAX_LENGTH = cast(int, Touchpoint._meta.get_field("url").max_length)
TOUCHPOINT_KINDS = frozenset(TouchpointKind.values)  # ``.values`` builds a new list each time
COMPANY_SIZE_MAX = 2_147_483_647  # the largest value the integer column holds
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "f", "no", "n", "off"})


def normalise_email(raw: str) -> str:
    """Trim, apply Unicode NFKC and lowercase; raise ``ValidationError`` if not an address.

    An internationalised domain is kept in its Unicode form, whichever form it came in:
    ``ada@xn--bcher-kva.example`` is stored (and matched, as the lead's identity) as
    ``ada@bücher.example``, the form people read and search for. Its punycode is for
    DNS and SMTP, and is derived from it when needed.
    """
    if raw is not None and not isinstance(raw, str):
        raise ValidationError({"email": ["Enter a valid email address."]})
    email = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if "xn--" in email:
        email = _with_unicode_domain(email)
    # The validator accepts addresses longer than the column; the database would not.
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError({"email": [f"At most {EMAIL_MAX_LENGTH} characters."]})
    if not _is_address(email):
        raise ValidationError({"email": [str(validate_email.message)]})
    return email


def _is_address(email: str) -> bool:
    """What Django's ``validate_email`` accepts, with the domain's check remembered: the
    rows of an import share a few thousand domains at most."""
    if not email or "@" not in email or len(email) > 320:
        return False
    user, domain = email.rsplit("@", 1)
    return bool(_user_match(user)) and _is_mail_domain(domain)


#: The validator's pattern is compiled lazily; reading it through the lazy object costs
#: more than the match, so it is read once.
_user_match = validate_email.user_regex.match


@lru_cache(maxsize=8192)
def _is_mail_domain(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or validate_email.validate_domain_part(domain)


def _with_unicode_domain(email: str) -> str:
    """``email`` with the punycode labels of its domain decoded, if that is an address."""
    user, _, domain = email.rpartition("@")
    decoded = f"{user}@{_unicode_domain(domain)}"
    return decoded if decoded != email and _is_address(decoded) else email


@lru_cache(maxsize=8192)
def _unicode_domain(domain: str) -> str:
    return ".".join(_unicode_label(label) for label in domain.split("."))


def _unicode_label(label: str) -> str:
    """A punycode label (``xn--…``) as Unicode, normalised like the rest of the address.

    Only a label that encodes back to itself and holds more than ASCII is decoded: any
    other ``xn--`` label names no Unicode domain and is kept as written.
    """
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return label
    if decoded.isascii() or decoded.encode("punycode") != label[4:].encode("ascii"):
        return label
    return unicodedata.normalize("NFKC", decoded).lower()


#: Line breaks, tabs and other control characters (NUL aside, which is refused): a lead's
#: fields are single lines, shown in lists, notifications and emails, so a run of them
#: becomes one space.
_CONTROLS = re.compile("[\x01-\x1f\x7f-\x9f\u2028\u2029]+")
#: What no text may hold, refused rather than cleaned: NUL (PostgreSQL refuses it in text)
#: and lone surrogates (no encoding can store them, so the insert of the whole batch
#: would fail).
_REFUSED = re.compile("[\x00\ud800-\udfff]")
#: Anything a cleaner would change or refuse, for the short way of ``_captured_values``.
_UNCLEAN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def single_line(text: str) -> str:
    """``text`` with its control characters and line breaks turned into single spaces."""
    return _CONTROLS.sub(" ", text).strip() if _CONTROLS.search(text) else text


def _text(value: Any, max_length: int | None = None, *, normalise: bool = False) -> str:
    """A trimmed single-line string; numbers are read as text (spreadsheets make numbers
    of ids). With ``normalise``, Unicode NFKC: the full-width, ligature and no-break
    space forms of a name are the name people search for."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = str(value)
    else:
        raise ValidationError("Not a valid string.")
    refused = _REFUSED.search(text)
    if refused and refused.group() == "\x00":  # say so instead of failing in the database
        raise ValidationError("Null characters are not allowed.")
    if refused:
        raise ValidationError("Surrogate characters are not allowed.")
    if normalise:
        text = unicodedata.normalize("NFKC", text)
    text = single_line(text.strip())
    if max_length is not None and len(text) > max_length:
        raise ValidationError(
            f"Ensure this value has at most {max_length} characters (it has {len(text)})."
        )
    return text


def _country(value: Any) -> str:
    code = _text(value, normalise=True).upper()
    if code and not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise ValidationError("Enter a two-letter country code (ISO 3166-1), such as DE.")
    return code


def _company_size(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError("Enter a whole number.")
    if isinstance(value, float | Decimal):
        try:
            whole = int(value)
        except (ValueError, OverflowError):  # NaN, infinity
            raise ValidationError("Enter a whole number.") from None
        if value != whole:
            raise ValidationError("Enter a whole number.")
        value = whole
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
    return cast(int, getattr(Lead._meta.get_field(name), "max_length", None))


#: One cleaner per lead field a capture or an edit may set: value in, stored value out.
CLEANERS: dict[str, Callable[[Any], Any]] = {
    **{
        name: partial(_text, max_length=_max_length(name), normalise=True)
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


#: Plain text fields and their column's length: the common case of ``_captured_values``.
_TEXT_LIMITS = {
    name: _max_length(name)
    for name in (*PROFILE_FIELDS, *UTM_FIELDS)
    if name not in ("country", "company_size")
}


def _captured_values(row: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """``clean_values`` of a capture row, its field errors added to ``errors``.

    The same checks, with a short way for the value nearly every cell of an import is:
    text that fits its column. Everything else goes through the field's cleaner.
    """
    values: dict[str, Any] = {}
    for key, value in row.items():
        cleaner = CLEANERS.get(key)
        if cleaner is None or value is None:
            continue
        if type(value) is str:
            text = value.strip()
            if not text:
                continue
            limit = _TEXT_LIMITS.get(key)
            if (
                limit is not None
                and len(text) <= limit
                and not _UNCLEAN.search(text)
                and unicodedata.is_normalized("NFKC", text)
            ):
                values[key] = text
                continue
        try:
            values[key] = cleaner(value)
        except ValidationError as exc:
            errors[key] = exc.messages
    return values


def clean_occurred_at(value: Any) -> datetime | None:
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
    return check_datetime(timezone.make_aware(value) if timezone.is_naive(value) else value)


@dataclass
class Row:
    """One valid row on its way in; ``campaign_id`` is filled by ``upsert.resolve_campaigns``."""

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


def clean_row(
    index: int,
    row: Mapping[str, Any],
    *,
    touchpoint_kind: str,
    occurred_at: datetime | None,
    now: datetime,
) -> Row:
    """Check one row completely (every field's errors at once) or raise ``ValidationError``."""
    if not ROW_KEYS.issuperset(row):
        raise TypeError(f"capture got unknown fields: {sorted(set(row) - ROW_KEYS)}")
    errors: dict[str, list[str]] = {}
    email = ""
    try:
        email = normalise_email(row.get("email") or "")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    values = _captured_values(row, errors)
    kind = row.get("touchpoint_kind") or touchpoint_kind
    if not isinstance(kind, str) or kind not in TOUCHPOINT_KINDS:
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
        at = clean_occurred_at(row.get("occurred_at")) or occurred_at
    except ValidationError as exc:
        errors["occurred_at"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return Row(
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
