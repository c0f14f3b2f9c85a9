"""A customer signs in by e-mailed link, submits a request with an attachment, and sees the
agent's reply."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from heedful.tickets.models import Ticket
from tests.factories import agent_reply, make_agent, make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_signs_in_submits_with_attachment_and_reads_reply(live_server, page, tmp_path):
    make_contact(name="Carol Customer", email="carol@example.org")
    screenshot = tmp_path / "error.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n fake image bytes")

    page.goto(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/sign-in/")
    page.locator('form[action$="/portal/sign-in/"] input[name="email"]').fill("carol@example.org")
    page.get_by_role("button", name=re.compile("send me a link", re.I)).click()
    page.get_by_text(re.compile("link", re.I)).first.wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/portal/sign-in/\S+/", mail.outbox[0].body).group(0)
    path = link.split("/portal/", 1)[1]
    page.goto(f"{live_server.url}/portal/{path}")
    page.get_by_role("button", name=re.compile("sign me in", re.I)).click()
    page.wait_for_url(lambda url: "/sign-in/" not in url)

    page.goto(f"{live_server.url}/portal/new/")
    page.get_by_label(re.compile("subject", re.I)).fill("App crashes on export")
    page.get_by_label(re.compile("how can we help", re.I)).fill("Export to CSV crashes, screenshot attached.")
    page.locator('input[type="file"]').set_input_files(str(screenshot))
    page.get_by_role("button", name=re.compile("send request", re.I)).click()
    page.wait_for_load_state()

    ticket = Ticket.objects.get(subject="App crashes on export")
    assert ticket.requester.primary_email == "carol@example.org"
    assert ticket.attachments.get().filename == "error.png"

    agent_reply(ticket, make_agent(name="Bob Agent"), body="Fixed in version 2.4.1, please update.")
    page.goto(f"{live_server.url}/portal/tickets/{ticket.number}/")
    body = page.locator("main").inner_text()
    assert "Fixed in version 2.4.1, please update." in body
    assert "error.png" in body
