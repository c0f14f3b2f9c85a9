"""For tests that race two database sessions on PostgreSQL: wait until one blocks on the
other's lock, so the race is real and not a matter of timing."""

from __future__ import annotations

import threading
import time

from django.db import connection


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return bool(cursor.fetchone()[0])


def wait_until_blocked(waiter: threading.Thread | None = None, *, attempts: int = 300) -> bool:
    """True once a session waits for a lock; False after `attempts` looks, or as soon as
    `waiter` has finished without waiting."""
    for _attempt in range(attempts):
        if someone_waits_for_a_lock():
            return True
        if waiter is not None and not waiter.is_alive():
            return False
        time.sleep(0.05)
    return False
