"""The registry of periodic jobs: one run per period however many workers tick, intervals counted
from the epoch, daily times kept in local time across daylight saving changes, a run that waits
for its unfinished previous one, and the worker and `heedful schedule` driving and showing it."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from heedful.core import schedule
from heedful.core.models import PeriodicJob
from heedful.core.schedule import Ticker, register_periodic, run_due, schedule_overview
from tests.concurrency import wait_until_blocked

pytestmark = pytest.mark.django_db

ONE_PERIOD = timedelta(days=3650)  # the epoch-aligned slot 2019-12..2029-12: one period for a whole test


@task()
def record_run(label: str = "") -> str:
    return label


@pytest.fixture(autouse=True)
def jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only the jobs a test registers (the apps' own jobs are tested beside their apps)."""
    monkeypatch.setattr(schedule, "_registry", {})
    yield


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def runs() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=record_run.module_path).order_by("enqueued_at"))


# ------------------------------------------------------------------------------ intervals
def test_an_interval_job_starts_once_per_interval(run_tasks):
    register_periodic("test.every_ten_minutes", record_run, every=timedelta(minutes=10))
    assert run_due(now=utc("2030-01-01T12:00:05")) == ["test.every_ten_minutes"]
    run_tasks()
    assert run_due(now=utc("2030-01-01T12:09:59")) == []
    assert run_due(now=utc("2030-01-01T12:10:00")) == ["test.every_ten_minutes"]
    assert len(runs()) == 2


def test_a_second_worker_ticking_in_the_same_period_starts_nothing():
    register_periodic("test.hourly", record_run, every=timedelta(hours=1))
    assert run_due(now=utc("2030-01-01T12:00:01")) == ["test.hourly"]
    assert run_due(now=utc("2030-01-01T12:00:01")) == []
    assert len(runs()) == 1


def test_a_period_missed_while_no_worker_ran_is_caught_up_once(run_tasks):
    register_periodic("test.every_minute", record_run, every=timedelta(minutes=1))
    run_due(now=utc("2030-01-01T12:00:00"))
    run_tasks()
    # The workers were down for an hour: one run now, not sixty.
    assert run_due(now=utc("2030-01-01T13:00:30")) == ["test.every_minute"]
    run_tasks()
    assert run_due(now=utc("2030-01-01T13:00:45")) == []
    assert len(runs()) == 2


def test_a_run_waits_while_its_previous_run_has_not_finished():
    register_periodic("test.every_minute", record_run, every=timedelta(minutes=1))
    run_due(now=utc("2030-01-01T12:00:00"))
    assert run_due(now=utc("2030-01-01T12:01:00")) == []  # the first is still waiting
    [first] = runs()
    DBTaskResult.objects.filter(pk=first.pk).update(status="RUNNING", started_at=timezone.now())
    assert run_due(now=utc("2030-01-01T12:02:00")) == []  # and now running
    DBTaskResult.objects.filter(pk=first.pk).update(status="SUCCESSFUL", finished_at=timezone.now())
    assert run_due(now=utc("2030-01-01T12:02:30")) == ["test.every_minute"]


def test_a_run_left_running_by_a_dead_worker_does_not_stop_the_next_ones(settings):
    settings.TASK_STALE_SECONDS = 600
    register_periodic("test.every_minute", record_run, every=timedelta(minutes=1))
    run_due(now=utc("2030-01-01T12:00:00"))
    [first] = runs()
    DBTaskResult.objects.filter(pk=first.pk).update(
        status="RUNNING", started_at=timezone.now() - timedelta(hours=1))
    assert run_due(now=utc("2030-01-01T12:01:00")) == ["test.every_minute"]


def test_each_instance_of_a_job_has_its_own_period(run_tasks):
    mailboxes = {"1": {"label": "one"}, "2": {"label": "two"}}
    register_periodic("test.per_mailbox", record_run, every=timedelta(minutes=1),
                      instances=lambda: dict(mailboxes))
    assert run_due(now=utc("2030-01-01T12:00:00")) == ["test.per_mailbox[1]", "test.per_mailbox[2]"]
    assert sorted(r.args_kwargs["kwargs"]["label"] for r in runs()) == ["one", "two"]
    run_tasks()
    mailboxes["3"] = {"label": "three"}  # a mailbox added meanwhile starts at once
    assert run_due(now=utc("2030-01-01T12:00:30")) == ["test.per_mailbox[3]"]
    del mailboxes["1"]  # and one removed is not run any more
    run_tasks()
    assert run_due(now=utc("2030-01-01T12:01:00")) == ["test.per_mailbox[2]", "test.per_mailbox[3]"]


