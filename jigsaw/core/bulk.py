"""Fast appends for the ingest path: many rows, ids chosen up front, no model instances.

The ORM's bulk_create spends most of its time building model objects and preparing each value;
a file ingest writes millions of rows, so this writes them directly: PostgreSQL's COPY, SQLite's
executemany. Ids are taken up front (a sequence on PostgreSQL; on SQLite, past the current
maximum inside the write transaction, which SQLite makes exclusive) so that child rows can
name their parents without reading anything back. Used only on append-only tables, inside a
transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("ids can only be allocated inside a transaction")
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Django keeps aware datetimes in SQLite as naive UTC text.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, uuid.UUID):
        return value.hex  # as Django's UUIDField keeps it in SQLite
    return value


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a stored column")
    return field.column


def append_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in the order of `fields`, model field names) into `model`'s table."""
    if not rows:
        return
    columns = [_column(model, name) for name in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_pg_value(v) for v in row])
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})",
            [[_sqlite_value(v) for v in row] for row in rows],
        )
