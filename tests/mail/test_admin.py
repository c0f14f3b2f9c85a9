"""The mail admin: received and outbound messages are read-only, failed ones can be processed or
sent again."""

from __future__ import annotations

import pytest

from heedful.mail.intake import accept_raw
from heedful.mail.models import OutboundMessage, RawMessage
from tests.factories import agent_reply, make_agent
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_agent):
    client.force_login(admin_agent.user)
    return client


def test_received_message_page_links_to_its_ticket_and_cannot_be_edited(admin_client, run_tasks):
    record = accept_raw(raw_mail(), via=RawMessage.Via.HTTP).raw
    run_tasks()
    record.refresh_from_db()
    page = admin_client.get("/admin/mail/rawmessage/").content.decode()
    assert f"/tickets/{record.ticket.number}/" in page
    detail = admin_client.get(f"/admin/mail/rawmessage/{record.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/mail/rawmessage/add/").status_code == 403


def test_reprocess_action_queues_only_failed_messages(admin_client, run_tasks):
    failed = accept_raw(raw_mail(subject="Broken"), via=RawMessage.Via.HTTP).raw
    fine = accept_raw(raw_mail(subject="Fine"), via=RawMessage.Via.HTTP).raw
    run_tasks()
    RawMessage.objects.filter(pk=failed.pk).update(state=RawMessage.State.FAILED, error="boom")
    response = admin_client.post("/admin/mail/rawmessage/", {
        "action": "reprocess", "_selected_action": [failed.pk, fine.pk]}, follow=True)
    assert "1 message(s) queued for processing; 1 skipped" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == RawMessage.State.PENDING and failed.error == ""
    run_tasks()
    failed.refresh_from_db()
    assert failed.state != RawMessage.State.PENDING


def test_retry_action_sends_a_failed_outbound_message_again(admin_client, ticket, mailoutbox,
                                                             run_tasks):
    event = agent_reply(ticket, make_agent(), body="Unplug it.")
    outbound = OutboundMessage.objects.get(event=event)
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        state=OutboundMessage.State.FAILED, attempts=5, last_error="550 no such user")
    response = admin_client.post("/admin/mail/outboundmessage/", {
        "action": "retry", "_selected_action": [outbound.pk]}, follow=True)
    assert "1 message(s) queued for delivery" in response.content.decode()
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.QUEUED and outbound.attempts == 0
    run_tasks()
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENT
    assert any("Unplug it." in message.body for message in mailoutbox)


def test_reprocessing_a_message_that_failed_records_it_on_a_ticket_of_its_own(
        admin_client, run_tasks, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("threading exploded")

    with monkeypatch.context() as patch:
        patch.setattr("heedful.mail.processing.find_tickets", broken)
        record = accept_raw(raw_mail(subject="Printer on fire"), via=RawMessage.Via.HTTP).raw
        run_tasks()
    record.refresh_from_db()
    assert record.state == RawMessage.State.FAILED
    fallback = record.ticket

    admin_client.post("/admin/mail/rawmessage/", {
        "action": "reprocess", "_selected_action": [record.pk]}, follow=True)
    run_tasks()

    record.refresh_from_db()
    assert record.state == RawMessage.State.PROCESSED, record.error
    assert record.ticket != fallback and record.ticket.subject == "Printer on fire"
    assert record.event.message_id == record.message_id != ""
    assert fallback.events.get().message_id == ""  # the raw-text copy stays, without the id
