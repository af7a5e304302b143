"""Which CSV column fills which lead field: guessed from the headers, fixed by people.

A mapping is ``{"CSV header": "lead field"}``; columns it leaves out are ignored. The
guesses know the headers of the lead and contact exports of HubSpot, Salesforce (object
exports by API name and reports by page label), Mautic and Pipedrive, compared without
case, accents, spaces or punctuation ("E-mail", "Email Address" and "email" are the same
header). A Pipedrive-style prefix ("Person - Email - Work", "Organization - Name") says
whose value a column holds: a person's, their organisation's or the lead record's.
"""

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pycountry
from django.core.exceptions import ValidationError

from leads.capture import row_errors

#: The lead fields a column may fill, in the order the mapping form lists them.
FIELDS: dict[str, str] = {
    "email": "Email",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "company": "Company",
    "job_title": "Job title",
    "phone": "Phone",
    "country": "Country",
    "company_size": "Company size (employees)",
    "industry": "Industry",
    "consent": "Marketing consent",
    "utm_source": "Source (utm_source)",
    "utm_medium": "Medium (utm_medium)",
    "utm_campaign": "Campaign code (utm_campaign)",
    "note": "Message or note (kept on the imported touchpoint)",
}

#: Normalised headers each field recognises, best first: when two columns could fill one
#: field, the better-ranked header wins ("Phone Number" over "Mobile Phone").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "emailaddress",
        "emailaddr",
        "workemail",
        "businessemail",
        "primaryemail",
        "contactemail",
        "emailwork",
        "emailprimary",
        "emailother",
        "emailhome",
        "mail",
    ),
    "first_name": ("firstname", "givenname", "forename", "fname", "first"),
    "last_name": ("lastname", "surname", "familyname", "lname", "last"),
    "full_name": ("fullname", "name", "contactname", "leadname", "personname"),
    "company": (
        "company",
        "companyname",
        "companyaccount",  # a Salesforce lead report's "Company / Account"
        "accountname",
        "organizationname",
        "organisationname",
        "account",
        "organization",
        "organisation",
        "primarycompany",  # Mautic's label of its company field
        "associatedcompany",
        "employer",
    ),
    # Mautic's "title" is a salutation ("Mr", "Dr") next to its "position": with both
    # in a file, the position is the job title.
    "job_title": ("jobtitle", "position", "title", "jobrole", "role", "designation"),
    "phone": (
        "phone",
        "phonenumber",
        "workphone",
        "businessphone",
        "phonework",
        "telephone",
        "tel",
        "mobilephone",
        "mobilephonenumber",
        "mobile",
        "phonemobile",
        "cellphone",
        "phoneother",
        "phonehome",
    ),
    "country": (
        "country",
        "countryregion",
        "countrycode",
        "countryname",
        "mailingcountry",
        "billingcountry",
        "addresscountry",
        "addresscountryregion",
    ),
    "company_size": (
        "numberofemployees",
        "noofemployees",
        "ofemployees",
        "employees",
        "companysize",
        "employeecount",
        "numemployees",
        "headcount",
    ),
    "industry": ("industry", "sector", "vertical"),
    "consent": (
        "consent",
        "marketingconsent",
        "emailconsent",
        "marketingemailconsent",
        "gdprconsent",
        "consentgiven",
        "optin",
        "emailoptin",
        "marketingoptin",
        "optedin",
    ),
    "utm_source": ("utmsource", "leadsource", "originalsource", "hsanalyticssource", "source"),
    "utm_medium": ("utmmedium", "medium"),
    "utm_campaign": ("utmcampaign", "campaigncode", "campaign"),
    "note": ("message", "yourmessage", "description", "notes", "note", "comments", "comment"),
}

