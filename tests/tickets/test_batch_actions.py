"""The list-taking ticket actions: open_tickets and add_messages write many tickets and messages
in a fixed number of statements, apply in order, and write nothing when one item is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.core.models import Sequence
from heedful.people.models import Contact
from heedful.tickets.actions import NewMessage, TicketRequest, add_messages, open_tickets, update_ticket
from heedful.tickets.models import Channel, Event, Ticket
from tests.factories import CustomFieldFactory, agent_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db

Participant = Ticket.participants.through


def request_for(requester: Contact, subject: str = "Printer on fire", **extra: Any) -> TicketRequest:
    return TicketRequest(requester=requester, subject=subject, body=f"About: {subject}",
                         channel=Channel.EMAIL, **extra)


def queries_to_open(count: int, **extra: Any) -> int:
    make_ticket()  # the ticket counter exists: its first use creates it, one time only
    requesters = [make_contact() for _ in range(count)]
    ccs = [make_contact() for _ in range(count)]
    requests = [request_for(r, f"Request {i}", cc=[cc], **extra)
                for i, (r, cc) in enumerate(zip(requesters, ccs, strict=True))]
    with CaptureQueriesContext(connection) as captured:
        events = open_tickets(requests)
    assert len(events) == count
    return len(captured.captured_queries)


def message_for(ticket: Ticket, body: str, contact: Contact | None = None, **extra: Any) -> NewMessage:
    return NewMessage(ticket=ticket, body=body, author_contact=contact or ticket.requester,
                      channel=Channel.EMAIL, **extra)


def written() -> tuple[int, int, int, int]:
    """Tickets, events, participant rows and the ticket counter: what a refused call must not move."""
    counter = Sequence.objects.filter(name="ticket").values_list("value", flat=True).first() or 0
    return Ticket.objects.count(), Event.objects.count(), Participant.objects.count(), counter


# ------------------------------------------------------------------------------ open_tickets
def test_open_tickets_returns_each_tickets_first_event_in_request_order():
    requesters = [make_contact(name=f"Requester {i}") for i in range(3)]
    events = open_tickets([request_for(r, f"Subject {i}") for i, r in enumerate(requesters)])

    assert [e.ticket.subject for e in events] == ["Subject 0", "Subject 1", "Subject 2"]
    for event, requester in zip(events, requesters, strict=True):
        ticket = Ticket.objects.get(pk=event.ticket.pk)
        assert ticket.requester == requester and ticket.status == Ticket.Status.NEW
        assert list(ticket.events.all()) == [event]
        assert event.kind == Event.Kind.MESSAGE_IN and event.author_contact == requester
        assert event.public and event.body_text == f"About: {ticket.subject}"
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert [e.ticket.pk for e in events] == sorted(e.ticket.pk for e in events)


def test_open_tickets_reserves_consecutive_numbers_after_the_last_ticket():
    before = make_ticket().number
    events = open_tickets([request_for(make_contact(), f"Subject {i}") for i in range(4)])
    numbers = [Ticket.objects.get(pk=e.ticket.pk).number for e in events]
    assert numbers == [before + 1, before + 2, before + 3, before + 4]
    assert make_ticket().number == before + 5


def test_open_tickets_adds_cc_participants_once_and_never_the_requester():
    requester, dave, erin, frank = (make_contact() for _ in range(4))
    first, second = open_tickets([
        request_for(requester, "With copies", cc=[dave, requester, erin, dave]),
        request_for(frank, "Other copies", cc=[erin]),
    ])
    assert set(first.ticket.participants.all()) == {dave, erin}
    assert list(second.ticket.participants.all()) == [erin]
    assert Participant.objects.filter(ticket=first.ticket).count() == 2


def test_open_tickets_sends_the_same_number_of_queries_for_2_and_for_10_requests():
    # Mail opens tickets with enforce_required=False: custom fields are not read per request.
    assert queries_to_open(2, enforce_required=False) == queries_to_open(10, enforce_required=False)


def test_open_tickets_checking_required_fields_reads_the_definitions_once_for_all_requests():
    CustomFieldFactory(key="contract", required=False)
    assert queries_to_open(2) == queries_to_open(10)


def test_open_tickets_refuses_the_whole_batch_when_one_request_lacks_a_required_field():
    CustomFieldFactory(key="contract", required=True)
    filled = request_for(make_contact(), "Filled", custom_fields={"contract": "C-1"})
    event, = open_tickets([filled])
    assert Ticket.objects.get(pk=event.ticket.pk).custom_fields == {"contract": "C-1"}

    before = written()
    with pytest.raises(HeedfulError) as refused:
        open_tickets([request_for(make_contact(), "Filled too", custom_fields={"contract": "C-2"}),
                      request_for(make_contact(), "Missing it")])
    assert refused.value.code == ErrorCode.INVALID
    assert "custom_fields.contract" in refused.value.fields
    assert written() == before
    # A channel that cannot ask (mail, chat) opens the ticket anyway.
    event, = open_tickets([request_for(make_contact(), "By mail", enforce_required=False)])
    assert Ticket.objects.get(pk=event.ticket.pk).custom_fields == {}


def test_open_tickets_with_one_empty_subject_raises_and_writes_nothing():
    requesters = [make_contact() for _ in range(3)]
    cc = make_contact()
    before = written()
    with pytest.raises(HeedfulError) as refused:
        open_tickets([
            request_for(requesters[0], "Fine", cc=[cc]),
            request_for(requesters[1], "   "),
            request_for(requesters[2], "Also fine"),
        ])
    assert refused.value.code == ErrorCode.INVALID
    assert "subject" in refused.value.fields
    assert written() == before


def test_open_tickets_with_nothing_to_open_writes_nothing():
    before = written()
    assert open_tickets([]) == []
    assert written() == before


# ------------------------------------------------------------------------------ add_messages
@pytest.fixture
def solved_ticket(ticket: Ticket, agent: Any) -> Ticket:
    agent_reply(ticket, agent, body="Fixed it.", status=Ticket.Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    return ticket


def test_two_customer_messages_to_a_solved_ticket_reopen_it_once(solved_ticket):
    ticket = solved_ticket
    earlier = list(ticket.events.values_list("pk", flat=True))
    first, second = add_messages([message_for(ticket, "Still broken."),
                                  message_for(ticket, "Really, still broken.")])

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.reopen_count == 1 and ticket.solved_at is None
    assert ticket.last_customer_message_at == second.created_at
    new = list(ticket.events.exclude(pk__in=earlier))
    assert [e.kind for e in new] == [Event.Kind.MESSAGE_IN, Event.Kind.STATUS, Event.Kind.MESSAGE_IN]
    assert new[0] == first and new[2] == second
    assert new[1].data == {"from": "solved", "to": "open", "reopen": True}
    assert new[1].author_contact == ticket.requester
    assert [e.body_text for e in (first, second)] == ["Still broken.", "Really, still broken."]


def test_add_messages_returns_each_messages_event_in_order_across_tickets(contact):
    one, two = make_ticket(requester=contact), make_ticket(requester=contact)
    # The second ticket is named first: the events still come back in the order asked.
    events = add_messages([message_for(two, "a"), message_for(one, "b"), message_for(two, "c")])
    assert [(e.ticket.pk, e.body_text) for e in events] == [(two.pk, "a"), (one.pk, "b"), (two.pk, "c")]
    assert [e.body_text for e in two.events.filter(kind=Event.Kind.MESSAGE_IN)][1:] == ["a", "c"]
    assert [e.pk for e in events] == sorted(e.pk for e in events)


def _queries_to_add(count: int, *, same_ticket: bool) -> int:
    if same_ticket:
        ticket = make_ticket()
        targets = [ticket] * count
    else:
        targets = [make_ticket() for _ in range(count)]
    agent = make_agent()
    for target in {t.pk: t for t in targets}.values():
        agent_reply(target, agent, status=Ticket.Status.SOLVED)
    messages = [message_for(t, f"Message {i}") for i, t in enumerate(targets)]
    with CaptureQueriesContext(connection) as captured:
        added = add_messages(messages)
    assert Event.objects.filter(pk__in=[e.pk for e in added], body_text__startswith="Message ").count() \
        == count
    return len(captured.captured_queries)


@pytest.mark.parametrize("same_ticket", [True, False], ids=["one-ticket", "one-ticket-each"])
def test_add_messages_sends_the_same_number_of_queries_for_2_and_for_10_messages(same_ticket):
    two = _queries_to_add(2, same_ticket=same_ticket)
    assert _queries_to_add(10, same_ticket=same_ticket) == two


def test_customer_message_to_a_closed_ticket_raises_and_writes_nothing(contact, agent):
    open_one = make_ticket(requester=contact)
    closed = make_ticket(requester=contact)
    update_ticket(ticket=closed, actor=agent.user, changes={"status": Ticket.Status.CLOSED})
    before = written()
    updated_at = Ticket.objects.get(pk=open_one.pk).updated_at
    with pytest.raises(HeedfulError) as refused:
        add_messages([message_for(open_one, "Fine."), message_for(closed, "Hello again?")])
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert written() == before
    assert Ticket.objects.get(pk=open_one.pk).updated_at == updated_at
    assert Ticket.objects.get(pk=closed.pk).status == Ticket.Status.CLOSED


def test_add_messages_with_an_empty_body_raises_before_writing(ticket):
    before = written()
    with pytest.raises(HeedfulError) as refused:
        add_messages([message_for(ticket, "Fine."), message_for(ticket, "  ")])
    assert refused.value.code == ErrorCode.INVALID
    assert written() == before


@pytest.mark.django_db
def test_open_tickets_with_tags_sends_the_same_number_of_queries_for_2_and_10():
    queries_to_open(1, tags=["billing", "vip"])  # the tags exist from now on: both runs find them
    assert queries_to_open(2, tags=["billing", "vip"]) == queries_to_open(10, tags=["billing", "vip"])
    tagged = Ticket.objects.filter(subject__startswith="Request ")
    assert tagged.count() == 13
    assert all(sorted(t.tags.values_list("name", flat=True)) == ["billing", "vip"] for t in tagged)
