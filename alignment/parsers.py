"""Reading JSON bodies, with one set of limits for the API and the public form.

A document nested deeper than ``MAX_DEPTH`` is refused as bad JSON: no input of ours
nests past a few levels, and a deep one (``[[[[…]]]]``: two kilobytes make a thousand
levels) costs every later reader its recursion, Python's included (a thousand frames).
As in DRF, ``NaN`` and ``Infinity`` are not JSON. A string the database cannot store (a
lone surrogate, NUL) is still read: the field that receives it says what is wrong.
"""

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"nested too deeply (at most {MAX_DEPTH} levels)"


def parse_json(body: bytes | str) -> Any:
    """The JSON document in ``body``; ``ValueError`` if it is not JSON or nests deeper
    than ``MAX_DEPTH`` levels. Bytes may be UTF-8, UTF-16 or UTF-32."""
    try:
        data = json.loads(body, parse_constant=_not_a_number)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    if not _nests_at_most(data, MAX_DEPTH):
        raise ValueError(TOO_DEEP)
    return data


def _not_a_number(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def _nests_at_most(data: Any, limit: int) -> bool:
    """Whether no array or object in ``data`` lies deeper than ``limit`` (the outermost is
    level 1). Walked with a list, not recursion, so depth costs nothing here."""
    pending = [(data, 1)] if isinstance(data, dict | list) else []
    while pending:
        node, depth = pending.pop()
        if depth > limit:
            return False
        children = node.values() if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser on ``parse_json``: bad or too deep JSON is a 400
    (``{"detail": "JSON parse error - …"}``), never a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return parse_json(stream.read().decode(encoding))
        except (ValueError, LookupError) as exc:  # LookupError: a charset that is no text's
            raise ParseError(f"JSON parse error - {exc}") from exc
