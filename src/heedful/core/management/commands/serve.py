from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from heedful.core.maintenance import refresh_planner_statistics
from heedful.core.services import services


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM when `serve` dies, even by a signal that skips our cleanup
    (uvicorn re-raises SIGTERM/SIGINT after its own shutdown)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Run the help desk: ASGI web server plus an in-process task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="web server processes")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start a task worker (run `heedful worker` elsewhere)")
        parser.add_argument("--no-migrate", action="store_true",
                            help="do not apply pending migrations first")
        parser.add_argument("--demo-if-empty", action="store_true",
                            help="create demo data when the database has no tickets")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        refresh_planner_statistics()
        if options["demo_if_empty"]:
            call_command("demo", if_empty=True, stdout=self.stdout)
        worker = None
        if not options["no_worker"]:
            # A separate process, so a slow job never stalls a web request.
            worker = subprocess.Popen(
                [sys.executable, "-m", "heedful.cli", "worker"], preexec_fn=_die_with_parent,
            )
        running = []
        for service in services():
            started = service.start()
            if started is not None:
                running.append(started[0])
                self.stdout.write(started[1])
        self.stdout.write(
            f"Heedful is serving on http://{options['host']}:{options['port']}/ "
            f"(data in {settings.DATA_DIR}). Stop with Ctrl-C."
        )
        try:
            uvicorn.run(
                "heedful.config.asgi:application", host=options["host"], port=options["port"],
                workers=options["workers"], log_level="info", proxy_headers=True,
                lifespan="off",
            )
        finally:
            for handle in reversed(running):
                handle.stop()
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
