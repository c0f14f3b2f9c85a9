"""Schemathesis drives every operation of our own OpenAPI document in-process, with valid and
invalid input: the API must never answer 5xx, and what it answers must match the document.
Bounded and derandomized so CI is stable.

Each operation is its own collected test item, parametrized here from the document. Under
pytest 9, `@schema.parametrize()` gives all operations one node id, and `pytest -n 2` (xdist)
then ran one operation of all of them, so CI did not guard the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from heedful.people.actions import create_organization
from heedful.people.tokens import issue_token
from tests.factories import agent_reply, make_contact, make_ticket, upload

OPENAPI_PATH = "/api/v1/openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Per operation, valid and invalid input together: the whole file stays within a few minutes on
# two cores.
EXAMPLES_PER_OPERATION = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

# Loading the document needs no database: it is generated from the schemas' types.
schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, get_wsgi_application())
schema.config.generation.update(allow_x00=True, database="none")
OPERATIONS = {
    result.ok().label: result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)
}


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Any:
    """The WSGI handler closes the connection after each request, which would end the test's
    transaction on PostgreSQL; Django's own test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass(frozen=True)
class Fuzzing:
    token: str
    # Ids of rows that exist, by the first path segment after /api/v1/ ("tickets", ...), so that
    # a share of the cases reach the handler's work instead of its 404.
    ids: dict[str, int]

    def existing_path_parameters(self, operation: Any) -> dict[str, int] | None:
        names = {parameter.name for parameter in operation.path_parameters}
        resource = operation.path.removeprefix("/api/v1/").split("/")[0]
        if "id" not in names or resource not in self.ids:
            return None
        known = {"id": self.ids[resource]}
        if "event_id" in names:
            known["event_id"] = self.ids["events"]
        return known if set(known) == names else None


@pytest.fixture
def fuzzing(db: None, supervisor: Any) -> Fuzzing:
    organization = create_organization(name="Fuzz Inc")
    contact = make_contact(name="Fuzz Customer", organization=organization)
    ticket = make_ticket(requester=contact)
    event = agent_reply(ticket, supervisor, attachments=[upload()])
    ids = {"tickets": ticket.pk, "contacts": contact.pk, "organizations": organization.pk,
           "agents": supervisor.pk, "events": event.pk,
           "attachments": event.attachments.get().pk}
    return Fuzzing(token=issue_token(agent=supervisor, name="fuzz"), ids=ids)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_never_answers_a_server_error_or_off_its_schema(label: str, fuzzing: Fuzzing) -> None:
    operation = OPERATIONS[label]
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                  operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
    if (known := fuzzing.existing_path_parameters(operation)) is not None:
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE,
                                                path_parameters=known))

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {fuzzing.token}"})
        case.validate_response(response, checks=CHECKS)

    call()


def test_every_operation_of_the_document_is_a_test_item_of_its_own(
        db: None, request: pytest.FixtureRequest) -> None:
    document = Client().get(OPENAPI_PATH).json()
    in_document = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                   for method in item if method in HTTP_METHODS}
    assert len(in_document) > 20
    # Collect this module again, as pytest and each xdist worker do: one item per operation,
    # each with a node id of its own (xdist keeps one item per node id and drops the rest).
    fuzz = test_operation_never_answers_a_server_error_or_off_its_schema.__name__
    module = request.node.getparent(pytest.Module)
    items = [item for item in module.collect() if getattr(item, "originalname", "") == fuzz]
    assert len({item.nodeid for item in items}) == len(items) == len(in_document)
    assert {item.callspec.params["label"] for item in items} == in_document
