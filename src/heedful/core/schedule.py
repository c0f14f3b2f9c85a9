"""Periodic jobs in one registry, driven by the workers: one run per period across all of them.

An app registers its jobs in its `AppConfig.ready()`; the core never imports the apps:

    register_periodic("core.housekeeping", housekeeping, daily_at=time(3, 0))
    register_periodic("mail.fetch_mailbox", fetch_mailbox, every=timedelta(seconds=60),
                      instances=imap_mailboxes)   # one run per mailbox and period

Every worker calls `run_due()` every few seconds (`heedful worker` starts a `Ticker` thread for
it). A job's period is a slot of its interval counted from the Unix epoch, so that every worker
agrees on it, or the day since its daily time last came in settings.TIME_ZONE. A worker claims a
period by moving `PeriodicJob.last_period_start` forward with a compare-and-set UPDATE and
enqueues the task in the same transaction: only the worker whose UPDATE changed the row runs
it, and a crash before the commit drops the claim with the job, so the next tick claims the
period again. A period missed while no worker ran is caught up once, not once per missed period;
a run whose previous run has not finished yet waits for it instead of piling up behind it.
See docs/decisions/0007-scheduled-work-registry.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks.base import Task

from heedful.core.models import PeriodicJob

logger = logging.getLogger(__name__)

TICK_SECONDS = 5.0  # how late a run may start after its period begins
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Instances = Callable[[], Mapping[str, Mapping[str, Any]]]
"""Returns the runs a job has right now, by key (e.g. one per mailbox), each with its task's
keyword arguments; each key has its own period and its own row."""


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task[..., Any]
    every: timedelta | None = None
    daily_at: time | None = None
    queue: str | None = None
    instances: Instances | None = None

    def period_start(self, now: datetime) -> datetime:
        """When the period that `now` falls in began."""
        if self.every is not None:
            return EPOCH + (now - EPOCH) // self.every * self.every
        return max(at for at in self._daily_times_around(now) if at <= now)

    def next_due(self, now: datetime) -> datetime:
        """When the period after the one `now` falls in begins."""
        if self.every is not None:
            return self.period_start(now) + self.every
        return min(at for at in self._daily_times_around(now) if at > now)

    def _daily_times_around(self, now: datetime) -> list[datetime]:
        assert self.daily_at is not None
        zone = timezone.get_default_timezone()
        today = now.astimezone(zone).date()
        # With fold=0, a time the clocks skip in spring comes as late as the jump (02:30 is
        # 03:30 that day) and a time that happens twice in autumn counts the first time.
        return [datetime.combine(today + timedelta(days=days), self.daily_at, tzinfo=zone).astimezone(UTC)
                for days in range(-2, 3)]

    def describe(self) -> str:
        if self.daily_at is not None:
            return _("daily at %(time)s (%(zone)s)") % {
                "time": self.daily_at.strftime("%H:%M"), "zone": settings.TIME_ZONE}
        assert self.every is not None
        seconds = int(self.every.total_seconds())
        if seconds % 3600 == 0:
            return _("every %(hours)s h") % {"hours": seconds // 3600}
        if seconds % 60 == 0:
            return _("every %(minutes)s min") % {"minutes": seconds // 60}
        return _("every %(seconds)s s") % {"seconds": seconds}

    @property
    def queue_name(self) -> str:
        return self.queue or self.task.queue_name

    def runs(self) -> dict[str, Mapping[str, Any]]:
        """The name of each run's row, with the keyword arguments of its task."""
        if self.instances is None:
            return {self.name: {}}
        return {f"{self.name}[{key}]": kwargs for key, kwargs in self.instances().items()}


_registry: dict[str, Periodic] = {}


def register_periodic(
    name: str,
    task: Task[..., Any],
    *,
    every: timedelta | None = None,
    daily_at: time | None = None,
    queue: str | None = None,
    instances: Instances | None = None,
) -> None:
    """Run `task` once per period: every `every`, or daily at `daily_at` (a time of day in
    settings.TIME_ZONE, kept across daylight saving changes). `queue` overrides the task's own
    queue; `instances` makes one run per key and period (see `Instances`). Registering a name
    again replaces it, so a second `ready()` is harmless."""
    if (every is None) == (daily_at is None):
        raise ValueError(f"periodic job {name!r}: give either every= or daily_at=, not both or none")
    if every is not None and every < timedelta(seconds=1):
        raise ValueError(f"periodic job {name!r}: every= must be at least one second")
    if daily_at is not None and daily_at.tzinfo is not None:
        raise ValueError(f"periodic job {name!r}: daily_at= is a time in settings.TIME_ZONE; "
                         "pass it without tzinfo")
    if not name or "[" in name:
        raise ValueError(f"periodic job {name!r}: the name must not be empty nor contain '['")
    _registry[name] = Periodic(name, task, every=every, daily_at=daily_at, queue=queue,
                               instances=instances)


