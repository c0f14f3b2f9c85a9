"""API: agents mark tickets spam or not spam, and accept or refuse messages held for review."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.mail.models import SpamToken
from heedful.mail.spam import HAM_DOCS, SPAM_DOCS
from heedful.tickets.models import Event, Ticket
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import TeamFactory, customer_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db


def held_message(ticket: Ticket) -> Event:
    stranger = make_contact(email="mallory@evil.example")
    return customer_reply(ticket, contact=stranger, body="Send the refund to me", hidden=True,
                          flags=["held"], channel="email")


# Spam ----------------------------------------------------------------------------------------


def test_marking_spam_moves_the_ticket_to_the_spam_queue(api: ApiClient, ticket: Any) -> None:
    response = api.post(f"/tickets/{ticket.pk}/spam", {"spam": True})
    assert response.status_code == 200, response.content
    assert response.json() == {"id": ticket.pk, "spam": True}
    assert SpamToken.objects.get(token=SPAM_DOCS).spam == 1
    assert [t["id"] for t in api.get("/tickets", {"queue": "spam"}).json()["results"]] == [ticket.pk]
    assert api.get(f"/tickets/{ticket.pk}").json()["spam"] is True
    assert api.get("/tickets", {"queue": "all"}).json()["results"] == []


def test_not_spam_brings_the_ticket_back(api: ApiClient, contact: Any) -> None:
    ticket = make_ticket(requester=contact, spam=True)
    assert api.post(f"/tickets/{ticket.pk}/spam", {"spam": False}).json() == {"id": ticket.pk, "spam": False}
    assert SpamToken.objects.get(token=HAM_DOCS).ham == 1
    assert [t["id"] for t in api.get("/tickets", {"queue": "all"}).json()["results"]] == [ticket.pk]


def test_the_verdict_is_on_the_timeline(api: ApiClient, ticket: Any, agent: Any) -> None:
    api.post(f"/tickets/{ticket.pk}/spam", {"spam": True})
    events = api.get(f"/tickets/{ticket.pk}/events").json()["results"]
    change = events[-1]
    assert change["kind"] == "spam_verdict" and change["data"] == {"spam": True, "learned": True}
    assert change["author"] == {"type": "agent", "id": agent.pk, "name": "Alice Agent"}


@pytest.mark.parametrize("body", [{}, {"spam": "maybe"}, {"spam": None}, {"spam": True, "why": "x"}])
def test_bad_spam_body_is_a_400(api: ApiClient, ticket: Any, body: dict[str, Any]) -> None:
    assert_error(api.post(f"/tickets/{ticket.pk}/spam", body), 400)
    ticket.refresh_from_db()
    assert not ticket.spam


def test_spam_on_an_unknown_or_foreign_ticket_is_a_404(ticket: Any) -> None:
    outsider = api_for(make_agent(restricted=True, teams=[TeamFactory()]))
    assert_error(outsider.post(f"/tickets/{ticket.pk}/spam", {"spam": True}), 404, "not_found")
    assert_error(outsider.post("/tickets/987654/spam", {"spam": True}), 404, "not_found")
    ticket.refresh_from_db()
    assert not ticket.spam


def test_spam_without_a_token_is_a_401(ticket: Any) -> None:
    assert_error(ApiClient(None).post(f"/tickets/{ticket.pk}/spam", {"spam": True}), 401, "unauthorized")


# Held messages -------------------------------------------------------------------------------


def test_held_message_is_flagged_in_the_events(api: ApiClient, ticket: Any) -> None:
    held = held_message(ticket)
    shown = next(e for e in api.get(f"/tickets/{ticket.pk}/events").json()["results"] if e["id"] == held.pk)
    assert "held" in shown["flags"] and shown["public"] is False


def test_accepting_a_held_message(api: ApiClient, ticket: Any) -> None:
    held = held_message(ticket)
    response = api.post(f"/tickets/{ticket.pk}/events/{held.pk}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"]["released_from"] == held.pk and body["public"] is True
    assert body["kind"] == "message_in" and body["body_text"] == held.body_text
    assert "held" not in body["flags"] and "accepted" in body["flags"]
    shown = {e["id"]: e for e in api.get(f"/tickets/{ticket.pk}/events").json()["results"]}
    assert shown[held.pk]["flags"] == ["held"] and shown[held.pk]["public"] is False
    assert held.author_contact_id in api.get(f"/tickets/{ticket.pk}").json()["participants"]


def test_refusing_a_held_message(api: ApiClient, ticket: Any) -> None:
    held = held_message(ticket)
    body = api.post(f"/tickets/{ticket.pk}/events/{held.pk}/reject").json()
    assert body["kind"] == "held_review" and body["public"] is False
    assert body["data"] == {"event": held.pk, "decision": "rejected"}
    assert api.get(f"/tickets/{ticket.pk}").json()["participants"] == []


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_deciding_twice_or_on_a_message_that_is_not_held_is_a_400(api: ApiClient, ticket: Any,
                                                                  action: str) -> None:
    held = held_message(ticket)
    assert api.post(f"/tickets/{ticket.pk}/events/{held.pk}/{action}").status_code == 200
    assert_error(api.post(f"/tickets/{ticket.pk}/events/{held.pk}/{action}"), 400, "invalid")
    first = ticket.events.order_by("id").first()
    assert_error(api.post(f"/tickets/{ticket.pk}/events/{first.pk}/{action}"), 400, "invalid")


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_held_message_of_another_ticket_is_a_404(api: ApiClient, ticket: Any, action: str) -> None:
    held = held_message(make_ticket())
    assert_error(api.post(f"/tickets/{ticket.pk}/events/{held.pk}/{action}"), 404, "not_found")
    assert_error(api.post(f"/tickets/{ticket.pk}/events/987654/{action}"), 404, "not_found")
    held.refresh_from_db()
    assert "held" in held.flags


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_held_message_on_a_foreign_ticket_is_a_404(ticket: Any, action: str) -> None:
    held = held_message(ticket)
    outsider = api_for(make_agent(restricted=True, teams=[TeamFactory()]))
    assert_error(outsider.post(f"/tickets/{ticket.pk}/events/{held.pk}/{action}"), 404, "not_found")
    held.refresh_from_db()
    assert "held" in held.flags


def test_ids_out_of_range_are_a_400_not_a_500(api: ApiClient, ticket: Any) -> None:
    assert_error(api.post(f"/tickets/{ticket.pk}/events/{2**70}/accept"), 400)
    assert_error(api.post("/tickets/0/spam", {"spam": True}), 400)


# OpenAPI -------------------------------------------------------------------------------------


def test_openapi_document_lists_the_mail_decisions_with_the_error_shape(api: ApiClient) -> None:
    document = api.client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in ["/api/v1/tickets/{id}/spam", "/api/v1/tickets/{id}/events/{event_id}/accept",
                 "/api/v1/tickets/{id}/events/{event_id}/reject"]:
        operation = paths[path]["post"]
        for status in ("400", "404"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)
    spam_body = paths["/api/v1/tickets/{id}/spam"]["post"]["requestBody"]["content"]["application/json"]
    assert spam_body["schema"] == {"$ref": "#/components/schemas/SpamIn"}
    assert document["components"]["schemas"]["SpamIn"]["required"] == ["spam"]
