"""Reads of imports: who sees which, and the failed rows as a CSV file."""

import csv
import io
import re
from collections.abc import Iterator

from django.db.models import QuerySet

from alignment.roles import MANAGER, MARKETING, has_role
from leads.imports.mapping import FIELDS
from leads.imports.models import LeadImport, LeadImportError


def visible_imports(user) -> QuerySet[LeadImport]:
    """Imports fill the leads both marketing and managers work on, so both see them all;
    nobody else sees any."""
    if not has_role(user, MARKETING, MANAGER):
        return LeadImport.objects.none()
    return LeadImport.objects.select_related("created_by", "campaign", "job")


def reason_text(lead_import: LeadImport, errors: dict[str, list[str]]) -> str:
    """A failed row's errors in words, each under the CSV header the value came from."""
    header_of = {field: header for header, field in lead_import.mapping.items()}
    if "full_name" in header_of:
        header_of.setdefault("first_name", header_of["full_name"])
        header_of.setdefault("last_name", header_of["full_name"])
    parts = []
    for field, messages in errors.items():
        name = header_of.get(field) or FIELDS.get(field) or field.replace("_", " ").capitalize()
        parts.append(f"{name}: {' '.join(messages)}")
    return "; ".join(parts)


#: A number or phone number may start with + or -; anything else starting with a formula
#: character would run as a formula when the file is opened in a spreadsheet.
_NUMBER_LIKE = re.compile(r"[+-][\d\s().,/-]*")


def spreadsheet_safe(value: object) -> object:
    """The cell as text a spreadsheet shows, not runs: a leading ``'`` on formula-like cells."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _NUMBER_LIKE.fullmatch(value)):
        return "'" + value
    return value


def error_csv_lines(lead_import: LeadImport) -> Iterator[str]:
    """``errors.csv``: each failed row's own cells under the file's headers, then the row
    number and the reason. Fixed, the file can be imported again as it is (the two extra
    columns are not mapped). Streamed, so 100,000 failed rows never sit in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    width = len(lead_import.headers)
    yield "\ufeff" + line([*lead_import.headers, "Row", "Reason"])
    rows = LeadImportError.objects.filter(lead_import=lead_import).order_by("row")
    for failure in rows.iterator(chunk_size=2000):
        cells = (list(failure.values) + [""] * width)[:width]
        safe = [spreadsheet_safe(cell) for cell in cells]
        yield line([*safe, failure.row, spreadsheet_safe(reason_text(lead_import, failure.errors))])