#: Prefixes that say whose value a column holds, and the fields such a column may fill.
#: A lead or deal *record's* title is its name in the CRM ("Acme – 50 seats"), not a job
#: title, so its columns fill only the record's own source and notes.
_PERSON_FIELDS = frozenset(FIELDS)
_ORGANISATION_FIELDS = frozenset({"company", "company_size", "industry", "country"})
_RECORD_FIELDS = frozenset({"utm_source", "utm_medium", "utm_campaign", "note"})
PREFIXES: dict[str, frozenset[str]] = {
    "person": _PERSON_FIELDS,
    "contact": _PERSON_FIELDS,
    "people": _PERSON_FIELDS,
    "organization": _ORGANISATION_FIELDS,
    "organisation": _ORGANISATION_FIELDS,
    "org": _ORGANISATION_FIELDS,
    "company": _ORGANISATION_FIELDS,
    "account": _ORGANISATION_FIELDS,
    "lead": _RECORD_FIELDS,
    "deal": _RECORD_FIELDS,
}
#: "Person - Email", "Organization – Name", "Contact: Email": a word, then a dash with
#: spaces around it or a colon (a hyphen inside a word, as in "E-mail", is no prefix).
_PREFIXED = re.compile(r"\s*([^\W\d_]+)\s*(?:\s[-–—]\s|:)\s*(.+)", re.DOTALL)

YES = {"1", "true", "yes", "y", "x", "on", "optedin", "optin", "granted", "given", "subscribed"}
NO = {"0", "false", "no", "n", "off", "optedout", "optout", "notgranted", "unsubscribed", "none"}

#: Country names people write that ISO 3166 does not spell that way.
COUNTRY_ALIASES = {
    "uk": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northernireland": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "unitedstatesofamerica": "US",
    "uae": "AE",
    "russia": "RU",
    "turkey": "TR",
    "holland": "NL",
    "ivorycoast": "CI",
    "macedonia": "MK",
    "korea": "KR",
    "czechrepublic": "CZ",
}


def normalise_header(header: str) -> str:
    """A header as the guesses compare it: case, accents, spaces and punctuation gone (a
    byte-order mark or a zero-width space left by a spreadsheet goes with them)."""
    folded = unicodedata.normalize("NFKD", header).casefold()
    return re.sub(r"[^a-z0-9]", "", folded)


def _field_of(key: str, allowed: frozenset[str] = _PERSON_FIELDS) -> tuple[str, int] | None:
    """The field a normalised header names, with its rank among that field's headers."""
    for field, names in SYNONYMS.items():
        if key in names:
            return (field, names.index(key)) if field in allowed else None
    return None


def header_field(header: str) -> tuple[str, int] | None:
    """The field a header names and how well (0 is best), or None for a column no field
    takes. The whole header is tried first ("Organization Name", "Lead Source"), then
    the part after a prefix, among the fields that prefix allows."""
    found = _field_of(normalise_header(header))
    if found is not None:
        return found
    prefixed = _PREFIXED.fullmatch(header)
    if prefixed is None:
        return None
    allowed = PREFIXES.get(normalise_header(prefixed.group(1)))
    if allowed is None:
        return None
    rest = normalise_header(prefixed.group(2))
    if allowed is _ORGANISATION_FIELDS and rest == "name":
        return ("company", 0)
    return _field_of(rest, allowed)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The mapping the headers suggest; each field is filled from one column at most."""
    best: dict[str, tuple[int, int, str]] = {}
    for position, header in enumerate(headers):
        found = header_field(header)
        if found is None:
            continue
        field, rank = found
        candidate = (rank, position, header)
        if field not in best or candidate < best[field]:
            best[field] = candidate
    # A full name is only needed when the file has no separate name columns.
    if "full_name" in best and ("first_name" in best or "last_name" in best):
        del best["full_name"]
    by_header = {header: field for field, (_, _, header) in best.items()}
    return {header: by_header[header] for header in headers if header in by_header}


def check_mapping(mapping: Any, headers: list[str]) -> dict[str, str]:
    """A mapping people sent, cleaned: headers of this file, known fields, each field once,
    email mapped. Raises ``ValidationError`` with every problem found."""
    if not isinstance(mapping, dict):
        raise ValidationError('Give the mapping as {"CSV header": "lead field"}.')
    errors: list[str] = []
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, field in mapping.items():
        if field in ("", None, "ignore"):
            continue
        if header not in headers:
            errors.append(f"The file has no column “{header}”.")
            continue
        if field not in FIELDS:
            errors.append(f"“{field}” is not a lead field (column “{header}”).")
            continue
        if field in used:
            errors.append(f"Both “{used[field]}” and “{header}” fill {FIELDS[field].lower()}.")
            continue
        used[field] = header
        cleaned[header] = field
    if "email" not in used and not errors:
        errors.append("Map a column to email: every lead needs one.")
    if errors:
        raise ValidationError(errors)
    return {header: cleaned[header] for header in headers if header in cleaned}


@lru_cache(maxsize=2048)
def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code or a name; None if unknown."""
    key = normalise_header(value)
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    name = re.sub(r"^the\s+", "", value.strip(), flags=re.IGNORECASE)
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


