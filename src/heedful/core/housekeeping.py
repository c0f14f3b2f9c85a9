"""Daily upkeep of the task queue: finished job records are removed, so the table every worker
reads stays small.

CoreConfig.ready() registers `housekeeping` as a periodic job daily at HOUSEKEEPING_AT in
settings.TIME_ZONE (core/schedule.py). Other apps register their own upkeep beside it (mail
prunes its acknowledgement log), so the core needs to know none of them.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.management import call_command
from django_tasks import task
from django_tasks_db.models import DBTaskResult

HOUSEKEEPING_AT = time(3, 0)  # a quiet hour for most desks


def prune() -> dict[str, int]:
    """Delete job records no longer needed; returns how many rows went, by kind."""
    before = DBTaskResult.objects.count()
    # Failed jobs stay longer than successful ones: an admin may still be looking into them.
    call_command("prune_db_task_results", queue_name="*", min_age_days=settings.TASK_RESULTS_KEEP_DAYS,
                 failed_min_age_days=settings.TASK_RESULTS_KEEP_DAYS * 2, verbosity=0)
    return {"task_results": before - DBTaskResult.objects.count()}


@task()
def housekeeping() -> dict[str, int]:
    return prune()
