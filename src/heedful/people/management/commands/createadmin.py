from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedful.core.errors import HeedfulError
from heedful.people.actions import create_agent
from heedful.people.models import Agent


class Command(BaseCommand):
    help = "Create an admin agent without prompting (or reset an existing admin's password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, email: str, password: str, name: str, **options: Any) -> None:
        existing = Agent.objects.select_related("user").filter(user__username__iexact=email.strip()).first()
        if existing is not None:
            existing.user.set_password(password)
            existing.user.is_staff = existing.user.is_superuser = True
            existing.user.save()
            existing.role = Agent.Role.ADMIN
            existing.save(update_fields=["role"])
            self.stdout.write(f"Updated admin {existing.user.username}")
            return
        try:
            agent = create_agent(email=email, password=password, display_name=name,
                                 role=Agent.Role.ADMIN)
        except HeedfulError as error:
            raise CommandError(f"{error.message} {error.fields or ''}".strip()) from None
        self.stdout.write(f"Created admin {agent.user.username}")