def parse_company_size(value: str) -> int | None:
    """Employees from "250", "1,200", "51-200" (the low end) or "10000+"; None if not one."""
    text = value.replace(",", "").replace(".", "").replace(" ", "").replace("\u00a0", "")
    match = re.fullmatch(r"(\d+)(?:[-–](\d+)|\+)?", text)
    return int(match.group(1)) if match else None


def parse_consent(value: str) -> bool | None:
    key = normalise_header(value)
    if key in YES:
        return True
    if key in NO:
        return False
    return None


def split_name(full: str) -> tuple[str, str]:
    """First and last name from "Ada Lovelace" or "Lovelace, Ada"."""
    full = " ".join(full.split())
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.partition(" ")
    return first, last


#: Fields whose cells are read, not copied: the reader, and the error when it reads nothing.
PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "country": (country_code, "Unknown country “{raw}”."),
    "company_size": (parse_company_size, "“{raw}” is not a number of employees."),
    "consent": (parse_consent, "“{raw}” is not a yes or a no."),
}


def row_to_capture(
    values: list[str], columns: list[tuple[int, str]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """One CSV row as capture arguments, and every error of the row, in column order.

    ``columns`` pairs a column's position with the field it fills. Empty cells are left
    out: an import never blanks a field. A row with a value that cannot be read never
    reaches capture, so capture's own checks run here on the rest of it: the report then
    tells all that is wrong with the row at once, as the preview did, not one thing per
    attempt. A row that reads cleanly is checked by capture itself, once.
    """
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    full_name = ""
    for position, field in columns:
        raw = values[position].strip() if position < len(values) else ""
        if not raw:
            continue
        if field == "full_name":
            full_name = raw
        elif field in PARSERS:
            parse, problem = PARSERS[field]
            value = parse(raw)
            if value is None:
                errors[field] = [problem.format(raw=raw)]
            else:
                data[field] = value
        else:
            data[field] = raw
    if full_name:
        first, last = split_name(full_name)
        if first:
            data.setdefault("first_name", first)
        if last:
            data.setdefault("last_name", last)
    if not data.get("email"):
        errors.setdefault("email", ["No email in this row."])
    if errors:
        # The reading's own message wins for a field both found wrong ("No email in this
        # row." says more than "Enter a valid email address." of an empty one).
        errors = _in_column_order({**row_errors(data), **errors}, columns)
    return data, errors


def _in_column_order(
    errors: dict[str, list[str]], columns: list[tuple[int, str]]
) -> dict[str, list[str]]:
    """Errors in the order of the columns they are about, so a reason reads like the row."""
    place: dict[str, int] = {}
    for position, field in columns:
        place.setdefault(field, position)
    if "full_name" in place:
        place.setdefault("first_name", place["full_name"])
        place.setdefault("last_name", place["full_name"])
    order = sorted(errors, key=lambda field: place.get(field, len(place) + 10**6))
    return {field: errors[field] for field in order}


def columns_of(mapping: dict[str, str], headers: list[str]) -> list[tuple[int, str]]:
    """The mapping as (column position, field) pairs, in file order."""
    return [(headers.index(header), field) for header, field in mapping.items()]
