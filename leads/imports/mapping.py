"""Which CSV column fills which lead field: guessed from the headers, fixed by people.

A mapping is ``{"CSV header": "lead field"}``; columns it leaves out are ignored. The
guesses know the export headers of HubSpot, Salesforce and Mautic, compared without case,
spaces or punctuation ("E-mail", "Email Address" and "email" are the same header).
"""

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pycountry
from django.core.exceptions import ValidationError

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
        "mail",
    ),
    "first_name": ("firstname", "givenname", "forename", "fname", "first"),
    "last_name": ("lastname", "surname", "familyname", "lname", "last"),
    "full_name": ("fullname", "name", "contactname", "leadname"),
    "company": (
        "company",
        "companyname",
        "accountname",
        "account",
        "organization",
        "organisation",
        "organizationname",
        "organisationname",
        "associatedcompany",
        "employer",
    ),
    "job_title": ("jobtitle", "title", "position", "jobrole", "role", "designation"),
    "phone": (
        "phone",
        "phonenumber",
        "workphone",
        "businessphone",
        "telephone",
        "tel",
        "mobilephone",
        "mobilephonenumber",
        "mobile",
        "cellphone",
    ),
    "country": (
        "country",
        "countryregion",
        "countrycode",
        "countryname",
        "mailingcountry",
        "billingcountry",
    ),
    "company_size": (
        "numberofemployees",
        "noofemployees",
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
}

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
    """A header as the guesses compare it: case, accents, spaces and punctuation gone."""
    folded = unicodedata.normalize("NFKD", header).casefold()
    return re.sub(r"[^a-z0-9]", "", folded)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The mapping the headers suggest; each field is filled from one column at most."""
    best: dict[str, tuple[int, int, str]] = {}
    for position, header in enumerate(headers):
        key = normalise_header(header)
        for field, names in SYNONYMS.items():
            if key in names:
                rank = (names.index(key), position, header)
                if field not in best or rank < best[field]:
                    best[field] = rank
                break
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
    """One CSV row as capture arguments, and the errors of the values it could not read.

    ``columns`` pairs a column's position with the field it fills. Empty cells are left
    out: an import never blanks a field.
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
    return data, errors


def columns_of(mapping: dict[str, str], headers: list[str]) -> list[tuple[int, str]]:
    """The mapping as (column position, field) pairs, in file order."""
    return [(headers.index(header), field) for header, field in mapping.items()]
