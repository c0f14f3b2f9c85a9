"""Delivery is separate from authorship: a reply goes out on the channel chosen for it, through
that channel's backend, and is refused when it cannot go out there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from heedful.core.errors import Invalid
from heedful.mail.models import OutboundMessage
from heedful.people.actions import IdentityInput, create_contact
from heedful.people.models import ContactIdentity
from heedful.tickets import delivery
from heedful.tickets.actions import update_ticket
from heedful.tickets.models import Channel, Event, Ticket
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import agent_reply, customer_reply, make_contact, make_ticket
from tests.mail.test_outbound import sink  # noqa: F401  (a real SMTP server on loopback)

pytestmark = pytest.mark.django_db


class RecordingChatBackend(delivery.DeliveryBackend):
    """A chat transport at the edge of the world: it only records what it was handed."""

    channel = Channel.CHAT
    label = "chat"

    def __init__(self) -> None:
        self.queued: list[Event] = []

    def reachable(self, tickets: list[Ticket]) -> dict[int, bool]:
        handles = set(ContactIdentity.objects.filter(
            contact_id__in=[t.requester_id for t in tickets], kind=ContactIdentity.Kind.CHAT,
        ).values_list("contact_id", flat=True))
        return {t.pk: t.requester_id in handles for t in tickets}

    def queue(self, events: list[Event]) -> None:
        self.queued += events


@pytest.fixture
def agent_api(agent: Any) -> ApiClient:
    return api_for(agent)


@pytest.fixture
def chat_backend() -> Iterator[RecordingChatBackend]:
    backend = RecordingChatBackend()
    delivery.register_backend(backend)
    yield backend
    delivery.unregister_backend(Channel.CHAT)


def phone_ticket(contact: Any = None) -> Ticket:
    return make_ticket(requester=contact or make_contact(email="pat@example.org"), channel=Channel.PHONE,
                       subject="Called about the invoice", body="Customer called: invoice is wrong.")


def test_reply_on_a_phone_ticket_goes_out_by_email_when_asked(agent_api: ApiClient, sink, run_tasks):  # noqa: F811
    ticket = phone_ticket()
    response = agent_api.post(f"/tickets/{ticket.pk}/events",
                              {"body": "We fixed the invoice.", "channel": "email"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["delivery_channel"] == "email" and body["channel"] == "api"
    outbound = OutboundMessage.objects.get(event_id=body["id"])
    assert outbound.recipients == ["pat@example.org"]
    assert body["message_id"] == outbound.message_id  # on the event from its first write
    run_tasks()
    assert [e.rcpt_tos for e in sink.envelopes] == [["pat@example.org"]]


def test_reply_on_a_phone_ticket_without_a_channel_is_refused_and_nothing_is_sent(agent_api: ApiClient):
    ticket = phone_ticket()
    response = agent_api.post(f"/tickets/{ticket.pk}/events", {"body": "We fixed the invoice."})
    assert_error(response, 400, "invalid", "channel")
    assert not ticket.events.filter(kind=Event.Kind.MESSAGE_OUT).exists()
    assert not OutboundMessage.objects.exists()


def test_reply_by_email_to_a_customer_without_an_email_identity_is_refused(agent_api: ApiClient):
    caller = create_contact(name="Phone only",
                            identities=[IdentityInput(ContactIdentity.Kind.PHONE, "+4930123456")])
    ticket = phone_ticket(caller)
    response = agent_api.post(f"/tickets/{ticket.pk}/events", {"body": "Hello", "channel": "email"})
    error = assert_error(response, 400, "invalid", "channel")
    assert "e-mail" in error["message"]
    assert not ticket.events.filter(kind=Event.Kind.MESSAGE_OUT).exists()


def test_reply_by_email_reaching_only_a_copied_colleague_is_refused(agent_api: ApiClient):
    caller = create_contact(name="Phone only",
                            identities=[IdentityInput(ContactIdentity.Kind.PHONE, "+4930123457")])
    ticket = phone_ticket(caller)
    colleague = make_contact(email="boss@example.org")
    update_ticket(ticket=ticket, actor=None, changes={"participants": [colleague]})
    response = agent_api.post(f"/tickets/{ticket.pk}/events", {"body": "Hello", "channel": "email"})
    assert_error(response, 400, "invalid", "channel")
    assert not OutboundMessage.objects.exists()


def test_reply_to_a_requester_whose_address_is_a_placeholder_is_refused_not_lost(agent_api: ApiClient):
    # The address we write to is the oldest e-mail identity; a placeholder there means no mail
    # would go out, so the reply must be refused rather than recorded as sent.
    caller = create_contact(name="Placeholder first", identities=[
        IdentityInput(ContactIdentity.Kind.EMAIL, "unknown-1@invalid.example"),
        IdentityInput(ContactIdentity.Kind.EMAIL, "later@example.org")])
    ticket = phone_ticket(caller)
    response = agent_api.post(f"/tickets/{ticket.pk}/events", {"body": "Hello", "channel": "email"})
    assert_error(response, 400, "invalid", "channel")
    assert not OutboundMessage.objects.exists()


def test_reply_on_a_channel_with_no_backend_is_refused(agent_api: ApiClient):
    ticket = make_ticket()
    response = agent_api.post(f"/tickets/{ticket.pk}/events", {"body": "Hello", "channel": "phone"})
    assert_error(response, 400, "invalid", "channel")
    assert not OutboundMessage.objects.exists()


def test_internal_note_needs_no_channel_and_is_never_delivered(agent_api: ApiClient):
    ticket = phone_ticket()
    response = agent_api.post(f"/tickets/{ticket.pk}/events",
                              {"body": "Called back, no answer", "public": False})
    assert response.status_code == 201 and response.json()["delivery_channel"] == ""
    assert not OutboundMessage.objects.exists()


def test_reply_defaults_to_the_channel_of_the_conversation(agent, chat_backend):
    visitor = create_contact(name="Chatty", identities=[
        IdentityInput(ContactIdentity.Kind.CHAT, "visitor-1"),
        IdentityInput(ContactIdentity.Kind.EMAIL, "c@example.org")])
    ticket = make_ticket(requester=visitor, channel=Channel.EMAIL)
    customer_reply(ticket, body="Hi from the widget", channel=Channel.CHAT)
    reply = agent_reply(ticket, agent, body="Hello there")
    assert reply.delivery_channel == Channel.CHAT
    assert chat_backend.queued == [reply]
    assert not OutboundMessage.objects.exists()  # never mailed by accident

    by_mail = agent_reply(ticket, agent, body="Also by mail", delivery_channel=Channel.EMAIL)
    assert by_mail.delivery_channel == Channel.EMAIL and OutboundMessage.objects.get().event == by_mail


def test_conversation_channel_with_an_unreachable_customer_is_refused(agent, chat_backend):
    ticket = make_ticket(channel=Channel.EMAIL)
    customer_reply(ticket, body="Hi from the widget", channel=Channel.CHAT)
    with pytest.raises(Invalid) as refused:
        agent_reply(ticket, agent)
    assert "channel" in refused.value.fields
    assert chat_backend.queued == []


def test_composer_offers_the_channels_the_customer_can_be_reached_on(agent_client, agent, chat_backend):
    ticket = phone_ticket()
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'name="channel"' in html and '<option value="email" selected>' in html
    assert '<option value="chat"' not in html  # no chat handle

    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "Sent by mail", "channel": "email"})
    assert response.status_code == 302
    assert ticket.events.get(kind=Event.Kind.MESSAGE_OUT).delivery_channel == "email"


def test_composer_refusal_keeps_the_text_and_names_the_channel(agent_client, agent):
    ticket = phone_ticket()
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "Keep me", "channel": "phone"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Replies cannot be sent by phone." in html and "Keep me" in html


def test_agent_opened_phone_ticket_records_the_first_message_without_sending_it(
        agent_api: ApiClient, contact):
    response = agent_api.post("/tickets", {"requester_id": contact.pk, "subject": "Call",
                                           "body": "Logged the call.", "from_customer": False,
                                           "channel": "phone"})
    assert response.status_code == 201
    assert Event.objects.get(ticket_id=response.json()["id"]).delivery_channel == ""
    assert not OutboundMessage.objects.exists()


def test_agent_opened_ticket_sent_by_email_when_asked(agent_api: ApiClient, contact):
    response = agent_api.post("/tickets", {"requester_id": contact.pk, "subject": "Call",
                                           "body": "As promised", "from_customer": False,
                                           "channel": "phone", "delivery_channel": "email"})
    assert response.status_code == 201
    event = Event.objects.get(ticket_id=response.json()["id"])
    assert event.delivery_channel == "email" and OutboundMessage.objects.get().event == event
