from __future__ import annotations

import pytest

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.actions import reply_to_ticket, update_ticket
from heedful.tickets.models import Event, Ticket
from tests.concurrency import wait_until_blocked
from tests.factories import agent_reply, customer_reply, make_agent, make_ticket, upload

pytestmark = pytest.mark.django_db


def test_new_ticket_has_number_first_message_and_attachment(contact):
    ticket = make_ticket(requester=contact, attachments=[upload("../../etc/passwd", b"x")])
    assert ticket.number >= 1
    assert ticket.status == Ticket.Status.NEW
    event = ticket.events.get()
    assert event.kind == Event.Kind.MESSAGE_IN and event.author_contact == contact
    assert event.attachments.get().filename == "passwd"


def test_ticket_numbers_are_unique_and_increasing(contact):
    first, second = make_ticket(requester=contact), make_ticket(requester=contact)
    assert second.number == first.number + 1


def test_agent_reply_opens_new_ticket_and_records_first_response(ticket, agent):
    agent_reply(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_response_at is not None


def test_customer_reply_reopens_solved_ticket_and_counts_it(ticket, agent):
    agent_reply(ticket, agent, status=Ticket.Status.SOLVED)
    customer_reply(ticket, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.reopen_count == 1


def test_closed_ticket_refuses_customer_reply(ticket, agent):
    update_ticket(ticket=ticket, actor=agent.user, changes={"status": "closed"})
    with pytest.raises(HeedfulError) as refused:
        customer_reply(ticket)
    assert refused.value.code == ErrorCode.INVALID_TRANSITION


def test_invalid_status_transition_is_refused_with_code(ticket, agent):
    update_ticket(ticket=ticket, actor=agent.user, changes={"status": "closed"})
    with pytest.raises(HeedfulError) as refused:
        update_ticket(ticket=ticket, actor=agent.user, changes={"status": "open"})
    assert refused.value.code == ErrorCode.INVALID_TRANSITION


def test_transfer_away_from_owner_needs_reason(ticket, agent):
    other = make_agent()
    update_ticket(ticket=ticket, actor=agent.user, changes={"assignee": agent.user})
    with pytest.raises(HeedfulError) as refused:
        update_ticket(ticket=ticket, actor=agent.user, changes={"assignee": other.user})
    assert refused.value.code == ErrorCode.REASON_REQUIRED
    events = update_ticket(ticket=ticket, actor=agent.user, changes={
        "assignee": other.user, "transfer_reason": "Billing expert", "handoff_note": "Refund due"})
    assert events[0].kind == Event.Kind.TRANSFER
    assert events[0].data["reason"] == "Billing expert"


def test_note_is_internal(ticket, agent):
    event = reply_to_ticket(ticket=ticket, body="psst", author_user=agent.user, public=False)
    assert event.kind == Event.Kind.NOTE and not event.public


def test_hidden_customer_message_neither_shows_nor_reopens(ticket, agent):
    agent_reply(ticket, agent, status=Ticket.Status.SOLVED)
    event = customer_reply(ticket, body="Out of office", hidden=True, flags=["auto_submitted"])
    ticket.refresh_from_db()
    assert not event.public and event.flags == ["auto_submitted"]
    assert ticket.status == Ticket.Status.SOLVED and ticket.reopen_count == 0


def test_an_inbound_message_id_is_recorded_only_once(ticket):
    from django.db import IntegrityError, transaction

    customer_reply(ticket, message_id="<once@client.example>")
    with pytest.raises(IntegrityError), transaction.atomic():
        customer_reply(ticket, message_id="<once@client.example>")


def test_priority_rank_follows_priority(ticket, agent):
    update_ticket(ticket=ticket, actor=agent.user, changes={"priority": "urgent"})
    ticket.refresh_from_db()
    assert ticket.priority_rank == Ticket.PRIORITY_RANK["urgent"] == 4


# ------------------------------------------------- a ticket opened while its customer is merged


@pytest.mark.django_db(transaction=True)
def test_ticket_opened_while_its_customer_is_being_merged_lands_on_the_live_contact(supervisor):
    import threading

    from django.db import connection, transaction

    from heedful.tickets.contact_merge import merge_contacts
    from tests.factories import make_contact

    if connection.vendor != "postgresql":
        pytest.skip("SQLite write transactions run one at a time: the two cannot overlap")
    duplicate, keeper = make_contact(), make_contact()
    merging, release = threading.Event(), threading.Event()
    opened: list[Ticket] = []

    def merge_held_open() -> None:
        try:
            with transaction.atomic():  # the merge stays uncommitted until released
                merge_contacts(source=duplicate, target=keeper, actor=supervisor.user)
                merging.set()
                release.wait(timeout=30)
        finally:
            merging.set()
            connection.close()

    def mail_from_the_duplicate() -> None:
        try:
            opened.append(make_ticket(requester=duplicate, subject="Written meanwhile"))
        finally:
            connection.close()

    first = threading.Thread(target=merge_held_open)
    first.start()
    assert merging.wait(timeout=30)
    second = threading.Thread(target=mail_from_the_duplicate)
    second.start()
    waited = wait_until_blocked(second, attempts=100)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert waited, "the new ticket did not wait for the merge"
    assert Ticket.objects.get(subject="Written meanwhile").requester_id == keeper.pk
