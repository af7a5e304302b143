"""Reading an uploaded CSV file: check it, find its delimiter and headers, stream its rows.

The file is read as a stream of bytes through a text wrapper, so a 100,000-row export never
sits in memory; only the rows of one chunk do.
"""

import codecs
import csv
import io
from collections.abc import Generator
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError

DELIMITERS = (",", ";", "\t")
SAMPLE_BYTES = 64 * 1024
BLOCK_BYTES = 1024 * 1024
SAVE_AS = "Save it as “CSV UTF-8” and upload it again."

# Some exports carry very long cells (notes, descriptions); the default limit is 128 KB.
csv.field_size_limit(4 * 1024 * 1024)


@dataclass(frozen=True)
class CsvInfo:
    """What an upload check learnt about a file."""

    headers: list[str]
    delimiter: str
    rows: int


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _check_bytes(file: IO[bytes]) -> None:
    """Refuse what is not UTF-8 text, with a message that says what to do instead.

    The whole file is decoded in blocks (fast: no parsing), so a bad byte on row 90,000
    is found at upload, not half-way through the import.
    """
    file.seek(0)
    head = file.read(SAMPLE_BYTES)
    if not head.strip(codecs.BOM_UTF8 + b" \t\r\n"):
        raise _file_error("The file is empty.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _file_error(f"The file is UTF-16 text, not UTF-8. {SAVE_AS}")
    if head.startswith(b"PK\x03\x04"):
        raise _file_error(
            f"This is a spreadsheet workbook (or another zip file), not CSV. {SAVE_AS}"
        )
    if b"\x00" in head:
        raise _file_error("This is a binary file, not CSV text.")
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while True:
        block = file.read(BLOCK_BYTES)
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            line += block[: exc.start].count(b"\n")
            raise _file_error(
                f"The file is not UTF-8 text (the first bad character is on line {line}). {SAVE_AS}"
            ) from exc
        if not block:
            return
        line += block.count(b"\n")


def _text(file: IO[bytes]) -> io.TextIOWrapper:
    """The file as text; ``utf-8-sig`` drops a byte-order mark and reads plain UTF-8 too."""
    file.seek(0)
    return io.TextIOWrapper(file, encoding="utf-8-sig", newline="")


def sniff_delimiter(first_lines: str) -> str:
    """The delimiter that splits the header into the most columns (a comma on a tie).

    ``csv.Sniffer`` guesses wrong on short files and on headers without quotes; counting
    columns of the header line, quotes respected, is both simpler and steadier.
    """
    header = first_lines.splitlines()[0] if first_lines else ""
    best, best_count = ",", 0
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([header], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def unique_headers(raw: list[str]) -> list[str]:
    """Headers trimmed, blanks named by position, repeats numbered: each names one column."""
    headers: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(raw, start=1):
        name = " ".join(header.split()) or f"Column {position}"
        candidate, copy = name, 2
        while candidate.casefold() in seen:
            candidate = f"{name} ({copy})"
            copy += 1
        seen.add(candidate.casefold())
        headers.append(candidate)
    return headers


def inspect_csv(file: IO[bytes]) -> CsvInfo:
    """Check an upload and learn its shape: delimiter, headers and how many rows it has.

    Raises ``ValidationError({"file": [...]})`` for an empty, binary or non-UTF-8 file or
    one without rows.
    """
    _check_bytes(file)
    file.seek(0)
    # A multi-byte character cut at the sample's end is dropped, not an error.
    delimiter = sniff_delimiter(file.read(SAMPLE_BYTES).decode("utf-8-sig", errors="ignore"))
    text = _text(file)
    try:
        reader = csv.reader(text, delimiter=delimiter)
        headers = unique_headers(next(reader, []))
        rows = sum(1 for values in reader if any(value.strip() for value in values))
    except csv.Error as exc:
        raise _file_error(f"The file is not readable as CSV: {exc}.") from exc
    finally:
        # Detached, the wrapper leaves the upload open for the next reader.
        text.detach()
    if not rows:
        raise _file_error("The file has a header row but no rows under it.")
    return CsvInfo(headers=headers, delimiter=delimiter, rows=rows)


def read_rows(
    file: IO[bytes], *, delimiter: str, after_row: int = 1
) -> Generator[tuple[int, list[str]], None, None]:
    """``(row number, values)`` for each non-blank row, as a spreadsheet numbers them:
    the header is row 1. Rows up to ``after_row`` are skipped (a resumed import)."""
    text = _text(file)
    try:
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)
        for number, values in enumerate(reader, start=2):
            if number <= after_row or not any(value.strip() for value in values):
                continue
            yield number, values
    finally:
        # Closed early, the reader may outlive the file; otherwise leave the file open.
        if not text.closed:
            text.detach()
