"""The `heedful` command. Every subcommand is a Django management command; a few are renamed
so that users meet plain words (`heedful check` is the configuration and connectivity report,
not Django's system check, which stays reachable as `heedful django-check`)."""

from __future__ import annotations

import os
import sys

ALIASES = {"check": "heedful_check", "django-check": "check", "worker": "heedful_worker"}
USAGE = """usage: heedful <command> [options]

commands:
  serve        run the help desk (web server + task worker) on --host/--port
  worker       run background tasks (start as many as you like)
  schedule     list the periodic jobs: period, last run, next due
  migrate      create or upgrade the database
  demo         fill the database with demo data (--tickets N --seed S)
  createadmin  create an admin agent (--email E --password P)
  token        print a new API token for an agent (--email E)
  check        report configuration and connectivity

Run `heedful <command> --help` for the options of one command.
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heedful.config.settings")
    if len(args) < 2 or args[1] in {"-h", "--help", "help"}:
        sys.stdout.write(USAGE)
        return
    args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["heedful", *args[1:]])


if __name__ == "__main__":
    main()
