"""Which part of an import captures a row: a stable hash of the row's email address.

An import runs as a few parts side by side (``LeadImportPart``); every part reads the
whole file and captures only the rows that hash to its number. The hash is taken of the
address as capture keys a lead (NFKC, trimmed, lowercase, a punycode domain decoded), so
every row of one person is in one part, captured one chunk after another in file order,
and two parts never race on one lead. ``zlib.crc32`` is the same in every process, unlike
Python's ``hash()`` of a string, which each process salts differently.
"""

import unicodedata
import zlib

from django.core.exceptions import ValidationError

from leads.capture import normalise_email


def email_key(raw: str) -> str:
    """``raw`` as capture would key its lead; what is not an address only folded alike."""
    key = unicodedata.normalize("NFKC", raw).strip().lower()
    if "xn--" in key:
        # Rare: capture's full normalisation (its checks cost more) only where it differs.
        try:
            return normalise_email(key)
        except ValidationError:
            return key
    return key


def part_of(raw_email: str, parts: int) -> int:
    """The part (``0`` to ``parts - 1``) that captures a row with this email cell.

    A row without an email goes to part 0: it fails, and its failure must be reported.
    """
    key = email_key(raw_email)
    if not key or parts <= 1:
        return 0
    return zlib.crc32(key.encode("utf-8")) % parts
