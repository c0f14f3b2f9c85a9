from __future__ import annotations

import pytest

from heedful.core.errors import HeedfulError
from heedful.policy import Viewer, can_view_ticket
from heedful.tickets.merging import merge_tickets, split_message
from heedful.tickets.models import Event, Ticket
from heedful.tickets.selectors import timeline
from tests.factories import customer_reply, make_agent, make_contact, make_ticket, upload

pytestmark = pytest.mark.django_db


def test_merge_closes_source_and_shows_its_messages_on_target():
    agent = make_agent()
    target = make_ticket(subject="Login fails")
    source = make_ticket(subject="Cannot log in", requester=make_contact())
    merge_tickets(source=source, target=target, actor=agent.user)
    source.refresh_from_db()
    assert source.status == Ticket.Status.CLOSED and source.merged_into == target
    bodies = [e.body_text for e in timeline(Viewer.for_user(agent.user), target) if e.is_message]
    assert len(bodies) == 2
    assert source.requester in target.participants.all()
    assert target.events.filter(kind=Event.Kind.MERGE).exists()


def test_merged_source_requester_can_read_target():
    target, source = make_ticket(), make_ticket(requester=make_contact())
    merge_tickets(source=source, target=target, actor=make_agent().user)
    assert can_view_ticket(Viewer.for_contact(source.requester), target)


def test_merge_into_itself_or_twice_is_refused():
    agent = make_agent()
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    with pytest.raises(HeedfulError):
        merge_tickets(source=a, target=a, actor=agent.user)
    merge_tickets(source=a, target=b, actor=agent.user)
    a.refresh_from_db()
    with pytest.raises(HeedfulError):
        merge_tickets(source=a, target=c, actor=agent.user)


def test_split_copies_message_and_attachments_into_new_ticket():
    agent = make_agent()
    ticket = make_ticket()
    message = customer_reply(ticket, body="Also, my invoice is wrong", attachments=[upload("inv.pdf")])
    new = split_message(event=message, actor=agent.user, subject="Invoice is wrong")
    first = new.events.get()
    assert new.subject == "Invoice is wrong" and new.requester == ticket.requester
    assert first.body_text == "Also, my invoice is wrong"
    assert first.attachments.get().filename == "inv.pdf"
    assert ticket.events.filter(kind=Event.Kind.SPLIT, data__new_ticket=new.pk).exists()


def test_only_customer_messages_can_be_split():
    agent = make_agent()
    ticket = make_ticket()
    note = ticket.events.create(kind=Event.Kind.NOTE, channel="agent", created_at=ticket.created_at)
    with pytest.raises(HeedfulError):
        split_message(event=note, actor=agent.user)
