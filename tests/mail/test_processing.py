from __future__ import annotations

import pytest

from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage
from heedful.tickets.models import Event, Ticket
from tests.factories import agent_reply, make_agent, make_contact
from tests.mail.helpers import ingest, raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(name="Support", address="support@heedful.test")



def test_new_message_opens_ticket_with_sender_as_requester(mailbox, run_tasks):
    body = "My printer caught fire this morning and the office is full of smoke. Please help."
    record = ingest(raw_mail(body=body), run_tasks)
    assert record.state == RawMessage.State.PROCESSED
    ticket = record.ticket
    assert ticket.subject == "Printer on fire" and ticket.channel == "email"
    assert ticket.requester.primary_email == "carol@example.org"
    assert record.event.language == "en"


def test_same_bytes_twice_make_one_ticket(mailbox, run_tasks):
    raw = raw_mail()
    ingest(raw, run_tasks)
    assert accept_raw(raw, via="smtp").duplicate
    run_tasks()
    assert Ticket.objects.count() == 1


def test_same_message_id_with_other_headers_is_a_duplicate(mailbox, run_tasks):
    ingest(raw_mail(message_id="<x1@client.example>"), run_tasks)
    record = ingest(raw_mail(message_id="<x1@client.example>", headers={"X-Relay": "2"}), run_tasks)
    assert record.state == RawMessage.State.DUPLICATE and Ticket.objects.count() == 1


def test_reply_joins_ticket_by_references_to_our_outbound_message(mailbox, run_tasks):
    first = ingest(raw_mail(), run_tasks)
    agent = make_agent()
    reply = agent_reply(first.ticket, agent, body="Unplug it.")
    reply.refresh_from_db()
    assert OutboundMessage.objects.filter(event=reply).exists()
    body = "Done, thanks!\n\nOn Mon, Agent wrote:\n> Unplug it."
    second = ingest(raw_mail(subject="Re: Printer on fire", body=body,
                             in_reply_to=reply.message_id, references=reply.message_id), run_tasks)
    assert second.ticket == first.ticket
    assert second.event.body_text == "Done, thanks!"
    assert "Unplug it" in second.event.full_text


def test_stranger_reply_is_held_not_appended(mailbox, run_tasks):
    first = ingest(raw_mail(message_id="<orig@client.example>"), run_tasks)
    record = ingest(raw_mail(sender="mallory@evil.example", in_reply_to="<orig@client.example>",
                             subject="Re: Printer on fire", body="Send refund to me"), run_tasks)
    assert record.ticket == first.ticket
    assert "held" in record.event.flags and not record.event.public


def test_auto_reply_is_flagged_and_not_acknowledged(mailbox, run_tasks):
    record = ingest(raw_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}), run_tasks)
    assert "auto_submitted" in record.event.flags
    assert not OutboundMessage.objects.exists()


def test_new_ticket_is_acknowledged_once(mailbox, run_tasks):
    record = ingest(raw_mail(), run_tasks)
    ack = record.ticket.events.get(kind=Event.Kind.MESSAGE_OUT)
    assert "auto_reply" in ack.flags
    assert OutboundMessage.objects.get(event=ack).state == OutboundMessage.State.SENT


def test_unparseable_garbage_is_still_stored_as_a_ticket(mailbox, run_tasks):
    record = ingest(b"\x00\xff\xfe garbage without headers \x80\x81", run_tasks)
    assert record.ticket is not None


def test_cc_addresses_become_participants(mailbox, run_tasks):
    make_contact(email="dave@example.org")
    record = ingest(raw_mail(cc="Dave <dave@example.org>, support@heedful.test"), run_tasks)
    assert [c.primary_email for c in record.ticket.participants.all()] == ["dave@example.org"]
