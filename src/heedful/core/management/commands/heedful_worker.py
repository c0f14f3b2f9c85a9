from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from heedful.core.schedule import TICK_SECONDS, Ticker, run_due


def requeue_stale_tasks() -> int:
    """Put tasks back in the queue whose worker died while running them (RUNNING for longer than
    HEEDFUL_TASK_STALE_SECONDS). Our jobs are idempotent, so running one twice is safe; see
    docs/decisions/0005-requeue-stale-tasks.md."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="READY", started_at=None)


class Command(BaseCommand):
    help = ("Run background tasks from every queue, and start the periodic jobs that are due "
            "(see `heedful schedule`). Start as many workers as you need.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queues, or * for all")
        parser.add_argument("--batch", action="store_true",
                            help="start the periodic jobs that are due, run what is due now, then exit")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            requeued = requeue_stale_tasks()
            started = run_due()
        except DatabaseError as problem:
            raise CommandError(
                f"cannot read the task queue ({problem}): is the database migrated? "
                "Run `heedful migrate`.") from None
        if requeued and options["verbosity"]:
            self.stdout.write(f"Requeued {requeued} task(s) left running by a worker that stopped.")
        if started and options["verbosity"] > 1:
            self.stdout.write(f"Started periodic job(s): {', '.join(started)}.")
        # The schedule ticks in a thread beside the task loop (decision 0007): any number of
        # workers may tick, and a claimed period starts one run whichever of them wins.
        ticker = None if options["batch"] else Ticker(TICK_SECONDS)
        if ticker is not None:
            ticker.start()
        try:
            call_command(
                "db_worker", queue_name=options["queues"], batch=options["batch"],
                interval=options["interval"], reload=False, verbosity=options["verbosity"],
            )
        finally:
            if ticker is not None:
                ticker.stop()
