"""Gap-tolerant, collision-free counters shared by every process."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from heedful.core.models import Sequence


def reserve(name: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers from the named sequence.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so two processes never
    get the same number; a rolled-back transaction simply gives its numbers back.
    """
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        last = Sequence.objects.values_list("value", flat=True).get(name=name)
    return range(last - count + 1, last + 1)
