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


def _sentence(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "!", "?", "…")) else f"{message}."


def reasons(mapping: dict[str, str], headers: list[str], errors: dict[str, list[str]]) -> list[str]:
    """A row's errors in words, one per field, each under the CSV header the value came
    from and in the order of the file's columns: ``["Email: Enter a valid email
    address.", "Country/Region: Unknown country “Narnia”."]``. The preview and the report
    both say it so, so a row reads the same before and after the run."""
    header_of = {field: header for header, field in mapping.items()}
    if "full_name" in header_of:
        header_of.setdefault("first_name", header_of["full_name"])
        header_of.setdefault("last_name", header_of["full_name"])
    position = {header: n for n, header in enumerate(headers)}
    unplaced = len(position)

    def place(field: str) -> int:
        return position.get(header_of.get(field, ""), unplaced)

    lines = []
    for field in sorted(errors, key=place):
        name = header_of.get(field) or FIELDS.get(field) or field.replace("_", " ").capitalize()
        text = " ".join(_sentence(message) for message in errors[field] if message.strip())
        lines.append(f"{name}: {text}")
    return lines


def reason_text(lead_import: LeadImport, errors: dict[str, list[str]]) -> str:
    """A failed row's reasons as one text (the report and ``errors.csv``). Each is a
    sentence, so they join with a space: "Email: Enter a valid email address. Company
    size: “lots” is not a number of employees." """
    return " ".join(reasons(lead_import.mapping, lead_import.headers, errors))


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
