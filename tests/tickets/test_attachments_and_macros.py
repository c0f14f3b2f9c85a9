from __future__ import annotations

import pytest

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.attachments import sanitize_filename
from heedful.tickets.macros import render_saved_reply
from tests.factories import SavedReplyFactory, make_agent, make_contact, make_ticket, upload


@pytest.mark.parametrize(("raw", "safe"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\evil.exe", "evil.exe"),
    ("a\x00b\nc.txt", "a_b_c.txt"), (".htaccess", "htaccess"), ("", "attachment"),
    ("报告.pdf", "报告.pdf"),
])
def test_filenames_are_sanitised(raw, safe):
    assert sanitize_filename(raw) == safe


@pytest.mark.django_db
def test_oversized_attachment_is_refused_and_nothing_is_stored(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    contact = make_contact()
    with pytest.raises(HeedfulError) as refused:
        make_ticket(requester=contact, attachments=[upload(content=b"x" * 11)])
    assert refused.value.code == ErrorCode.TOO_LARGE
    assert not contact.requested_tickets.exists()


@pytest.mark.django_db
def test_same_bytes_are_stored_once():
    first = make_ticket(attachments=[upload("a.txt", b"same")]).attachments.get()
    second = make_ticket(attachments=[upload("b.txt", b"same")]).attachments.get()
    assert first.file.name == second.file.name and first.filename != second.filename


@pytest.mark.django_db
def test_saved_reply_fills_customer_ticket_and_agent_and_keeps_unknown_placeholders():
    agent = make_agent(name="Dana Lee")
    ticket = make_ticket(requester=make_contact(name="Ravi Kumar", plan="Pro"))
    reply = SavedReplyFactory(body="Hi {{ customer.first_name }} ({{customer.plan}}), "
                                   "#{{ ticket.number }} - {{ agent.name }} {{ order.id }}")
    text = render_saved_reply(reply, ticket=ticket, agent=agent)
    assert text == f"Hi Ravi (Pro), #{ticket.number} - Dana Lee {{{{ order.id }}}}"
