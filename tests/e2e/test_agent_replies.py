"""An agent signs in, opens a ticket, replies, and sees the reply in the timeline."""

from __future__ import annotations

import re

import pytest

from heedful.tickets.models import Event
from tests.factories import PASSWORD, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_signs_in_opens_ticket_and_reply_lands_on_timeline(live_server, page):
    agent = make_agent(email="alice@heedful.test", name="Alice Agent")
    ticket = make_ticket(requester=make_contact(name="Carol Customer"),
                         subject="Invoice shows the wrong VAT", body="My invoice charges 25% VAT.")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label(re.compile("e-mail", re.I)).fill("alice@heedful.test")
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))

    page.goto(f"{live_server.url}/?queue=all")
    page.get_by_role("link", name=re.compile("Invoice shows the wrong VAT")).first.click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.number}/"))
    assert page.locator("[data-timeline]").inner_text().count("25% VAT") == 1

    page.locator("#composer-body").fill("Sorry about that, Carol. A corrected invoice is on its way.")
    page.get_by_role("button", name=re.compile("send reply", re.I)).click()
    timeline = page.locator("[data-timeline]")
    timeline.get_by_text("A corrected invoice is on its way.").wait_for()

    reply = Event.objects.get(ticket=ticket, kind=Event.Kind.MESSAGE_OUT)
    assert reply.author_user == agent.user and reply.public
    page.reload()
    assert "A corrected invoice is on its way." in page.locator("[data-timeline]").inner_text()
