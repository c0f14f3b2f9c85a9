"""Daily upkeep run by the workers: finished job records and spent rate-limit rows are removed,
so the tables the queue and intake read stay small.

`heedful worker` makes sure one `housekeeping` job is waiting when it starts; the job schedules
its next run a day later, like IMAP polling (mail/scheduling.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

DAY = timedelta(days=1)


def prune() -> dict[str, int]:
    """Delete what is no longer needed; returns how many rows went, by kind."""
    from heedful.mail.models import AcknowledgementLog

    before = DBTaskResult.objects.count()
    # Failed jobs stay longer than successful ones: an admin may still be looking into them.
    call_command("prune_db_task_results", queue_name="*", min_age_days=settings.TASK_RESULTS_KEEP_DAYS,
                 failed_min_age_days=settings.TASK_RESULTS_KEEP_DAYS * 2, verbosity=0)
    tasks = before - DBTaskResult.objects.count()
    # The acknowledgement rate limit looks back one hour.
    acknowledgements, _kinds = AcknowledgementLog.objects.filter(
        sent_at__lt=timezone.now() - DAY).delete()
    return {"task_results": tasks, "acknowledgement_logs": acknowledgements}


@task()
def housekeeping() -> dict[str, int]:
    done = prune()
    housekeeping.using(run_after=timezone.now() + DAY).enqueue()
    return done


def ensure_housekeeping() -> bool:
    """At worker start: queue the daily job (first run in a few minutes) unless one is waiting or
    running. Returns whether it was queued."""
    if DBTaskResult.objects.filter(task_path=housekeeping.module_path,
                                   status__in=["READY", "RUNNING"]).exists():
        return False
    housekeeping.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue()
    return True
