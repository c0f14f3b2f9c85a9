from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from heedful.config.asgi import application
from heedful.tickets.notify import ticket_group
from heedful.web import presence
from tests.factories import TeamFactory, make_agent, make_ticket

# The consumer reads the database from a worker thread: it needs committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


class AsUser:
    """An ASGI wrapper that signs the socket in as `user`, as the session middleware would."""

    def __init__(self, user):
        self.user = user

    async def __call__(self, scope, receive, send):
        from channels.routing import URLRouter

        from heedful.web.routing import websocket_urlpatterns

        return await URLRouter(websocket_urlpatterns)({**scope, "user": self.user}, receive, send)


def socket(user, ticket):
    return WebsocketCommunicator(AsUser(user), f"/ws/tickets/{ticket.pk}/")


def test_two_agents_see_each_other_viewing_and_replying(contact):
    alice, bob = make_agent(name="Alice"), make_agent(name="Bob")
    ticket = make_ticket(requester=contact)

    async def story():
        first, second = socket(alice.user, ticket), socket(bob.user, ticket)
        assert (await first.connect())[0]
        assert await first.receive_json_from(timeout=2) == {"type": "presence", "others": []}
        assert (await second.connect())[0]
        seen_by_alice = await first.receive_json_from(timeout=2)
        assert seen_by_alice["others"] == [{"agent": bob.user_id, "name": "Bob", "state": "viewing"}]
        await second.receive_json_from(timeout=2)
        await second.send_json_to({"state": "replying"})
        assert (await first.receive_json_from(timeout=2))["others"][0]["state"] == "replying"
        await second.receive_json_from(timeout=2)
        await second.disconnect()
        assert (await first.receive_json_from(timeout=2))["others"] == []
        await first.disconnect()

    async_to_sync(story)()


def test_ticket_changes_are_forwarded_to_the_page(contact, agent):
    ticket = make_ticket(requester=contact)

    async def story():
        page = socket(agent.user, ticket)
        assert (await page.connect())[0]
        await page.receive_json_from(timeout=2)
        notice = {"type": "ticket.changed", "ticket": ticket.pk, "event": 7, "kind": "note"}
        await get_channel_layer().group_send(ticket_group(ticket.pk), notice)
        assert await page.receive_json_from(timeout=2) == {
            "type": "ticket.changed", "ticket": ticket.pk, "event": 7, "kind": "note"}
        await page.disconnect()

    async_to_sync(story)()


def test_socket_refuses_anonymous_and_agents_who_may_not_see_the_ticket(contact):
    from django.contrib.auth.models import AnonymousUser

    ticket = make_ticket(requester=contact, team=TeamFactory())
    outsider = make_agent(teams=[TeamFactory()], restricted=True)

    async def story():
        for user in (AnonymousUser(), outsider.user):
            connected, code = await socket(user, ticket).connect()
            assert (connected, code) == (False, 4403)

    async_to_sync(story)()


def test_socket_route_is_wired_in_the_asgi_application(contact):
    ticket = make_ticket(requester=contact)

    async def story():
        communicator = WebsocketCommunicator(application, f"/ws/tickets/{ticket.pk}/",
                                             headers=[(b"origin", b"http://testserver")])
        connected, code = await communicator.connect()
        assert (connected, code) == (False, 4403)  # no session: not an agent

    async_to_sync(story)()


def test_http_fallback_marks_me_and_returns_the_others(client, contact):
    alice, bob = make_agent(name="Alice"), make_agent(name="Bob")
    ticket = make_ticket(requester=contact)
    presence.mark(ticket.pk, bob, "replying")
    client.force_login(alice.user)
    response = client.post(f"/tickets/{ticket.number}/presence", {"state": "viewing"})
    assert response.json() == {"others": [{"agent": bob.user_id, "name": "Bob", "state": "replying"}]}
    assert {p["agent"] for p in presence.current(ticket.pk)} == {alice.user_id, bob.user_id}
    assert client.post(f"/tickets/{ticket.number}/presence", {"state": "dancing"}).status_code == 400


def test_http_fallback_is_404_for_a_ticket_the_agent_may_not_see(client, contact):
    ticket = make_ticket(requester=contact, team=TeamFactory())
    client.force_login(make_agent(teams=[TeamFactory()], restricted=True).user)
    assert client.post(f"/tickets/{ticket.number}/presence", {"state": "viewing"}).status_code == 404


def test_presence_expires_when_not_refreshed(contact, monkeypatch):
    bob = make_agent(name="Bob")
    ticket = make_ticket(requester=contact)
    presence.mark(ticket.pk, bob, "viewing")
    later = presence.time.time() + presence.PRESENCE_TTL_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert presence.current(ticket.pk) == []
