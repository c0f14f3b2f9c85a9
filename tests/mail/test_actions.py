from __future__ import annotations

import pytest

from heedful.core.errors import HeedfulError
from heedful.mail.actions import accept_held_message, mark_spam, reject_held_message
from heedful.mail.models import SpamToken
from heedful.mail.spam import HAM_DOCS, SPAM_DOCS
from tests.factories import customer_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db


def test_accepting_a_held_message_shows_it_and_adds_the_sender():
    ticket, stranger = make_ticket(), make_contact()
    held = customer_reply(ticket, contact=stranger, body="Me too", hidden=True, flags=["held"])
    event = accept_held_message(event=held, actor=make_agent().user)
    assert event.public and "held" not in event.flags
    assert stranger in ticket.participants.all()


def test_rejecting_keeps_the_message_internal():
    ticket = make_ticket()
    held = customer_reply(ticket, contact=make_contact(), hidden=True, flags=["held"])
    event = reject_held_message(event=held, actor=make_agent().user)
    assert not event.public and event.flags == ["rejected"]
    with pytest.raises(HeedfulError):
        accept_held_message(event=event, actor=make_agent().user)


def test_marking_spam_moves_ticket_and_teaches_classifier():
    ticket = make_ticket(subject="Cheap pills", body="Buy cheap pills now")
    mark_spam(ticket=ticket, actor=make_agent().user, spam=True)
    ticket.refresh_from_db()
    assert ticket.spam
    assert SpamToken.objects.get(token="pills").spam == 1
    assert SpamToken.objects.get(token=SPAM_DOCS).spam == 1
    mark_spam(ticket=ticket, actor=make_agent().user, spam=False)
    assert SpamToken.objects.get(token=HAM_DOCS).ham == 1
