"""Keyset (cursor) pagination for API lists: by id, or by a time column then id.

A cursor names the last row of the previous page, so a page costs the same wherever it is and
rows added meanwhile neither repeat nor vanish. Cursors are opaque to clients.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from heedful.api.schemas import MAX_ID
from heedful.core.errors import Invalid
from heedful.tickets.selectors import decode_cursor, encode_cursor

T = TypeVar("T", bound=Model)


@dataclass
class KeysetPage(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _bad_cursor() -> Invalid:
    return Invalid(_("This page link is no longer valid."),
                   fields={"cursor": [_("Start again from the first page.")]})


def encode_id_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": pk}).encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        pk = json.loads(raw)["after"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk <= MAX_ID:
        raise _bad_cursor()
    return pk


def id_page(queryset: QuerySet[T], *, cursor: str | None, limit: int) -> KeysetPage[T]:
    """Rows in ascending id order, `limit` at a time."""
    if cursor:
        queryset = queryset.filter(pk__gt=decode_id_cursor(cursor))
    rows = list(queryset.order_by("pk")[: limit + 1])
    if len(rows) <= limit:
        return KeysetPage(rows, None)
    rows = rows[:limit]
    return KeysetPage(rows, encode_id_cursor(rows[-1].pk))


def time_page(
    queryset: QuerySet[T], *, column: str, cursor: str | None, limit: int
) -> KeysetPage[T]:
    """Rows in ascending (column, id) order, for lists ordered by time such as a timeline."""
    if cursor:
        value, pk = decode_cursor(cursor, is_time=True)
        if not 0 <= pk <= MAX_ID:
            raise _bad_cursor()
        queryset = queryset.filter(Q(**{f"{column}__gt": value}) | Q(**{column: value, "pk__gt": pk}))
    rows = list(queryset.order_by(column, "pk")[: limit + 1])
    if len(rows) <= limit:
        return KeysetPage(rows, None)
    rows = rows[:limit]
    last: Any = rows[-1]
    return KeysetPage(rows, encode_cursor(getattr(last, column), last.pk))
