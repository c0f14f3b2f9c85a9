"""The ticket page's mail decisions: Spam / Not spam, held messages accepted or refused, and
badges on mail that no person wrote or that did not arrive."""

from __future__ import annotations

import pytest

from heedful.mail.models import SpamToken
from heedful.mail.spam import HAM_DOCS, SPAM_DOCS
from heedful.tickets.models import Event, Ticket
from heedful.tickets.timeline import append_event
from tests.factories import TeamFactory, agent_reply, customer_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db


def page(client, ticket) -> str:
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def held_message(ticket: Ticket, email: str = "mallory@evil.example") -> Event:
    stranger = make_contact(email=email, name="Mallory")
    return customer_reply(ticket, contact=stranger, body="Send the refund to me", hidden=True,
                          flags=["held"], channel="email")


# Spam ----------------------------------------------------------------------------------------


def test_ticket_page_offers_spam_and_not_spam(agent_client, ticket):
    html = page(agent_client, ticket)
    assert f'action="/tickets/{ticket.number}/spam"' in html
    assert 'name="value" value="spam"' in html and 'name="value" value="not_spam"' in html


def test_marking_spam_moves_the_ticket_to_the_spam_queue(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/spam", {"value": "spam"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    ticket.refresh_from_db()
    assert ticket.spam
    assert SpamToken.objects.get(token=SPAM_DOCS).spam == 1
    assert "data-spam-notice" in page(agent_client, ticket)
    spam_queue = agent_client.get("/?queue=spam").content.decode()
    assert f"/tickets/{ticket.number}/" in spam_queue
    assert f"/tickets/{ticket.number}/" not in agent_client.get("/?queue=all").content.decode()


def test_not_spam_brings_it_back_and_teaches_ham(agent_client, contact):
    ticket = make_ticket(requester=contact, spam=True)
    agent_client.post(f"/tickets/{ticket.number}/spam", {"value": "not_spam"})
    ticket.refresh_from_db()
    assert not ticket.spam
    assert SpamToken.objects.get(token=HAM_DOCS).ham == 1


def test_queue_sidebar_links_to_the_spam_queue(agent_client):
    assert 'href="?queue=spam"' in agent_client.get("/").content.decode()


@pytest.mark.parametrize("value", ["", "yes", "SPAM"])
def test_unknown_spam_value_is_refused_on_the_page(agent_client, ticket, value):
    response = agent_client.post(f"/tickets/{ticket.number}/spam", {"value": value})
    assert response.status_code == 400
    assert "Choose spam or not spam." in response.content.decode()
    ticket.refresh_from_db()
    assert not ticket.spam


def test_spam_on_a_ticket_the_agent_cannot_see_is_404(client, ticket):
    outsider = make_agent(restricted=True, teams=[TeamFactory()])
    client.force_login(outsider.user)
    assert client.post(f"/tickets/{ticket.number}/spam", {"value": "spam"}).status_code == 404
    assert client.post("/tickets/999999/spam", {"value": "spam"}).status_code == 404
    ticket.refresh_from_db()
    assert not ticket.spam


def test_spam_needs_post(agent_client, ticket):
    assert agent_client.get(f"/tickets/{ticket.number}/spam").status_code == 405


# Held messages -------------------------------------------------------------------------------


def test_held_message_shows_a_banner_with_accept_and_refuse(agent_client, ticket):
    held = held_message(ticket)
    html = page(agent_client, ticket)
    assert "Held for review: mallory@evil.example is not on this ticket." in html
    assert f'action="/tickets/{ticket.number}/events/{held.pk}/held"' in html
    assert 'name="action" value="accept"' in html and 'name="action" value="reject"' in html


def test_accepting_a_held_message_adds_it_and_copies_the_sender(agent_client, ticket):
    held = held_message(ticket)
    response = agent_client.post(f"/tickets/{ticket.number}/events/{held.pk}/held", {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/#event-{held.pk}"
    released = ticket.events.get(data__released_from=held.pk)
    assert released.public and released.kind == "message_in" and "held" not in released.flags
    assert held.author_contact in ticket.participants.all()
    html = page(agent_client, ticket)
    assert "Held for review" not in html and 'data-flag="accepted"' in html


def test_refusing_a_held_message_keeps_it_internal(agent_client, ticket):
    held = held_message(ticket)
    agent_client.post(f"/tickets/{ticket.number}/events/{held.pk}/held", {"action": "reject"})
    assert not ticket.events.filter(data__released_from=held.pk).exists()
    assert ticket.events.get(kind="held_review").data["decision"] == "rejected"
    assert not ticket.participants.exists()
    assert 'data-flag="rejected"' in page(agent_client, ticket)


def test_deciding_on_a_message_that_is_not_held_is_refused(agent_client, ticket, agent):
    reply = customer_reply(ticket, body="Thanks!")
    response = agent_client.post(f"/tickets/{ticket.number}/events/{reply.pk}/held", {"action": "accept"})
    assert response.status_code == 400
    assert "This message is not waiting for review." in response.content.decode()


def test_unknown_held_action_is_refused(agent_client, ticket):
    held = held_message(ticket)
    response = agent_client.post(f"/tickets/{ticket.number}/events/{held.pk}/held", {"action": "delete"})
    assert response.status_code == 400
    held.refresh_from_db()
    assert "held" in held.flags


def test_held_message_of_another_ticket_is_404(agent_client, ticket):
    other = make_ticket()
    held = held_message(other)
    response = agent_client.post(f"/tickets/{ticket.number}/events/{held.pk}/held", {"action": "accept"})
    assert response.status_code == 404
    held.refresh_from_db()
    assert "held" in held.flags


def test_held_message_on_a_ticket_the_agent_cannot_see_is_404(client, ticket):
    held = held_message(ticket)
    outsider = make_agent(restricted=True, teams=[TeamFactory()])
    client.force_login(outsider.user)
    response = client.post(f"/tickets/{ticket.number}/events/{held.pk}/held", {"action": "accept"})
    assert response.status_code == 404


# Badges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "label"), [
    ("auto_submitted", "Automatic reply"), ("bounce", "Bounced"), ("bulk", "Bulk mail"), ("spam", "Spam"),
])
def test_mail_no_person_wrote_carries_a_badge(agent_client, ticket, flag, label):
    customer_reply(ticket, body="Out of office", hidden=True, flags=[flag], channel="email")
    assert f'data-flag="{flag}">{label}</span>' in page(agent_client, ticket)


def test_undelivered_reply_carries_a_badge(agent_client, ticket, agent):
    reply = agent_reply(ticket, agent)
    append_event(ticket=ticket, kind="delivery_failed", data={"event": reply.pk, "state": "failed"})
    assert 'data-flag="delivery_failed">Not delivered</span>' in page(agent_client, ticket)
