from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone


def requeue_stale_tasks() -> int:
    """Put tasks back in the queue whose worker died while running them (RUNNING for longer than
    HEEDFUL_TASK_STALE_SECONDS). Our jobs are idempotent, so running one twice is safe; see
    docs/decisions/0005-requeue-stale-tasks.md."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="READY", started_at=None)


class Command(BaseCommand):
    help = "Run background tasks from every queue. Start as many workers as you need."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queues, or * for all")
        parser.add_argument("--batch", action="store_true",
                            help="run what is due now, then exit")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from heedful.core.housekeeping import ensure_housekeeping
        from heedful.mail.scheduling import ensure_imap_polling, ensure_mail_processing, ensure_mail_sending

        try:
            requeued = requeue_stale_tasks()
            scheduled = ensure_imap_polling()
            ensure_mail_processing()
            ensure_mail_sending()
            ensure_housekeeping()
        except DatabaseError as problem:
            raise CommandError(
                f"cannot read the task queue ({problem}): is the database migrated? "
                "Run `heedful migrate`.") from None
        if requeued and options["verbosity"]:
            self.stdout.write(f"Requeued {requeued} task(s) left running by a worker that stopped.")
        if scheduled and options["verbosity"]:
            self.stdout.write(f"Scheduled IMAP polling for {scheduled} mailbox(es).")
        call_command(
            "db_worker", queue_name=options["queues"], batch=options["batch"],
            interval=options["interval"], reload=False, verbosity=options["verbosity"],
        )
