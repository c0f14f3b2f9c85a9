from __future__ import annotations

import smtplib
import socket

import pytest

from heedful.mail.models import RawMessage
from heedful.mail.smtp_server import start_intake
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def intake():
    controller = start_intake("127.0.0.1", free_port())
    yield controller
    controller.stop()


def test_message_over_smtp_is_stored_before_250(intake, run_tasks):
    with smtplib.SMTP(intake.hostname, intake.port, timeout=10) as client:
        refused = client.sendmail("carol@example.org", ["support@heedful.test"], raw_mail())
    assert refused == {}
    record = RawMessage.objects.get()
    assert record.envelope_to == ["support@heedful.test"]
    run_tasks()
    record.refresh_from_db()
    assert record.ticket is not None


def test_oversized_message_gets_552(intake, settings):
    settings.MAIL_MAX_BYTES = 2000
    raw = raw_mail(body="line of text\n" * 500)
    with smtplib.SMTP(intake.hostname, intake.port, timeout=10) as client, pytest.raises(
        smtplib.SMTPException
    ) as refused:
        client.sendmail("carol@example.org", ["support@heedful.test"], raw)
    assert "552" in str(refused.value)
    assert not RawMessage.objects.exists()


def test_our_own_envelope_address_never_becomes_a_participant(intake, run_tasks):
    # No mailbox is configured: the address the MTA delivered to is still ours, not a customer.
    raw = raw_mail(to="help@desk.example", cc="Dave <dave@example.org>")
    with smtplib.SMTP(intake.hostname, intake.port, timeout=10) as client:
        client.sendmail("carol@example.org", ["help@desk.example"], raw)
    run_tasks()
    ticket = RawMessage.objects.get().ticket
    assert [c.primary_email for c in ticket.participants.all()] == ["dave@example.org"]
