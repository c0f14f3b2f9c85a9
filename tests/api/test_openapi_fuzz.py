"""Schemathesis drives every operation of our own OpenAPI document in-process, with valid and
invalid input, and the API must never answer 5xx. Bounded and derandomized so CI is stable."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from heedful.people.tokens import issue_token
from tests.factories import agent_reply, make_contact, make_ticket, upload


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Any:
    """The WSGI handler closes the connection after each request, which would end the test's
    transaction on PostgreSQL; Django's own test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db: None, supervisor: Any) -> str:
    # Something to find at small ids, so that not every operation answers 404.
    contact = make_contact(name="Fuzz Customer")
    ticket = make_ticket(requester=contact)
    agent_reply(ticket, supervisor, attachments=[upload()])
    return issue_token(agent=supervisor, name="fuzz")


# Loading the document needs no database: it is generated from the schemas' types.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True,
    allow_x00=True, database="none",
)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_a_server_error(case: Any, fuzz_token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"})
    case.validate_response(response, checks=[not_a_server_error])
