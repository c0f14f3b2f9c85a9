from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from heedful.demo.generate import Summary, generate
from heedful.tickets.models import Ticket


class Command(BaseCommand):
    help = "Fill the database with a demo help desk: agents, customers and tickets in six languages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="tickets to add (default 200)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same demo (default 1)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the database already holds tickets")

    def handle(self, *args: Any, tickets: int, seed: int, if_empty: bool, **options: Any) -> None:
        if tickets < 0:
            raise CommandError(_("--tickets must be zero or more."))
        try:
            has_tickets = Ticket.objects.exists()
        except DatabaseError:
            raise CommandError(_("The database is not migrated: run `heedful migrate` first.")) from None
        if if_empty and has_tickets:
            self.stdout.write(_("The database already holds tickets; the demo adds nothing (--if-empty)."))
            return
        summary = generate(tickets=tickets, seed=seed, progress=self._progress)
        self._report(summary)

    def _progress(self, done: int, total: int) -> None:
        end = "\n" if done >= total or not self.stderr.isatty() else "\r"
        self.stderr.write(_("demo: %(percent)d%% (%(done)d of %(total)d tickets)") % {
            "percent": 100 * done // max(total, 1), "done": done, "total": total}, ending=end)
        self.stderr.flush()

    def _report(self, s: Summary) -> None:
        write = self.stdout.write
        numbers = f" (#{s.first_number} to #{s.last_number})" if s.first_number is not None else ""
        write(_("Demo ready: %(tickets)d tickets%(numbers)s, %(events)d events, %(contacts)d customers "
                "(%(new)d new) in %(seconds).1f s.") % {
            "tickets": s.tickets, "numbers": numbers, "events": s.events, "contacts": s.contacts,
            "new": s.contacts_created, "seconds": s.seconds})
        write("")
        write(_("Agents sign in at %(url)s/login/ with the password %(password)s:") % {
            "url": settings.BASE_URL, "password": s.password})
        for person in s.sign_ins:
            note = "" if person.password_works else "  " + _("(existing account: password unchanged)")
            write(f"  {person.email:<32} {person.role:<11} {person.name}{note}")
        write("")
        write(_("Customers sign in at %(url)s/portal/ with a link sent by e-mail; with the default "
                "console e-mail backend the link is printed in the server's log.")
              % {"url": settings.BASE_URL})
        if s.sample_customer_email:
            write(_("Try the customer %(email)s.") % {"email": s.sample_customer_email})
