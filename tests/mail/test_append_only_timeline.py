"""The timeline is append-only: a whole life of tickets (mail in, threading, a held message,
replies out and their failures, a bounce, spam verdicts, notes, transfers, split, merges of
tickets and of contacts) issues no UPDATE and no DELETE on the events table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from heedful.mail.actions import accept_held_message, mark_spam, reject_held_message
from heedful.mail.models import OutboundMessage
from heedful.tickets.actions import update_ticket
from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.merging import merge_tickets, split_message
from heedful.tickets.models import AppendOnlyError, Event, Ticket
from tests.api.conftest import api_for
from tests.factories import TeamFactory, customer_reply, make_agent, make_contact
from tests.mail.helpers import ingest, raw_mail
from tests.mail.test_noise import dsn
from tests.mail.test_outbound import mailbox, sink  # noqa: F401  (a real SMTP server on loopback)

pytestmark = pytest.mark.django_db

WRITES_TO_EVENTS = re.compile(r'^\s*(UPDATE|DELETE\s+FROM)\s+"?tickets_event"?\s', re.IGNORECASE)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def test_a_full_mail_reply_and_merge_scenario_never_updates_an_event(
        statements, sink, run_tasks, mailbox, supervisor):  # noqa: F811
    agent = make_agent()
    api = api_for(supervisor)
    first = ingest(raw_mail(message_id="<one@client.example>", body="The printer is on fire."), run_tasks)
    ticket = first.ticket
    assert ticket is not None
    ingest(raw_mail(message_id="<two@client.example>", in_reply_to="<one@client.example>",
                    subject="Re: Printer on fire", body="Still burning."), run_tasks)

    reply = api.post(f"/tickets/{ticket.pk}/events",
                     {"body": "We are coming.", "channel": "email"}).json()
    run_tasks()
    sent = OutboundMessage.objects.get(event_id=reply["id"])
    assert sent.state == OutboundMessage.State.SENT
    ingest(dsn(sent.message_id), run_tasks)  # the customer's server bounces it
    assert OutboundMessage.objects.get(pk=sent.pk).state == OutboundMessage.State.BOUNCED

    sink.rcpt_answer = "550 5.1.1 No such user"
    api.post(f"/tickets/{ticket.pk}/events", {"body": "Trying again.", "status": "pending"})
    run_tasks()
    sink.rcpt_answer = ""

    stranger = make_contact(email="mallory@elsewhere.example")
    held = customer_reply(ticket, contact=stranger, body="Me too", hidden=True, flags=["held"],
                          channel="email")
    accept_held_message(event=held, actor=supervisor.user)
    other_held = customer_reply(ticket, contact=stranger, body="And again", hidden=True, flags=["held"])
    reject_held_message(event=other_held, actor=supervisor.user)

    mark_spam(ticket=ticket, actor=agent.user, spam=True)
    mark_spam(ticket=ticket, actor=agent.user, spam=False)
    team = TeamFactory()
    update_ticket(ticket=ticket, actor=agent.user, changes={"assignee": agent.user, "tags": ["fire"]})
    update_ticket(ticket=ticket, actor=supervisor.user,
                  changes={"team": team, "transfer_reason": "Facilities handle fires", "priority": "urgent"})
    api.post(f"/tickets/{ticket.pk}/events", {"body": "Called the fire brigade", "public": False})
    message = ticket.events.filter(kind=Event.Kind.MESSAGE_IN, public=True).order_by("id").last()
    split_off = split_message(event=message, actor=agent.user)

    duplicate = ingest(raw_mail(sender="Carol <carol@example.org>", message_id="<three@client.example>",
                                subject="Printer fire again", body="Any news?"), run_tasks).ticket
    merge_tickets(source=duplicate, target=ticket, actor=agent.user)
    merge_tickets(source=split_off, target=ticket, actor=agent.user)
    merge_contacts(source=stranger, target=ticket.requester, actor=supervisor.user)
    run_tasks()

    assert Event.objects.filter(ticket=ticket).count() > 20
    assert [sql for sql in statements if WRITES_TO_EVENTS.match(sql)] == []
    assert any(sql.lstrip().upper().startswith("INSERT") and "tickets_event" in sql for sql in statements)


def test_code_that_tries_to_change_an_event_is_stopped():
    ticket_event = Event.objects.none()
    with pytest.raises(AppendOnlyError):
        ticket_event.update(public=True)
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=0).delete()


def test_saving_an_existing_event_again_is_stopped(ticket):
    event = ticket.events.get()
    event.body_text = "rewritten history"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert Event.objects.get(pk=event.pk).body_text != "rewritten history"
    assert Ticket.objects.filter(pk=ticket.pk).exists()
