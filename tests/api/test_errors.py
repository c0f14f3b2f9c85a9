"""Every refusal is a 4xx with {"error": {"code", "message", "fields"}}, never a 500 or HTML."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from heedful.people.models import ApiToken
from heedful.people.tokens import revoke_token
from tests.api.conftest import ApiClient, assert_error
from tests.factories import agent_reply, make_ticket, upload


def test_missing_token_is_401_json(db: None) -> None:
    response = ApiClient(None).get("/tickets")
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer hdf_not-a-real-token", "Bearer ", "Basic abc", "hdf_x"])
def test_bad_token_is_401_json(db: None, header: str) -> None:
    response = ApiClient(None).client.get("/api/v1/tickets", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")


def test_revoked_token_is_401(api: ApiClient) -> None:
    revoke_token(ApiToken.objects.get())
    assert_error(api.get("/tickets"), 401)


def test_token_of_inactive_agent_is_401(api: ApiClient, agent: Any) -> None:
    agent.is_active = False
    agent.save()
    assert_error(api.get("/tickets"), 401)


def test_malformed_json_is_400(api: ApiClient) -> None:
    assert_error(api.post("/tickets", raw="{not json"), 400, "invalid", "body")


def test_json_that_is_not_an_object_is_400(api: ApiClient) -> None:
    assert_error(api.post("/tickets", raw="[1, 2]"), 400, "invalid")


def test_unknown_body_field_is_400_naming_it(api: ApiClient, contact: Any) -> None:
    body = {"requester_id": contact.pk, "subject": "s", "body": "b", "colour": "red"}
    error = assert_error(api.post("/tickets", body), 400, "unknown_field", "colour")
    assert error["fields"]["colour"] == ["Unknown field."]


def test_unknown_nested_field_is_400_with_its_path(api: ApiClient, contact: Any) -> None:
    body = {"requester": {"email": "a@example.org", "phone": "1"}, "subject": "s", "body": "b"}
    assert_error(api.post("/tickets", body), 400, field="requester.phone")


def test_wrong_types_are_400_per_field(api: ApiClient, ticket: Any) -> None:
    error = assert_error(api.patch(f"/tickets/{ticket.pk}", {"subject": 5, "tags": "x", "priority": "now"}),
                         400, "invalid")
    assert {"subject", "tags", "priority"} <= set(error["fields"])


def test_missing_required_field_is_400(api: ApiClient, contact: Any) -> None:
    error = assert_error(api.post("/tickets", {"requester_id": contact.pk, "subject": "s"}), 400,
                         field="body")
    assert error["fields"]["body"] == ["This field is required."]


def test_nul_characters_are_refused_not_stored(api: ApiClient, ticket: Any) -> None:
    assert_error(api.post(f"/tickets/{ticket.pk}/events", {"body": "a\u0000b"}), 400, field="body")
    assert_error(api.get("/tickets", {"q": "a\x00"}), 400, field="q")


@pytest.mark.parametrize(("field", "value"), [
    ("team_id", 999_999), ("assignee_id", 999_999), ("requester_id", 999_999),
])
def test_foreign_ids_that_do_not_exist_are_400_naming_the_field(
    api: ApiClient, contact: Any, field: str, value: int
) -> None:
    body = {"requester_id": contact.pk, "subject": "s", "body": "b", field: value}
    assert_error(api.post("/tickets", body), 400, "invalid", field)


def test_huge_ids_are_400_not_a_database_error(api: ApiClient, contact: Any) -> None:
    body = {"requester_id": contact.pk, "subject": "s", "body": "b", "team_id": 2**70}
    assert_error(api.post("/tickets", body), 400, field="team_id")
    assert_error(api.get(f"/tickets/{2**70}"), 400)


def test_unknown_path_id_is_404(api: ApiClient) -> None:
    for path in ("/tickets/999999", "/contacts/999999", "/organizations/999999", "/agents/999999",
                 "/attachments/999999", "/tickets/999999/events"):
        assert_error(api.get(path), 404, "not_found")


def test_unknown_path_is_404_json(api: ApiClient) -> None:
    assert_error(api.get("/nothing-here"), 404, "not_found")
    assert_error(api.get("/tickets/abc"), 400, "invalid", "id")


def test_wrong_method_is_405_json(api: ApiClient) -> None:
    response = api.client.delete("/api/v1/tickets", headers=api._headers(None))
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_invalid_status_transition_is_409(api: ApiClient, ticket: Any) -> None:
    assert api.patch(f"/tickets/{ticket.pk}", {"status": "closed"}).status_code == 200
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"status": "open"}), 409, "invalid_transition",
                 "status")


def test_transfer_without_reason_is_400(api: ApiClient, ticket: Any, supervisor: Any, agent: Any) -> None:
    assert api.patch(f"/tickets/{ticket.pk}", {"assignee_id": agent.pk}).status_code == 200
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"assignee_id": supervisor.pk}), 400,
                 "reason_required", "transfer_reason")


def test_oversized_attachment_is_413(api: ApiClient, ticket: Any, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    content = base64.b64encode(b"x" * 100).decode()
    body = {"body": "see attached", "attachments": [{"filename": "big.bin", "content_base64": content}]}
    assert_error(api.post(f"/tickets/{ticket.pk}/events", body), 413, "too_large", "attachments")


def test_request_body_over_the_server_limit_is_413(api: ApiClient, ticket: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"body": "x" * 2000}
    assert_error(api.post(f"/tickets/{ticket.pk}/events", body), 413, "too_large")
    assert_error(api.post(f"/tickets/{ticket.pk}/events", body, **{"Idempotency-Key": "k1"}), 413)


def test_attachment_that_is_not_base64_is_400(api: ApiClient, ticket: Any) -> None:
    body = {"body": "b", "attachments": [{"filename": "a.txt", "content_base64": "***"}]}
    assert_error(api.post(f"/tickets/{ticket.pk}/events", body), 400, "invalid",
                 "attachments.0.content_base64")


def test_attachment_whose_file_is_missing_is_404_json(api: ApiClient, ticket: Any, agent: Any) -> None:
    event = agent_reply(ticket, agent, attachments=[upload()])
    attachment = event.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    assert_error(api.get(f"/attachments/{attachment.pk}"), 404, "not_found")


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 201}, {"limit": "many"}, {"queue": "everything"}, {"sort": "name"},
    {"status": "burning"}, {"team": "x"}, {"created_after": "yesterday"}, {"cursor": "garbage!"},
    {"created_after": "9999-12-31T23:59:59-14:00"},
])
def test_bad_list_parameters_are_400(api: ApiClient, params: dict[str, Any]) -> None:
    error = assert_error(api.get("/tickets", params), 400)
    assert error["fields"], error


def test_heedful_errors_keep_their_code_and_fields(api: ApiClient, contact: Any) -> None:
    other = make_ticket(requester=contact)
    assert_error(api.post(f"/tickets/{other.pk}/merge", {"target_id": other.pk}), 400, "invalid")


def test_token_requests_need_no_csrf_token(api: ApiClient, contact: Any) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/v1/tickets", {"requester_id": contact.pk, "subject": "s", "body": "b"},
                           content_type="application/json", headers=api._headers(None))
    assert response.status_code == 201, response.content


def test_field_messages_are_in_the_callers_language(api: ApiClient, contact: Any) -> None:
    body = {"requester": {"email": "carol@example.org"}, "subject": "x" * 300, "body": "Hi",
            "channel": "email", "priority": "whenever", "tags": "not-a-list"}
    english = api.post("/tickets", body).json()["error"]["fields"]
    esperanto = api.post("/tickets", body, **{"Accept-Language": "eo"}).json()["error"]["fields"]
    assert set(english) == set(esperanto) and english != esperanto
    assert esperanto["tags"] == ["Listo estas atendata."]
    assert english["tags"] == ["Expected a list."]
    assert english["priority"][0].startswith("Choose one of:")
    assert esperanto["priority"][0].startswith("Elektu unu el:")
