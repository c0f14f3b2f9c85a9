"""A POST retried with the same Idempotency-Key writes once and answers the same."""

from __future__ import annotations

import datetime
from typing import Any

from heedful.api.models import IdempotencyKey
from heedful.tickets.models import Event, Ticket
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import make_agent

KEY = {"Idempotency-Key": "7c0d9a7e-create-ticket"}


def _new_ticket(contact: Any, subject: str = "Double click") -> dict[str, Any]:
    return {"requester_id": contact.pk, "subject": subject, "body": "Sent twice?"}


def test_replay_with_same_key_and_body_returns_the_stored_answer(api: ApiClient, contact: Any) -> None:
    first = api.post("/tickets", _new_ticket(contact), **KEY)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    again = api.post("/tickets", _new_ticket(contact), **KEY)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1


def test_same_key_with_a_different_body_is_409(api: ApiClient, contact: Any) -> None:
    api.post("/tickets", _new_ticket(contact), **KEY)
    assert_error(api.post("/tickets", _new_ticket(contact, "Other"), **KEY), 409, "conflict",
                 "Idempotency-Key")
    assert Ticket.objects.count() == 1


def test_same_key_on_another_path_is_409(api: ApiClient, contact: Any, ticket: Any) -> None:
    api.post(f"/tickets/{ticket.pk}/events", {"body": "x"}, **KEY)
    assert_error(api.post("/contacts", {"body": "x"}, **KEY), 409, "conflict")


def test_replies_are_idempotent_too(api: ApiClient, ticket: Any) -> None:
    for _attempt in range(3):
        response = api.post(f"/tickets/{ticket.pk}/events", {"body": "Once only"}, **KEY)
        assert response.status_code == 201
    assert Event.objects.filter(ticket=ticket, body_text="Once only").count() == 1


def test_keys_belong_to_the_agent_that_sent_them(api: ApiClient, contact: Any) -> None:
    other = api_for(make_agent())
    api.post("/tickets", _new_ticket(contact), **KEY)
    response = other.post("/tickets", _new_ticket(contact), **KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_not_stored(api: ApiClient, contact: Any) -> None:
    assert_error(api.post("/tickets", {"requester_id": contact.pk, "subject": "", "body": "b"}, **KEY), 400)
    assert not IdempotencyKey.objects.exists()
    assert api.post("/tickets", _new_ticket(contact), **KEY).status_code == 201


def test_keys_expire_after_a_day(api: ApiClient, contact: Any) -> None:
    api.post("/tickets", _new_ticket(contact), **KEY)
    stored = IdempotencyKey.objects.get()
    IdempotencyKey.objects.update(created_at=stored.created_at - datetime.timedelta(hours=25))
    response = api.post("/tickets", _new_ticket(contact), **KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_an_unusable_key_is_400(api: ApiClient, contact: Any) -> None:
    assert_error(api.post("/tickets", _new_ticket(contact), **{"Idempotency-Key": "k" * 256}), 400,
                 "invalid", "Idempotency-Key")
    assert Ticket.objects.count() == 0


def test_a_key_without_a_valid_token_is_still_401(db: None, contact: Any) -> None:
    assert_error(ApiClient("hdf_wrong").post("/tickets", _new_ticket(contact), **KEY), 401)
