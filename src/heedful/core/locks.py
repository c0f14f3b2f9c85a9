"""Named locks held until the current transaction ends, shared by every process."""

from __future__ import annotations

import zlib

from django.db import connection


def hold_until_commit(name: str) -> None:
    """Wait for, then hold, the lock called `name` until this transaction commits or rolls back.

    On PostgreSQL this is a transaction-level advisory lock. SQLite needs none: its write
    transactions (IMMEDIATE, see config/env.py) already run one at a time.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("hold_until_commit needs a transaction to hold the lock for")
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(name.encode()) - 2**31  # a stable signed 32-bit key for the name
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