def registered() -> list[Periodic]:
    return [_registry[name] for name in sorted(_registry)]


@dataclass(frozen=True)
class _Run:
    job: Periodic
    name: str
    kwargs: Mapping[str, Any]


def _planned_runs() -> list[_Run]:
    runs: list[_Run] = []
    for job in registered():
        try:
            found = job.runs()
        except Exception:  # one app's broken look-up must not stop the others' jobs
            logger.exception("periodic job %s: could not list its runs", job.name)
            continue
        runs.extend(_Run(job, name, kwargs) for name, kwargs in found.items())
    return runs


def _rows(names: list[str]) -> dict[str, PeriodicJob]:
    rows = {row.name: row for row in PeriodicJob.objects.filter(name__in=names)}
    missing = [name for name in names if name not in rows]
    if missing:
        # Another worker may insert the same rows at the same time: the unique name settles it.
        PeriodicJob.objects.bulk_create([PeriodicJob(name=name) for name in missing],
                                        ignore_conflicts=True)
        rows.update({row.name: row for row in PeriodicJob.objects.filter(name__in=missing)})
    return rows


def run_due(*, now: datetime | None = None) -> list[str]:
    """Start every run whose period has begun and that no worker has started for it yet.
    Returns the names of the runs this call started. Safe to call from any number of workers
    at once: one read for all jobs, and writes only for runs that are due."""
    now = now or timezone.now()
    runs = _planned_runs()
    rows = _rows([run.name for run in runs])
    started = []
    for run in runs:
        row = rows[run.name]
        period = run.job.period_start(now)
        if row.last_period_start is not None and row.last_period_start >= period:
            continue
        if _still_going(row.last_task_id):
            continue
        try:
            if _claim_and_enqueue(row, run, period, now):
                started.append(run.name)
        except Exception:  # its claim rolled back with it; the next tick tries again
            logger.exception("periodic job %s could not be queued", run.name)
    return started


def _still_going(task_id: Any) -> bool:
    """Whether the previous run is waiting or running. A run left RUNNING longer than
    TASK_STALE_SECONDS belonged to a worker that died (docs/decisions/0005) and does not count."""
    if task_id is None:
        return False
    alive_since = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(pk=task_id).filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=alive_since)).exists()


def _claim_and_enqueue(row: PeriodicJob, run: _Run, period: datetime, now: datetime) -> bool:
    with transaction.atomic():
        # Compare-and-set: on PostgreSQL a second worker's UPDATE waits for this row's lock,
        # then finds the period taken and changes nothing.
        claimed = PeriodicJob.objects.filter(pk=row.pk).filter(
            Q(last_period_start__isnull=True) | Q(last_period_start__lt=period),
        ).update(last_period_start=period, last_enqueued_at=now)
        if not claimed:
            return False
        task = run.job.task if run.job.queue is None else run.job.task.using(queue_name=run.job.queue)
        result = task.enqueue(**run.kwargs)
        PeriodicJob.objects.filter(pk=row.pk).update(last_task_id=result.id)
    return True


@dataclass(frozen=True)
class JobStatus:
    name: str
    period: str
    queue: str
    last_run_at: datetime | None
    last_status: str  # the task's status, "" when it never ran or its record was pruned
    next_due: datetime | None  # None: due now (waiting for a worker, or for its previous run)


def schedule_overview(*, now: datetime | None = None) -> list[JobStatus]:
    """Every registered run with its period, last run and next due time, for `heedful
    schedule` and the admins. Reads only."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    runs = _planned_runs()
    rows = {row.name: row for row in PeriodicJob.objects.filter(name__in=[run.name for run in runs])}
    task_ids = [row.last_task_id for row in rows.values() if row.last_task_id is not None]
    statuses = dict(DBTaskResult.objects.filter(pk__in=task_ids).values_list("pk", "status"))
    overview = []
    for run in runs:
        row = rows.get(run.name)
        done = row is not None and row.last_period_start is not None and (
            row.last_period_start >= run.job.period_start(now))
        overview.append(JobStatus(
            name=run.name, period=run.job.describe(), queue=run.job.queue_name,
            last_run_at=row.last_enqueued_at if row else None,
            last_status=str(statuses.get(row.last_task_id, "")) if row and row.last_task_id else "",
            next_due=run.job.next_due(now) if done else None,
        ))
    return overview


class Ticker(threading.Thread):
    """Calls run_due() every `interval` seconds beside the worker's task loop, on a database
    connection of its own, until stopped. A failed tick is logged and tried again."""

    def __init__(self, interval: float = TICK_SECONDS) -> None:
        super().__init__(name="heedful-schedule", daemon=True)
        self.interval = interval
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                close_old_connections()
                try:
                    run_due()
                except Exception:
                    logger.exception("the scheduler tick failed; trying again in %s s", self.interval)
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
