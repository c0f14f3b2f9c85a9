from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heedful.core.sequences import reserve
from heedful.people.tokens import agent_for_token

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_token_prints_a_working_api_token():
    run("createadmin", "--email", "boss@example.com", "--password", "s3cret-Pass!")
    token = run("token", "--email", "boss@example.com").strip()
    assert agent_for_token(token).user.username == "boss@example.com"


def test_token_for_unknown_agent_says_what_to_run():
    with pytest.raises(CommandError, match="createadmin"):
        run("token", "--email", "nobody@example.com")


def test_check_reports_every_component():
    output = run("heedful_check")
    for name in ("database", "migrations", "cache", "storage", "tasks"):
        assert name in output


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_sequence_hands_out_consecutive_blocks():
    first = reserve("test", 3)
    second = reserve("test", 2)
    assert list(first) + list(second) == list(range(first.start, first.start + 5))
