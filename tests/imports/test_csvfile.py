"""Reading uploads: encodings, delimiters, headers, and clear refusals of what is not CSV."""

import io

import pytest
from django.core.exceptions import ValidationError

from leads.imports.csvfile import inspect_csv, read_rows
from tests.imports.conftest import csv_bytes


def inspect(data: bytes):
    return inspect_csv(io.BytesIO(data))


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as error:
        inspect(data)
    return error.value.message_dict["file"][0]


def test_it_reads_a_utf8_file_with_a_bom_and_semicolons():
    data = csv_bytes(
        [["E-Mail", "Firma"], ["jürgen@example.de", "Müller GmbH"]], delimiter=";", bom=True
    )
    info = inspect(data)
    assert (info.headers, info.delimiter, info.rows) == (["E-Mail", "Firma"], ";", 1)
    assert list(read_rows(io.BytesIO(data), delimiter=";")) == [
        (2, ["jürgen@example.de", "Müller GmbH"])
    ]


def test_it_sniffs_a_comma_even_when_values_hold_semicolons():
    data = csv_bytes([["Email", "Company", "Notes"], ["a@example.com", "Acme", "one; two; three"]])
    assert inspect(data).delimiter == ","


def test_it_reads_tab_separated_files():
    assert inspect(b"Email\tCompany\r\na@example.com\tAcme\r\n").delimiter == "\t"


def test_it_counts_rows_but_not_blank_ones():
    data = b"Email,Company\r\na@example.com,Acme\r\n,\r\n\r\nb@example.com,Beta\r\n"
    assert inspect(data).rows == 2


def test_rows_keep_their_spreadsheet_numbers_around_blank_lines():
    data = b"Email\r\na@example.com\r\n\r\nb@example.com\r\n"
    assert [number for number, _ in read_rows(io.BytesIO(data), delimiter=",")] == [2, 4]


def test_a_quoted_value_may_span_lines():
    data = b'Email,Notes\r\na@example.com,"line one\nline two"\r\n'
    assert list(read_rows(io.BytesIO(data), delimiter=",")) == [
        (2, ["a@example.com", "line one\nline two"])
    ]


def test_reading_resumes_after_a_given_row():
    data = csv_bytes([["Email"], *([f"p{n}@example.com"] for n in range(5))])
    rows = list(read_rows(io.BytesIO(data), delimiter=",", after_row=4))
    assert [number for number, _ in rows] == [5, 6]


def test_blank_and_repeated_headers_get_names_of_their_own():
    info = inspect(b"Email,,Email, Phone  Number \r\na@example.com,x,y,z\r\n")
    assert info.headers == ["Email", "Column 2", "Email (2)", "Phone Number"]


def test_it_refuses_an_empty_file():
    assert refusal(b"") == "The file is empty."


def test_a_file_with_only_a_bom_is_empty():
    assert refusal(b"\xef\xbb\xbf\r\n") == "The file is empty."


def test_it_refuses_a_header_without_rows():
    assert refusal(b"Email,Company\r\n") == "The file has a header row but no rows under it."


def test_it_refuses_latin1_and_says_where_and_what_to_do():
    data = "Email,Company\r\na@example.com,Acme\r\nb@example.com,Müller\r\n".encode("latin-1")
    assert refusal(data) == (
        "The file is not UTF-8 text (the first bad character is on line 3). "
        "Save it as “CSV UTF-8” and upload it again."
    )


def test_it_finds_a_bad_byte_far_into_a_large_file():
    good = csv_bytes([["Email"], *([f"person{n}@example.com"] for n in range(60_000))])
    message = refusal(good + "zoë@example.com\r\n".encode("cp1252"))
    assert "line 60002" in message


def test_it_refuses_utf16_text():
    data = "Email\r\na@example.com\r\n".encode("utf-16")
    assert refusal(data).startswith("The file is UTF-16 text, not UTF-8.")


def test_it_refuses_a_zip_file():
    assert refusal(b"PK\x03\x04\x14\x00\x06\x00rest of a zip").startswith(
        "This is a zip archive, not a CSV file."
    )


def test_it_refuses_a_binary_file():
    assert refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").startswith(
        "This is an image, not a CSV file. Upload a CSV file:"
    )
