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
    assert event.public and "held" not in event.flags and event.kind == "message_in"
    assert event.data["released_from"] == held.pk and event.body_text == held.body_text
    assert stranger in ticket.participants.all()
    held.refresh_from_db()
    assert not held.public and held.flags == ["held"]  # the original row never changes
    assert ticket.events.get(kind="held_review").data == {"event": held.pk, "decision": "accepted"}


def test_rejecting_keeps_the_message_internal():
    ticket = make_ticket()
    held = customer_reply(ticket, contact=make_contact(), hidden=True, flags=["held"])
    review = reject_held_message(event=held, actor=make_agent().user)
    assert review.kind == "held_review" and review.data == {"event": held.pk, "decision": "rejected"}
    assert not ticket.events.filter(kind="message_in", public=True).exclude(pk__lt=held.pk).exists()
    with pytest.raises(HeedfulError):
        accept_held_message(event=held, actor=make_agent().user)


def test_marking_spam_moves_ticket_and_teaches_classifier():
    ticket = make_ticket(subject="Cheap pills", body="Buy cheap pills now")
    mark_spam(ticket=ticket, actor=make_agent().user, spam=True)
    ticket.refresh_from_db()
    assert ticket.spam
    assert SpamToken.objects.get(token="pills").spam == 1
    assert SpamToken.objects.get(token=SPAM_DOCS).spam == 1
    mark_spam(ticket=ticket, actor=make_agent().user, spam=False)
    assert SpamToken.objects.get(token=HAM_DOCS).ham == 1
