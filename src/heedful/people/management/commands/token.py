from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedful.people.models import Agent
from heedful.people.tokens import issue_token


class Command(BaseCommand):
    help = "Issue a new API token for an agent and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        agent = Agent.objects.filter(user__username__iexact=email.strip()).first()
        if agent is None:
            raise CommandError(
                f"No agent with e-mail {email}: create one with `heedful createadmin --email "
                f"{email} --password ...` or in the admin site."
            )
        self.stdout.write(issue_token(agent=agent, name=name))
