from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Mail intake: `mail serve` runs the SMTP/LMTP server; `mail fetch [--watch]` polls IMAP."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="run the SMTP (or LMTP) intake server")
        serve.add_argument("--host", default=None)
        serve.add_argument("--port", type=int, default=None)
        fetch = sub.add_parser("fetch", help="fetch new mail from every IMAP mailbox")
        fetch.add_argument("--watch", action="store_true", help="keep polling")
        fetch.add_argument("--mailbox", type=int, default=None, help="only this mailbox id")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "serve":
            self._serve(options["host"], options["port"])
        else:
            self._fetch(options["watch"], options["mailbox"])

    def _serve(self, host: str | None, port: int | None) -> None:
        from heedful.mail.smtp_server import start_intake

        controller = start_intake(host, port if port is not None else settings.SMTP_PORT or 2525)
        if controller is None:
            raise CommandError("HEEDFUL_SMTP_PORT is 0: pass --port to choose one")
        self.stdout.write(f"Mail intake listening on {controller.hostname}:{controller.port}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()

    def _fetch(self, watch: bool, mailbox_id: int | None) -> None:
        from heedful.mail.imap import fetch_all

        while True:
            for line in fetch_all(mailbox_id=mailbox_id):
                self.stdout.write(line)
            if not watch:
                return
            time.sleep(settings.IMAP_POLL_SECONDS)
