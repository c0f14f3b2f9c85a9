from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heedful.core.diagnostics import run_diagnostics


class Command(BaseCommand):
    help = "Report configuration and connectivity: database, migrations, cache, storage, tasks."

    def handle(self, *args: Any, **options: Any) -> None:
        results = run_diagnostics()
        width = max(len(r.name) for r in results)
        for result in results:
            mark = "ok  " if result.ok else "FAIL"
            self.stdout.write(f"{mark} {result.name.ljust(width)}  {result.detail}")
        self.stdout.write(f"data dir: {settings.DATA_DIR}")
        failed = [r for r in results if not r.ok]
        if failed:
            raise CommandError(f"{len(failed)} check(s) failed: " + "; ".join(
                f"{r.name}: {r.hint}" for r in failed))