def test_a_job_that_cannot_be_queued_keeps_its_period_unclaimed_and_the_others_still_run():
    register_periodic("test.broken", record_run, every=timedelta(minutes=1), queue="no-such-queue")
    register_periodic("test.fine", record_run, every=timedelta(minutes=1))
    assert run_due(now=utc("2030-01-01T12:00:00")) == ["test.fine"]
    broken = PeriodicJob.objects.get(name="test.broken")
    assert broken.last_period_start is None and broken.last_task_id is None  # rolled back together
    assert len(runs()) == 1


def test_the_task_runs_on_the_queue_the_job_names():
    register_periodic("test.on_mail", record_run, every=timedelta(minutes=1), queue="mail")
    run_due(now=utc("2030-01-01T12:00:00"))
    assert [r.queue_name for r in runs()] == ["mail"]


# --------------------------------------------------------------------------- daily times
def test_a_daily_job_keeps_its_local_time_when_clocks_go_forward(settings, run_tasks):
    settings.TIME_ZONE = "Europe/Berlin"  # 2025-03-30 02:00 CET -> 03:00 CEST
    register_periodic("test.daily", record_run, daily_at=time(3, 0))
    assert run_due(now=utc("2025-03-29T02:00:00")) == ["test.daily"]  # 03:00 CET
    run_tasks()
    assert run_due(now=utc("2025-03-30T00:59:00")) == []  # 01:59 CET: not yet that day
    assert run_due(now=utc("2025-03-30T01:00:00")) == ["test.daily"]  # 03:00 CEST, 23 h later
    job = schedule.registered()[0]
    assert job.next_due(utc("2025-03-30T01:00:00")) == utc("2025-03-31T01:00:00")


def test_a_daily_time_that_happens_twice_when_clocks_go_back_runs_once(settings, run_tasks):
    settings.TIME_ZONE = "Europe/Berlin"  # 2025-10-26 03:00 CEST -> 02:00 CET
    register_periodic("test.daily", record_run, daily_at=time(2, 30))
    assert run_due(now=utc("2025-10-26T00:30:00")) == ["test.daily"]  # 02:30 CEST
    run_tasks()
    assert run_due(now=utc("2025-10-26T01:30:00")) == []  # 02:30 CET, the same local time again
    assert run_due(now=utc("2025-10-27T01:29:00")) == []
    assert run_due(now=utc("2025-10-27T01:30:00")) == ["test.daily"]  # 02:30 CET, 25 h later


def test_a_daily_time_the_clocks_skip_runs_as_late_as_the_jump_that_day(settings, run_tasks):
    settings.TIME_ZONE = "Europe/Berlin"
    register_periodic("test.daily", record_run, daily_at=time(2, 30))
    assert run_due(now=utc("2025-03-29T01:30:00")) == ["test.daily"]  # 02:30 CET
    run_tasks()
    assert run_due(now=utc("2025-03-30T01:00:00")) == []  # 03:00 CEST: 02:30 never came
    assert run_due(now=utc("2025-03-30T01:30:00")) == ["test.daily"]  # 03:30 CEST


def test_a_job_needs_exactly_one_kind_of_period():
    with pytest.raises(ValueError, match="either every= or daily_at="):
        register_periodic("test.none", record_run)
    with pytest.raises(ValueError, match="either every= or daily_at="):
        register_periodic("test.both", record_run, every=timedelta(hours=1), daily_at=time(3))
    with pytest.raises(ValueError, match="without tzinfo"):
        register_periodic("test.aware", record_run, daily_at=time(3, tzinfo=UTC))
    assert schedule.registered() == []


# ------------------------------------------------------------------- several workers at once
def _postgresql_only() -> None:
    # SQLite runs one writer at a time, so its workers cannot race; the sequential test above
    # covers it.
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL runs workers side by side")


@pytest.mark.django_db(transaction=True)
def test_four_workers_ticking_at_the_same_moment_start_one_run():
    _postgresql_only()
    register_periodic("test.every_minute", record_run, every=timedelta(minutes=1))
    barrier = threading.Barrier(4)
    started: list[list[str]] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=30)
            started.append(run_due(now=utc("2030-01-01T12:00:00")))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(started) == [[], [], [], ["test.every_minute"]]
    assert len(runs()) == 1




