from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from heedful.core.errors import HeedfulError
from heedful.people.actions import set_up_admin


class Command(BaseCommand):
    help = "Create an admin agent without prompting (or reset an existing admin's password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, email: str, password: str, name: str, **options: Any) -> None:
        try:
            agent, created = set_up_admin(email=email, password=password, display_name=name)
        except HeedfulError as error:
            problems = [message for messages in error.fields.values() for message in messages]
            raise CommandError(" ".join([error.message, *problems])) from None
        line = _("Created admin %(email)s") if created else _("Updated admin %(email)s")
        self.stdout.write(line % {"email": agent.user.username})
