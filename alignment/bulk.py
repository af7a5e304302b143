"""Inserting many rows given as columns, without building a model instance per row.

``bulk_create`` prepares every value of every instance through its field, which is most of
the cost of writing a thousand touchpoints or events. The batch paths (capture, imports,
the event stream) already hold their values as the database stores them, so they hand
them over column by column: PostgreSQL reads one array per column (``unnest``); other
databases get ``VALUES`` tuples, their values prepared by the fields.
"""

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def parameter_limit() -> int:
    """How many parameters one statement may carry. SQLite's real limit (32766 since 3.32)
    is far above the 999 Django assumes for every version."""
    if connection.vendor == "postgresql":
        return 60_000
    connection.ensure_connection()
    try:
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python before 3.11
        return connection.features.max_query_params or 999


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + _escape(value) + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        if value.tzinfo is None:  # PostgreSQL would read it as UTC, SQLite in TIME_ZONE
            raise ValueError(f"A naive datetime for a bulk insert: {value!r}")
        return '"' + value.isoformat() + '"'
    return '"' + _escape(str(value)) + '"'


def array_literal(values: Iterable[Any]) -> str:
    """PostgreSQL's text form of an array (``{"a","b",NULL}``), for a ``%s::type[]``
    parameter.

    psycopg2 sends a Python list as ``ARRAY[...]`` with one constant per element, which
    PostgreSQL must parse and plan one by one: for a thousand rows of twenty columns that
    took longer than the insert itself. One string per column is read by the array type's
    input function instead.
    """
    values = list(values)
    if set(map(type, values)) == {str}:  # a text column without NULLs: the common case
        return '{"' + '","'.join([_escape(value) for value in values]) + '"}'
    if values and isinstance(values[0], datetime) and len(set(values)) == 1:
        return "{" + ",".join([_element(values[0])] * len(values)) + "}"  # "now", n times
    return "{" + ",".join(map(_element, values)) + "}"


def _escape(text: str) -> str:
    if "\\" in text or '"' in text:
        return text.replace("\\", "\\\\").replace('"', '\\"')
    return text


def array_type(field: models.Field) -> str:
    """The PostgreSQL type an array parameter of ``field``'s values is read as: the
    column's type without its length, so a value too long for the column is refused by
    the insert (a cast to ``varchar(n)`` would cut it short without a word)."""
    return re.sub(r"\([^)]*\)", "", str(field.cast_db_type(connection)))


def _column(model: type[models.Model], name: str) -> tuple[models.Field, str]:
    """The field called ``name`` (or with that attname) and its column."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column.")
    return field, field.column


def insert_columns(
    model: type[models.Model], columns: Mapping[str, Sequence[Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert one row per position of ``columns`` (field name or attname → values).

    Values are as the column stores them: aware datetimes, ids for foreign keys, JSON
    as text. Returns the new primary keys in row order when ``returning_ids``.
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"Columns of different lengths: {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    if not count:
        return []
    names = list(columns)
    fields, column_names = zip(*(_column(model, name) for name in names), strict=True)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(column) for column in column_names)
    _, pk_column = _column(model, model._meta.pk.name if model._meta.pk else "id")
    returning = f" RETURNING {quote(pk_column)}" if returning_ids else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{array_type(field)}[]" for field in fields)
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) SELECT * FROM unnest({arrays}){returning}",
                [array_literal(columns[name]) for name in names],
            )
            if returning_ids:
                ids = [row[0] for row in cursor.fetchall()]
            return ids
        per_statement = max(1, parameter_limit() // len(fields))
        prepared = [
            list(columns[name])
            if isinstance(field, models.JSONField)  # already JSON text
            else [field.get_db_prep_save(value, connection) for value in columns[name]]
            for name, field in zip(names, fields, strict=True)
        ]
        placeholder = "({})".format(", ".join(["%s"] * len(fields)))
        for start in range(0, count, per_statement):
            rows = list(
                zip(*(values[start : start + per_statement] for values in prepared), strict=True)
            )
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) "
                f"VALUES {', '.join([placeholder] * len(rows))}{returning}",
                [value for row in rows for value in row],
            )
            if returning_ids:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert_select(
    table: type[models.Model],
    columns: Mapping[str, str] | Sequence[str],
    select: models.QuerySet | tuple[str, Sequence[Any]],
) -> int:
    """``INSERT INTO table (…) SELECT …``: the rows never leave the database. ``columns``
    maps the table's fields to the aliases of a queryset's columns, or lists the fields
    in the order of a raw ``(sql, params)``'s columns. Answers the rows inserted."""
    quote = connection.ops.quote_name
    params: Sequence[Any]
    if isinstance(select, models.QuerySet):
        assert isinstance(columns, Mapping)
        sql, params = select.query.sql_with_params()
        # By the aliases of the ORM's query, whatever order it put its columns in.
        sql = f"SELECT {', '.join('q.' + quote(a) for a in columns.values())} FROM ({sql}) q"
    else:
        sql, params = select
    names = ", ".join(quote(_column(table, field)[1]) for field in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(table._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount
