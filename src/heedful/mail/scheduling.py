"""The mail app's periodic jobs, and the wake-ups of its two queues.

Periodic jobs go through the core's registry (core/schedule.py), registered by
`register_periodic_jobs()` from MailConfig.ready(): each active IMAP mailbox is fetched once per
HEEDFUL_IMAP_POLL_SECONDS, a sweep every minute wakes the queues of pending raw mail and queued
outbound mail if nothing else did (after a crash, or rows written by hand), and the
acknowledgement log is pruned daily.

The queues themselves are woken by the events that fill them: intake queues
process_pending_mail and a reply queues send_queued_mail, each only when no such job is waiting.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from heedful.core.schedule import register_periodic
from heedful.mail.models import AcknowledgementLog, Mailbox, OutboundMessage, RawMessage
from heedful.mail.tasks import fetch_mailbox, process_pending_mail

READY = "READY"
SWEEP_EVERY = timedelta(minutes=1)
PRUNE_ACKNOWLEDGEMENTS_AT = time(3, 0)


def register_periodic_jobs() -> None:
    register_periodic("mail.fetch_mailbox", fetch_mailbox,
                      every=timedelta(seconds=settings.IMAP_POLL_SECONDS), instances=imap_mailboxes)
    register_periodic("mail.sweep_queues", sweep_mail_queues, every=SWEEP_EVERY)
    register_periodic("mail.prune_acknowledgements", prune_acknowledgements,
                      daily_at=PRUNE_ACKNOWLEDGEMENTS_AT)


def imap_mailboxes() -> dict[str, dict[str, Any]]:
    """One fetch per active mailbox with an IMAP host, keyed by mailbox id: a mailbox that is
    deactivated or loses its host is simply not fetched any more."""
    ids = Mailbox.objects.filter(active=True).exclude(imap_host="").values_list("pk", flat=True)
    return {str(pk): {"mailbox_id": pk} for pk in ids}


@task(queue_name="mail")
def sweep_mail_queues() -> dict[str, int]:
    """Wake the queues of raw and outbound mail if rows wait with no job to take them."""
    requeued = ensure_mail_sending()
    return {"processing_queued": int(ensure_mail_processing()), "sending_requeued": requeued}


@task(queue_name="mail")
def prune_acknowledgements() -> int:
    """The acknowledgement rate limit looks back one hour: older rows only take room."""
    deleted, _kinds = AcknowledgementLog.objects.filter(
        sent_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


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
    """Queue processing if raw messages are pending (left by a crash, or stored by hand) and no
    job is waiting for them; returns whether a job was queued."""
    if RawMessage.objects.filter(state=RawMessage.State.PENDING).exists():
        return schedule_mail_processing()
    return False


def ensure_mail_sending() -> int:
    """Put back outbound mail a dead sender left, and make sure queued mail has a job. Returns
    how many messages were put back."""
    from heedful.mail.outbound import requeue_stale_sending
    from heedful.mail.tasks import send_queued_mail

    requeued = requeue_stale_sending()
    if OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).exists():
        schedule_job(send_queued_mail)
    return requeued
