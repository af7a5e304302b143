"""Uploads go to a temporary folder; helpers build CSV files as uploads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

HUBSPOT_HEADERS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "Country/Region",
    "Number of Employees",
    "Industry",
    "Original Source",
    "Lifecycle Stage",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ",", bom: bool = False, encoding: str = "utf-8"
) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def upload(data: bytes, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def hubspot_row(number: int, **overrides: str) -> list[str]:
    values = {
        "Record ID": str(1000 + number),
        "First Name": f"Person{number}",
        "Last Name": "Example",
        "Email": f"person{number}@example.com",
        "Phone Number": "+1 555 0100",
        "Company Name": f"Company {number % 50}",
        "Job Title": "Marketing Manager",
        "Country/Region": "United States",
        "Number of Employees": "250",
        "Industry": "Software",
        "Original Source": "Organic Search",
        "Lifecycle Stage": "lead",
    }
    values.update(overrides)
    return [values[header] for header in HUBSPOT_HEADERS]


def hubspot_file(count: int, *, start: int = 1, extra: list[list[str]] | None = None) -> bytes:
    rows = [HUBSPOT_HEADERS, *(hubspot_row(n) for n in range(start, start + count))]
    return csv_bytes(rows + (extra or []))