@pytest.mark.django_db(transaction=True)
def test_a_worker_that_reads_the_period_as_free_while_another_claims_it_starts_nothing():
    _postgresql_only()
    register_periodic("test.every_minute", record_run, every=timedelta(minutes=1))
    PeriodicJob.objects.create(name="test.every_minute")
    now = utc("2030-01-01T12:00:00")
    claimed, release = threading.Event(), threading.Event()
    started: dict[str, list[str]] = {}

    def first_worker() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():  # its claim and its job stay uncommitted until released
                started["first"] = run_due(now=now)
                claimed.set()
                release.wait(timeout=30)
        finally:
            claimed.set()
            connection.close()

    def second_worker() -> None:
        try:
            started["second"] = run_due(now=now)  # reads the old row, then waits on its lock
        finally:
            connection.close()

    first = threading.Thread(target=first_worker)
    first.start()
    assert claimed.wait(timeout=30)
    second = threading.Thread(target=second_worker)
    second.start()
    waited = wait_until_blocked()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert waited, "the second worker never reached its compare-and-set"
    assert started == {"first": ["test.every_minute"], "second": []}
    assert len(runs()) == 1


# ------------------------------------------------------------------------------ the worker
@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_worker_batch_starts_the_due_jobs_and_runs_them_once():
    register_periodic("test.long_period", record_run, every=ONE_PERIOD)
    call_command("heedful_worker", batch=True, interval=0, verbosity=0)
    assert [r.status for r in runs()] == ["SUCCESSFUL"]
    call_command("heedful_worker", batch=True, interval=0, verbosity=0)
    assert len(runs()) == 1


@pytest.mark.django_db(transaction=True)  # the ticker has a database connection of its own
def test_the_ticker_starts_due_jobs_beside_the_task_loop():
    register_periodic("test.long_period", record_run, every=ONE_PERIOD)
    ticker = Ticker(interval=0.01)
    ticker.start()
    try:
        for _attempt in range(500):
            if runs():
                break
            threading.Event().wait(0.02)
    finally:
        ticker.stop()
        ticker.join(timeout=30)
    assert not ticker.is_alive()
    assert len(runs()) == 1


def test_the_scheduler_and_the_worker_import_no_app():
    core = Path(schedule.__file__).parent
    for path in (core / "schedule.py", core / "housekeeping.py",
                 core / "management" / "commands" / "heedful_worker.py",
                 core / "management" / "commands" / "schedule.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        apps = {name for name in imported if name.startswith("heedful.")
                and not name.startswith(("heedful.core", "heedful.config"))}
        assert apps == set(), f"{path.name} imports {apps}"


# ------------------------------------------------------------------------- what ops see
def test_the_overview_says_when_each_job_last_ran_and_is_next_due():
    register_periodic("test.hourly", record_run, every=timedelta(hours=1))
    register_periodic("test.daily", record_run, daily_at=time(3, 0))
    now = utc("2030-01-01T12:20:00")
    run_due(now=now)
    PeriodicJob.objects.filter(name="test.daily").delete()  # as if it had never run
    hourly, daily = sorted(schedule_overview(now=now), key=lambda job: job.name, reverse=True)
    assert (hourly.name, hourly.period, hourly.queue) == ("test.hourly", "every 1 h", "default")
    assert hourly.last_run_at == now and hourly.last_status == "READY"
    assert hourly.next_due == utc("2030-01-01T13:00:00")
    assert (daily.name, daily.period) == ("test.daily", "daily at 03:00 (UTC)")
    assert daily.last_run_at is None and daily.last_status == "" and daily.next_due is None


def test_schedule_command_lists_each_job_with_its_period_last_run_and_next_due():
    register_periodic("test.every_ten_minutes", record_run, every=timedelta(minutes=10))
    register_periodic("test.daily", record_run, daily_at=time(3, 0))
    run_due()
    PeriodicJob.objects.filter(name="test.daily").delete()
    out = StringIO()
    call_command("schedule", stdout=out)
    header, *lines = out.getvalue().splitlines()
    assert header.split() == ["job", "period", "queue", "last", "run", "next", "due"]
    daily, ten_minutes = sorted(lines)
    assert daily.split()[:5] == ["test.daily", "daily", "at", "03:00", "(UTC)"]
    assert "never" in daily and daily.endswith("now")
    assert ten_minutes.split()[:4] == ["test.every_ten_minutes", "every", "10", "min"]
    assert "(ready)" in ten_minutes and not ten_minutes.endswith("now")
