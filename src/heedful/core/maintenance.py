"""Database upkeep that the query planner needs."""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics(*, after_bulk_load: bool = False) -> None:
    """Give SQLite's planner table statistics (PostgreSQL's autovacuum does this by itself).

    Without them SQLite guesses that `status IN (...)` is selective and sorts every open ticket
    instead of walking the priority index: 75 ms against 1 ms at 100,000 tickets. A full
    ANALYZE takes about a second at that size, so it runs at start-up and after bulk loads.
    """
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    # After a bulk load on PostgreSQL, VACUUM also marks pages all-visible so that the queue
    # counts are answered from the index alone (autovacuum does this on a live system; it is not
    # worth a full VACUUM at every start). It cannot run inside a transaction.
    vacuum = (after_bulk_load and connection.vendor == "postgresql"
              and not connection.in_atomic_block)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
