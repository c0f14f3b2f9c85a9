from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.schedule import schedule_overview


def _when(moment: datetime | None, empty: str) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else empty


class Command(BaseCommand):
    help = "List the periodic jobs the workers run: each one's period, last run and next due time."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            jobs = schedule_overview()
        except DatabaseError as problem:
            raise CommandError(f"cannot read the schedule ({problem}): is the database migrated? "
                               "Run `heedful migrate`.") from None
        rows = [(_("job"), _("period"), _("queue"), _("last run"), _("next due"))]
        for job in jobs:
            last = _when(job.last_run_at, _("never"))
            if job.last_status:
                last += f" ({job.last_status.lower()})"
            rows.append((job.name, job.period, job.queue, last, _when(job.next_due, _("now"))))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                              .rstrip())
