"""Daily housekeeping: old job records go, recent and waiting ones stay; the job is on the
schedule daily at its local time, once a day however many workers tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.core.housekeeping import housekeeping, prune
from heedful.core.schedule import run_due
from heedful.mail.tasks import process_pending_mail

pytestmark = pytest.mark.django_db


def finished_job(days_ago: float, status: str = "SUCCESSFUL") -> DBTaskResult:
    result = process_pending_mail.enqueue()
    when = timezone.now() - timedelta(days=days_ago)
    DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=when, started_at=when)
    return DBTaskResult.objects.get(pk=result.id)


def test_old_finished_jobs_are_deleted_and_failed_ones_kept_twice_as_long(settings):
    settings.TASK_RESULTS_KEEP_DAYS = 14
    old, recent = finished_job(20), finished_job(2)
    old_failure, recent_failure = finished_job(40, "FAILED"), finished_job(20, "FAILED")
    waiting = process_pending_mail.enqueue()

    assert prune() == {"task_results": 2}
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {str(recent.pk), str(recent_failure.pk), str(waiting.id)}
    assert str(old.pk) not in left and str(old_failure.pk) not in left


def housekeeping_runs() -> int:
    return DBTaskResult.objects.filter(task_path=housekeeping.module_path).count()


def test_housekeeping_runs_once_a_day_at_three_in_the_desks_time_zone(settings, run_tasks):
    settings.TIME_ZONE = "Asia/Vientiane"  # UTC+7: 03:00 there is 20:00 UTC the day before
    assert "core.housekeeping" in run_due(now=datetime(2030, 1, 1, 20, 0, tzinfo=UTC))
    run_tasks()
    assert DBTaskResult.objects.get(task_path=housekeeping.module_path).status == "SUCCESSFUL"
    assert "core.housekeeping" not in run_due(now=datetime(2030, 1, 2, 19, 59, tzinfo=UTC))
    assert "core.housekeeping" in run_due(now=datetime(2030, 1, 2, 20, 0, tzinfo=UTC))
    assert housekeeping_runs() == 2


def test_a_second_worker_on_the_same_day_does_not_run_housekeeping_again(run_tasks):
    noon = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert "core.housekeeping" in run_due(now=noon)
    run_tasks()
    assert "core.housekeeping" not in run_due(now=noon + timedelta(hours=1))
    assert housekeeping_runs() == 1
