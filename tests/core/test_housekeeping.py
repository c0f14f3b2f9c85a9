"""Daily housekeeping: old job records and spent rate-limit rows go; recent ones stay; the job
keeps itself scheduled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.core.housekeeping import ensure_housekeeping, housekeeping, prune
from heedful.mail.models import AcknowledgementLog
from heedful.mail.tasks import process_pending_mail

pytestmark = pytest.mark.django_db


def finished_job(days_ago: float, status: str = "SUCCESSFUL") -> DBTaskResult:
    result = process_pending_mail.enqueue()
    when = timezone.now() - timedelta(days=days_ago)
    DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=when, started_at=when)
    return DBTaskResult.objects.get(pk=result.id)


def test_old_finished_jobs_and_spent_rate_limit_rows_are_deleted(settings):
    settings.TASK_RESULTS_KEEP_DAYS = 14
    old, recent = finished_job(20), finished_job(2)
    old_failure, recent_failure = finished_job(40, "FAILED"), finished_job(20, "FAILED")
    waiting = process_pending_mail.enqueue()
    AcknowledgementLog.objects.create(address="old@example.org")
    AcknowledgementLog.objects.update(sent_at=timezone.now() - timedelta(days=2))
    AcknowledgementLog.objects.create(address="new@example.org")

    assert prune() == {"task_results": 2, "acknowledgement_logs": 1}
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {str(recent.pk), str(recent_failure.pk), str(waiting.id)}
    assert str(old.pk) not in left and str(old_failure.pk) not in left
    assert list(AcknowledgementLog.objects.values_list("address", flat=True)) == ["new@example.org"]


def test_the_job_schedules_its_next_run_a_day_later():
    housekeeping.call()
    [next_run] = DBTaskResult.objects.filter(task_path=housekeeping.module_path, status="READY")
    assert timedelta(hours=23) < next_run.run_after - timezone.now() <= timedelta(days=1)


def test_worker_start_queues_housekeeping_once():
    assert ensure_housekeeping()
    assert not ensure_housekeeping()
    assert DBTaskResult.objects.filter(task_path=housekeeping.module_path).count() == 1
