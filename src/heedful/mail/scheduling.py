"""IMAP polling scheduled by the worker: one pending fetch job per mailbox, forever.

`heedful worker` calls ensure_imap_polling() when it starts; each fetch_mailbox job enqueues the
next one (run_after = now + IMAP_POLL_SECONDS) in the same transaction that records its result,
so the chain survives restarts and never forks into two. A mailbox that is deactivated or loses
its IMAP host simply stops being rescheduled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.mail.models import Mailbox, OutboundMessage, RawMessage
from heedful.mail.tasks import fetch_mailbox, process_pending_mail

READY = "READY"
RUNNING = "RUNNING"


def _mailbox_id_of(args_kwargs: Any) -> int | None:
    try:
        kwargs = args_kwargs.get("kwargs") or {}
        args = args_kwargs.get("args") or []
        value = kwargs["mailbox_id"] if "mailbox_id" in kwargs else args[0]
        return int(value)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None


def pending_fetches(statuses: tuple[str, ...] = (READY, RUNNING)) -> dict[int, list[DBTaskResult]]:
    """Fetch jobs not finished yet, by mailbox id, oldest first."""
    found: dict[int, list[DBTaskResult]] = defaultdict(list)
    rows = DBTaskResult.objects.filter(
        task_path=fetch_mailbox.module_path, status__in=statuses).order_by("enqueued_at")
    for row in rows:
        mailbox_id = _mailbox_id_of(row.args_kwargs)
        if mailbox_id is not None:
            found[mailbox_id].append(row)
    return found


def ensure_imap_polling() -> int:
    """Make sure every active IMAP mailbox has exactly one fetch job waiting; return how many
    jobs were added. A job that is running does not count: if its worker died, the chain would
    stop; if it is alive, it sees the waiting job and does not add another."""
    added = 0
    with transaction.atomic():
        waiting = pending_fetches((READY,))
        running = pending_fetches((RUNNING,))
        for mailbox_id in Mailbox.objects.filter(active=True).exclude(imap_host="").values_list(
                "pk", flat=True):
            jobs = waiting.get(mailbox_id, [])
            if jobs:
                _drop_extra(jobs)
                continue
            task = fetch_mailbox
            if running.get(mailbox_id):
                task = fetch_mailbox.using(run_after=_next_run())
            task.enqueue(mailbox_id=mailbox_id)
            added += 1
    return added


def schedule_next_fetch(mailbox_id: int) -> None:
    """Called by the fetch job for its mailbox: enqueue the next run unless one is waiting."""
    active = Mailbox.objects.filter(pk=mailbox_id, active=True).exclude(imap_host="").exists()
    jobs = pending_fetches((READY,)).get(mailbox_id, [])
    if jobs:
        _drop_extra(jobs)
    elif active:
        fetch_mailbox.using(run_after=_next_run()).enqueue(mailbox_id=mailbox_id)


def _next_run() -> Any:
    return timezone.now() + timedelta(seconds=settings.IMAP_POLL_SECONDS)


def _drop_extra(jobs: list[DBTaskResult]) -> None:
    if len(jobs) > 1:
        DBTaskResult.objects.filter(pk__in=[job.pk for job in jobs[1:]], status=READY).delete()


def schedule_mail_processing(*, delay_seconds: float = 0) -> bool:
    return schedule_job(process_pending_mail, delay_seconds=delay_seconds)


def schedule_job(task: Any, *, delay_seconds: float = 0) -> bool:
    """Queue a job that drains a table (pending raw mail, queued outbound mail) unless one is
    already waiting to start: any number of rows share it, so whoever adds a row pays one
    indexed read instead of a job each. A job that is running does not count, as it may have
    looked already. Returns whether a job was queued."""
    if not delay_seconds and _job_waiting(task):
        return False
    if delay_seconds:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue()
    return True


def _job_waiting(task: Any) -> bool:
    """Whether the job is queued and not started. Intake asks for every message, so this is one
    plain statement on the queue's partial index of READY rows rather than the ORM query (which
    cost more than storing the message). A job delayed by a second counts too: the rows it
    finds are at most that late."""
    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE status = %s AND task_path = %s LIMIT 1",  # noqa: S608
            [READY, task.module_path],
        )
        return cursor.fetchone() is not None


def ensure_mail_processing() -> bool:
    """At worker start: pick up raw messages left pending (a crash, or a job queued by hand)."""
    if RawMessage.objects.filter(state=RawMessage.State.PENDING).exists():
        return schedule_mail_processing()
    return False


def ensure_mail_sending() -> int:
    """At worker start: put back outbound mail a dead sender left, and make sure queued mail
    has a job. Returns how many messages were put back."""
    from heedful.mail.outbound import requeue_stale_sending
    from heedful.mail.tasks import send_queued_mail

    requeued = requeue_stale_sending()
    if OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).exists():
        schedule_job(send_queued_mail)
    return requeued
