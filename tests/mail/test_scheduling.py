"""The mail app's periodic jobs: a sweep every minute wakes the queues of raw and outbound mail
that no job serves (after a crash), and the acknowledgement log is pruned daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.core.schedule import registered, run_due
from heedful.mail.intake import accept_raw
from heedful.mail.models import AcknowledgementLog, OutboundMessage, RawMessage
from heedful.mail.scheduling import prune_acknowledgements, sweep_mail_queues
from heedful.mail.tasks import process_pending_mail, send_queued_mail
from tests.factories import agent_reply, make_agent, make_ticket
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db


def waiting(task: object) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY").count()  # type: ignore[attr-defined]


def test_the_mail_jobs_are_on_the_schedule():
    periods = {job.name: job.describe() for job in registered()}
    assert periods["mail.sweep_queues"] == "every 1 min"
    assert periods["mail.prune_acknowledgements"] == "daily at 03:00 (UTC)"
    assert periods["mail.fetch_mailbox"] == "every 1 min"  # HEEDFUL_IMAP_POLL_SECONDS


def test_the_sweep_wakes_processing_of_raw_mail_left_without_a_job(run_tasks):
    record = accept_raw(raw_mail(), via=RawMessage.Via.HTTP).raw
    DBTaskResult.objects.all().delete()  # as after a crash: pending mail, no job
    assert "mail.sweep_queues" in run_due(now=datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
    run_tasks()
    record.refresh_from_db()
    assert record.state == RawMessage.State.PROCESSED


def test_the_sweep_queues_sending_of_outbound_mail_left_without_a_job():
    reply = agent_reply(make_ticket(), make_agent(), body="On it.")
    assert OutboundMessage.objects.get(event=reply).state == OutboundMessage.State.QUEUED
    DBTaskResult.objects.all().delete()
    sweep_mail_queues.call()
    assert waiting(send_queued_mail) == 1
    sweep_mail_queues.call()  # one is waiting already: no second
    assert waiting(send_queued_mail) == 1


def test_the_sweep_queues_nothing_when_nothing_waits():
    assert sweep_mail_queues.call() == {"processing_queued": 0, "sending_requeued": 0}
    assert waiting(process_pending_mail) == waiting(send_queued_mail) == 0


def test_acknowledgement_log_rows_older_than_a_day_are_pruned():
    AcknowledgementLog.objects.create(address="old@example.org")
    AcknowledgementLog.objects.update(sent_at=timezone.now() - timedelta(days=2))
    AcknowledgementLog.objects.create(address="new@example.org")
    assert prune_acknowledgements.call() == 1
    assert list(AcknowledgementLog.objects.values_list("address", flat=True)) == ["new@example.org"]
