"""HOT PATH, raw SQL on purpose (docs/decisions/0003-bulk-demo-generation.md).

Writing half a million demo events through `bulk_create` spends most of its time compiling
Django's INSERT (about three quarters of the run, profiled), not in the database. Here one
parametrised INSERT per model is built once from the model's metadata and fed plain rows:
`executemany` on SQLite (one prepared statement), COPY on PostgreSQL, multi-row VALUES on
anything else. Values still pass through the backend's own adapters, so what lands in the table
is what Django would write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

ROWS_PER_STATEMENT = 1000


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: ops.adapt_json_value(v, encoder)
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    return lambda v: v


def _defaults(model: type[models.Model], given: Sequence[str]) -> dict[str, Any]:
    """Values for the columns the caller does not give, as Django would fill them; a model
    change that adds a field with no default fails loudly here, naming the field."""
    filled: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            filled[field.attname] = timezone.now()
        elif field.has_default() or field.null:
            filled[field.attname] = field.get_default()
        elif field.blank and field.empty_strings_allowed:
            filled[field.attname] = ""
        else:
            raise ValueError(f"{model.__name__}.{field.name} has no default: the demo must set it")
    return filled


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT `rows` (tuples of Python values in the order of `columns`, given as attribute
    names such as "ticket_id") into the model's table, without model instances. Columns not
    given get the field's default."""
    if not rows:
        return
    meta = model._meta
    defaults = _defaults(model, columns)
    names_in_order = [*columns, *defaults]
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in names_in_order]
    adapters = [_adapter(f) for f in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = tuple(defaults.values())
    adapted = [tuple(a(v) for a, v in zip(adapters, row + tail, strict=True)) for row in rows]
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {one}", adapted)  # noqa: S608
            return
        if connection.vendor == "postgresql":
            # COPY streams the rows; psycopg adapts each value (Jsonb, datetimes) itself.
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in adapted:
                    copy.write_row(row)
            return
        for start in range(0, len(adapted), ROWS_PER_STATEMENT):
            chunk = adapted[start:start + ROWS_PER_STATEMENT]
            params = [value for row in chunk for value in row]
            sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * len(chunk))  # noqa: S608
            cursor.execute(sql, params)
