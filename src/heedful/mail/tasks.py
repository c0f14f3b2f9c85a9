"""Mail jobs for the worker."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="mail")
def process_pending_mail() -> dict[str, int]:
    """Record every pending raw message, a batch per transaction (intake queues this job when
    none is waiting, so one job serves any number of messages)."""
    from heedful.mail.processing import MORE, WAITING, process_pending
    from heedful.mail.scheduling import schedule_mail_processing

    outcomes = process_pending()
    if outcomes.get(MORE):
        schedule_mail_processing()  # behind whatever else is queued, then on with the rest
    elif outcomes.get(WAITING):
        # Some answer a message another worker was recording: look again in a moment.
        schedule_mail_processing(delay_seconds=1)
    return outcomes


@task(queue_name="mail")
def process_raw_message(raw_id: int) -> str:
    from heedful.mail.processing import process_raw

    return process_raw(raw_id)


@task(queue_name="mail")
def send_queued_mail() -> dict[str, int]:
    """Send every queued e-mail, a batch per SMTP connection (queued when none is waiting)."""
    from heedful.mail.outbound import MORE, schedule_sending, send_queued

    outcomes = send_queued()
    if outcomes.get(MORE):
        schedule_sending()  # behind whatever else is queued, then on with the rest
    return outcomes


@task(queue_name="mail")
def send_outbound_message(outbound_id: int) -> str:
    from heedful.mail.outbound import send

    return send(outbound_id)


@task(queue_name="mail")
def fetch_mailbox(mailbox_id: int) -> str:
    from heedful.mail.imap import fetch_mailbox_by_id

    # Queued once per mailbox and IMAP_POLL_SECONDS by the schedule (mail/scheduling.py).
    return fetch_mailbox_by_id(mailbox_id)
