"""GET /api/v1/contacts/{id}/timeline: one history of a customer across tickets and channels."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.models import Channel, Event
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import (
    TeamFactory,
    agent_reply,
    customer_reply,
    make_agent,
    make_contact,
    make_ticket,
)

pytestmark = pytest.mark.django_db
CONTRACT = {"id", "ticket", "ticket_number", "kind", "channel", "created_at", "public", "author",
            "body_text"}


def _all_pages(api: ApiClient, contact_id: int, limit: int = 50) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _page in range(100):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(f"/contacts/{contact_id}/timeline", params)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the timeline never ended")


def test_timeline_holds_every_event_of_every_ticket_newest_first(api: ApiClient, agent, contact):
    by_mail = make_ticket(requester=contact, channel=Channel.EMAIL, body="By mail")
    by_phone = make_ticket(requester=contact, channel=Channel.PHONE, body="By phone")
    agent_reply(by_mail, agent, body="Answer")
    customer_reply(by_phone, body="Still broken")

    items = _all_pages(api, contact.pk)

    expected = Event.objects.filter(ticket__in=[by_mail, by_phone]).order_by("-created_at", "-id")
    assert [i["id"] for i in items] == [e.pk for e in expected]
    assert set(items[0]) >= CONTRACT
    first = next(i for i in items if i["body_text"] == "By phone")
    assert (first["ticket"], first["ticket_number"], first["kind"], first["channel"]) == (
        by_phone.pk, by_phone.number, "message_in", "phone")
    assert first["author"] == {"type": "customer", "id": contact.pk, "name": contact.name}


def test_timeline_includes_tickets_the_contact_is_copied_on(api: ApiClient, contact):
    other = make_ticket(requester=make_contact(), cc=[contact], body="Copied")
    assert {i["ticket"] for i in _all_pages(api, contact.pk)} == {other.pk}


def test_pagination_reaches_the_oldest_event_without_repeats(api: ApiClient, agent, contact):
    ticket = make_ticket(requester=contact, body="The very first words")
    same_time = timezone.now() + datetime.timedelta(minutes=1)
    for n in range(7):
        # Several events at one instant: the cursor must still not skip or repeat any.
        customer_reply(ticket, body=f"message {n}", at=same_time if n < 4 else None)

    items = _all_pages(api, contact.pk, limit=2)

    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) == Event.objects.filter(ticket=ticket).count()
    assert items[-1]["body_text"] == "The very first words"
    assert [i["created_at"] for i in items] == sorted((i["created_at"] for i in items), reverse=True)


def test_restricted_agent_sees_only_their_teams_tickets(contact):
    team, other_team = TeamFactory(), TeamFactory()
    mine = make_ticket(requester=contact, team=team)
    make_ticket(requester=contact, team=other_team)
    restricted = make_agent(teams=[team], restricted=True)

    items = _all_pages(api_for(restricted), contact.pk)

    assert {i["ticket"] for i in items} == {mine.pk}


def test_tickets_moved_by_a_merge_bring_their_history(api: ApiClient, supervisor, contact):
    duplicate = make_contact()
    moved = make_ticket(requester=duplicate, body="From the old address")
    merge_contacts(source=duplicate, target=contact, actor=supervisor.user)

    items = _all_pages(api, contact.pk)

    assert "From the old address" in [i["body_text"] for i in items if i["ticket"] == moved.pk]
    assert next(i["kind"] for i in items if i["ticket"] == moved.pk) == "requester"


def test_internal_notes_are_listed_for_agents_as_not_public(api: ApiClient, agent, contact):
    ticket = make_ticket(requester=contact)
    agent_reply(ticket, agent, body="Only for us", public=False)
    [note] = [i for i in _all_pages(api, contact.pk) if i["body_text"] == "Only for us"]
    assert (note["kind"], note["public"]) == ("note", False)


def test_unknown_contact_and_bad_cursor_are_clear_errors(api: ApiClient, contact):
    assert_error(api.get("/contacts/999999/timeline"), 404, "not_found")
    assert_error(api.get(f"/contacts/{contact.pk}/timeline", {"cursor": "nonsense"}), 400,
                 field="cursor")


def test_timeline_costs_the_same_queries_for_a_long_page(api: ApiClient, agent, contact,
                                                          django_assert_max_num_queries):
    for n in range(4):
        ticket = make_ticket(requester=contact, body=f"ticket {n}")
        agent_reply(ticket, make_agent(), body=f"reply {n}")
        customer_reply(ticket, body=f"answer {n}")
    with django_assert_max_num_queries(8):
        response = api.get(f"/contacts/{contact.pk}/timeline", {"limit": 200})
    assert len(response.json()["results"]) >= 12


def test_openapi_lists_the_timeline(api: ApiClient):
    document = api.client.get("/api/v1/openapi.json").json()
    assert "get" in document["paths"]["/api/v1/contacts/{id}/timeline"]
