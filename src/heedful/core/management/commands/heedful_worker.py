from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run background tasks from every queue. Start as many workers as you need."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queues, or * for all")
        parser.add_argument("--batch", action="store_true",
                            help="run what is due now, then exit")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "db_worker", queue_name=options["queues"], batch=options["batch"],
            interval=options["interval"], reload=False, verbosity=options["verbosity"],
        )
