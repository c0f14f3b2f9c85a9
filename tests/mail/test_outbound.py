"""Outbound mail over real SMTP: an aiosmtpd sink on a loopback port receives what Heedful sends.

Replies carry threading headers and a signed Reply-To, acknowledgements are written in the
customer's language and never answer automatic mail or our own addresses, and delivery failures
retry or show on the event.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from heedful.config import env
from heedful.core.errors import Invalid
from heedful.mail import outbound, tokens
from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage
from heedful.tickets.models import Event, Ticket
from tests.api.conftest import api_for
from tests.factories import agent_reply, make_agent, make_contact, make_ticket, upload
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db


class SinkHandler:
    """Keeps every message it accepts; answers RCPT or DATA with a chosen refusal when told to."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.peers: list[Any] = []
        self.rcpt_answer = ""
        self.data_answer = ""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_answer:
            return self.data_answer
        self.envelopes.append(envelope)
        self.peers.append(session.peer)  # the client's address and port: one per connection
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]  # type: ignore[misc]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def sink(settings: Any) -> Iterator[SinkHandler]:
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield handler
    controller.stop()


@pytest.fixture
def mailbox(db: None) -> Mailbox:
    return Mailbox.objects.create(name="Support", address="support@heedful.test",
                                  from_name="Acme Support", auto_acknowledge=False)


def ingest(raw: bytes, run_tasks: Any) -> RawMessage:
    accepted = accept_raw(raw, via=RawMessage.Via.SMTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    return accepted.raw


def email_ticket(run_tasks: Any, **mail: Any) -> Ticket:
    record = ingest(raw_mail(message_id="<first@client.example>", **mail), run_tasks)
    assert record.ticket is not None
    return record.ticket


def alternative_types(message: EmailMessage) -> list[str]:
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    return [p.get_content_type() for p in alternative.iter_parts()]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n").strip()  # type: ignore[attr-defined]


# Replies -------------------------------------------------------------------------------------


def test_agent_reply_is_sent_as_text_and_html_from_the_mailbox(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks, cc="Dave <dave@example.org>")
    reply = agent_reply(ticket, make_agent(), body="Unplug it, please.",
                        attachments=[upload("steps.pdf", b"%PDF-1.4 tiny", "application/pdf")])
    run_tasks()

    (message,) = sink.messages()
    reply.refresh_from_db()
    assert alternative_types(message) == ["text/plain", "text/html"]
    assert text_of(message) == "Unplug it, please."
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Acme Support", "support@heedful.test")
    assert message["Message-ID"] == reply.message_id and reply.message_id.endswith("@heedful.test>")
    assert f"[#{ticket.number}]" in message["Subject"]
    assert message["Content-Language"] == "en"
    assert "Auto-Submitted" not in message
    files = [(p.get_filename(), p.get_content_type()) for p in message.iter_attachments()]
    assert files == [("steps.pdf", "application/pdf")]


def test_reply_goes_to_the_requester_with_participants_copied(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks, cc="Dave <dave@example.org>")
    agent_reply(ticket, make_agent())
    run_tasks()

    (message,) = sink.messages()
    assert [a.addr_spec for a in message["To"].addresses] == ["carol@example.org"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["dave@example.org"]
    assert sorted(sink.envelopes[0].rcpt_tos) == ["carol@example.org", "dave@example.org"]
    assert sink.envelopes[0].mail_from == "support@heedful.test"


def test_reply_threads_under_the_customers_last_message(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks)
    agent = make_agent()
    first = agent_reply(ticket, agent, body="Unplug it.")
    run_tasks()
    first.refresh_from_db()
    ingest(raw_mail(message_id="<second@client.example>", subject="Re: Printer on fire",
                    body="Done, it still smokes.", in_reply_to=first.message_id,
                    references=f"<first@client.example> {first.message_id}"), run_tasks)
    agent_reply(ticket, agent, body="Call the fire brigade.")
    run_tasks()

    last = sink.messages()[-1]
    assert last["In-Reply-To"] == "<second@client.example>"
    assert last["References"].split() == ["<first@client.example>", first.message_id,
                                          "<second@client.example>"]


def test_message_id_sent_is_the_one_the_api_shows(mailbox, sink, run_tasks, agent):
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, agent, body="On it.")
    run_tasks()

    events = api_for(agent).get(f"/tickets/{ticket.pk}/events").json()["results"]
    shown = next(e for e in events if e["id"] == reply.pk)
    assert shown["message_id"] == sink.messages()[0]["Message-ID"]
    # and the API finds the ticket by the Message-ID we sent
    found = api_for(agent).get("/tickets", {"message_id": shown["message_id"]}).json()["results"]
    assert [t["id"] for t in found] == [ticket.pk]


def test_reply_to_the_signed_reply_to_address_threads_back(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks)
    agent_reply(ticket, make_agent(), body="Which model is it?")
    run_tasks()
    reply_to = sink.messages()[0]["Reply-To"]
    assert reply_to == tokens.reply_address("support@heedful.test", ticket.number)

    # The customer's client keeps only the Reply-To: no References, no subject tag.
    record = ingest(raw_mail(to=reply_to, subject="model", body="It is an LX-200."), run_tasks)
    assert record.ticket == ticket
    assert record.event.kind == Event.Kind.MESSAGE_IN and record.event.public


def test_reply_without_a_mailbox_is_sent_from_the_default_address(sink, run_tasks, settings):
    settings.DEFAULT_FROM_EMAIL = "help@desk.example"
    ticket = make_ticket(requester=make_contact(email="erin@example.org"))
    agent_reply(ticket, make_agent())
    run_tasks()
    (message,) = sink.messages()
    assert message["From"].addresses[0].addr_spec == "help@desk.example"
    assert message["Reply-To"] == tokens.reply_address("help@desk.example", ticket.number)


def test_internal_note_is_never_mailed(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks)
    agent_reply(ticket, make_agent(), body="Customer seems upset.", public=False)
    run_tasks()
    assert sink.envelopes == [] and not OutboundMessage.objects.exists()


# Delivery failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_temporary_failure_retries_later(mailbox, sink, run_tasks, stage):
    setattr(sink, f"{stage}_answer", "451 4.3.0 Try again later")
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, make_agent())
    run_tasks()

    sent = OutboundMessage.objects.get(event=reply)
    assert sent.state == OutboundMessage.State.RETRYING and sent.attempts == 1
    assert "451" in sent.last_error
    again = DBTaskResult.objects.filter(status="READY", task_path__endswith="send_outbound_message")
    (task,) = [t for t in again if t.args_kwargs["kwargs"] == {"outbound_id": sent.pk}]
    assert task.run_after > timezone.now()
    reply.refresh_from_db()
    assert "delivery_failed" not in reply.flags


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_permanent_failure_shows_on_the_event(mailbox, sink, run_tasks, agent, stage):
    setattr(sink, f"{stage}_answer", "550 5.1.1 No such user")
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, agent)
    run_tasks()

    sent = OutboundMessage.objects.get(event=reply)
    assert sent.state == OutboundMessage.State.FAILED and "550" in sent.last_error
    events = api_for(agent).get(f"/tickets/{ticket.pk}/events").json()["results"]
    assert "delivery_failed" in next(e for e in events if e["id"] == reply.pk)["flags"]
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_sending_twice_sends_once(mailbox, sink, run_tasks):
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, make_agent())
    run_tasks()
    sent = OutboundMessage.objects.get(event=reply)
    assert outbound.send(sent.pk) == "skipped"
    from heedful.mail.tasks import send_outbound_message

    send_outbound_message.enqueue(outbound_id=sent.pk)
    run_tasks()
    assert len(sink.envelopes) == 1
    sent.refresh_from_db()
    assert sent.state == OutboundMessage.State.SENT and sent.attempts == 1


def test_a_retry_that_succeeds_sends_once(mailbox, sink, run_tasks):
    sink.data_answer = "421 4.7.0 Too busy"
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, make_agent())
    run_tasks()
    sink.data_answer = ""
    sent = OutboundMessage.objects.get(event=reply)
    assert outbound.send(sent.pk) == "sent"
    assert outbound.send(sent.pk) == "skipped"
    assert len(sink.envelopes) == 1


def test_unreachable_server_retries(mailbox, run_tasks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 3
    ticket = email_ticket(run_tasks)
    reply = agent_reply(ticket, make_agent())
    run_tasks()
    assert OutboundMessage.objects.get(event=reply).state == OutboundMessage.State.RETRYING


# Acknowledgements ----------------------------------------------------------------------------


@pytest.fixture
def acknowledging(mailbox: Mailbox) -> Mailbox:
    Mailbox.objects.filter(pk=mailbox.pk).update(auto_acknowledge=True)
    mailbox.refresh_from_db()
    return mailbox


def acknowledgements() -> list[Event]:
    return [e for e in Event.objects.filter(kind=Event.Kind.MESSAGE_OUT) if "auto_reply" in e.flags]


def test_acknowledgement_is_automatic_and_says_so(acknowledging, sink, run_tasks):
    ticket = email_ticket(run_tasks)
    (message,) = sink.messages()
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == "<first@client.example>"
    assert message["Reply-To"] == tokens.reply_address("support@heedful.test", ticket.number)
    assert f"#{ticket.number}" in text_of(message)


def test_acknowledgement_answers_the_first_message_when_a_second_came_before_it_was_sent(
        acknowledging, sink, run_tasks):
    accept_raw(raw_mail(message_id="<first@client.example>"), via=RawMessage.Via.SMTP)
    accept_raw(raw_mail(subject="Re: Printer on fire", message_id="<second@client.example>",
                        in_reply_to="<first@client.example>", references="<first@client.example>"),
               via=RawMessage.Via.SMTP)
    run_tasks()  # one batch: the ticket, its acknowledgement, then the second message
    (message,) = sink.messages()
    assert message["In-Reply-To"] == "<first@client.example>"
    assert "<second@client.example>" not in (message["References"] or "")


def test_acknowledgement_is_written_in_the_contacts_language(acknowledging, sink, run_tasks):
    li = make_contact(email="li@example.cn", name="Li Lei", language="zh-hans")
    ticket = email_ticket(run_tasks, sender="Li Lei <li@example.cn>", subject="Printer",
                          body="It is broken.")
    (message,) = sink.messages()
    assert message["Content-Language"] == "zh-hans"
    with translation.override("zh-hans"):
        expected = render_to_string("mail/acknowledgement.txt", {"ticket": ticket, "contact": li})
    assert text_of(message) == expected.replace("\r\n", "\n").strip()


def test_acknowledgement_falls_back_to_the_tickets_language(acknowledging, sink, run_tasks):
    ticket = email_ticket(run_tasks, sender="wang@example.cn", subject="打印机",
                          body="我的打印机坏了，昨天开始就不能打印了，请帮我看看怎么办。")
    assert ticket.language == "zh"
    (message,) = sink.messages()
    assert message["Content-Language"] == "zh-hans"  # the supported variant of zh


def test_acknowledgements_are_rate_limited_per_sender(acknowledging, sink, run_tasks, settings):
    settings.MAIL_ACK_PER_SENDER_PER_HOUR = 2
    for n in range(3):
        ingest(raw_mail(subject=f"Question {n}", message_id=f"<q{n}@client.example>"), run_tasks)
    ingest(raw_mail(sender="dave@example.org", subject="Other"), run_tasks)
    assert Ticket.objects.count() == 4
    assert sorted(m["To"].addresses[0].addr_spec for m in sink.messages()) == [
        "carol@example.org", "carol@example.org", "dave@example.org"]


def test_mailbox_can_switch_acknowledgements_off(mailbox, sink, run_tasks):
    email_ticket(run_tasks)
    assert sink.envelopes == [] and acknowledgements() == []


def test_mail_to_no_configured_mailbox_is_acknowledged_from_the_default_sender(
        db, sink, run_tasks, settings):
    settings.MAIL_ACKNOWLEDGE = True
    ticket = email_ticket(run_tasks)
    (message,) = sink.messages()
    assert message["From"].addresses[0].addr_spec == settings.DEFAULT_FROM_EMAIL
    assert message["To"].addresses[0].addr_spec == "carol@example.org"
    assert f"#{ticket.number}" in text_of(message)


def test_acknowledging_mail_to_no_configured_mailbox_can_be_switched_off(db, sink, run_tasks, settings):
    settings.MAIL_ACKNOWLEDGE = False
    email_ticket(run_tasks)
    assert sink.envelopes == [] and acknowledgements() == []


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"List-Id": "<news.shop.example>"},
    {"X-Autoreply": "yes"},
])
def test_automatic_and_bulk_mail_is_never_acknowledged(acknowledging, sink, run_tasks, headers):
    email_ticket(run_tasks, headers=headers)
    assert sink.envelopes == [] and acknowledgements() == []


def test_bounce_is_never_acknowledged(acknowledging, sink, run_tasks):
    email_ticket(run_tasks, sender="MAILER-DAEMON@mx.example.org", subject="Undelivered Mail")
    assert sink.envelopes == [] and acknowledgements() == []


@pytest.mark.parametrize("sender", [
    "support@heedful.test",  # the mailbox itself
    "Sales <sales@heedful.test>",  # another of our mailboxes
    "support+t7.0123456789@heedful.test",  # one of our reply addresses
    "noreply@heedful.localhost",  # DEFAULT_FROM_EMAIL
])
def test_mail_from_our_own_addresses_is_never_answered(acknowledging, sink, run_tasks, settings, sender):
    settings.DEFAULT_FROM_EMAIL = "noreply@heedful.localhost"
    Mailbox.objects.create(name="Sales", address="sales@heedful.test")
    email_ticket(run_tasks, sender=sender)
    assert sink.envelopes == [] and acknowledgements() == []


def test_agent_reply_never_goes_to_our_own_address(mailbox, sink, run_tasks):
    ticket = make_ticket(requester=make_contact(email="support@heedful.test"))
    with pytest.raises(Invalid) as refused:
        agent_reply(ticket, make_agent())
    assert "channel" in refused.value.fields
    run_tasks()
    assert sink.envelopes == [] and not OutboundMessage.objects.exists()
    assert not ticket.events.filter(kind=Event.Kind.MESSAGE_OUT).exists()


# HEEDFUL_EMAIL_URL ---------------------------------------------------------------------------


def test_email_url_empty_prints_to_the_console():
    assert env.email("") == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


def test_email_url_plain_smtp():
    config = env.email("smtp://127.0.0.1:2526")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("127.0.0.1", 2526)
    assert config["EMAIL_USE_TLS"] is False and config["EMAIL_USE_SSL"] is False
    assert config["EMAIL_HOST_USER"] == "" and config["EMAIL_HOST_PASSWORD"] == ""


def test_email_url_with_starttls_and_credentials():
    config = env.email("smtp://desk%40acme.example:s3cr%2Ft@mail.acme.example:587?tls=1&timeout=5")
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.acme.example", 587)
    assert config["EMAIL_HOST_USER"] == "desk@acme.example"
    assert config["EMAIL_HOST_PASSWORD"] == "s3cr/t"
    assert config["EMAIL_USE_TLS"] is True and config["EMAIL_USE_SSL"] is False
    assert config["EMAIL_TIMEOUT"] == 5


def test_email_url_smtps_defaults_to_port_465():
    config = env.email("smtps://user:pw@mail.acme.example")
    assert config["EMAIL_PORT"] == 465 and config["EMAIL_USE_SSL"] is True
    assert env.email("smtp://mail.acme.example")["EMAIL_PORT"] == 25


@pytest.mark.parametrize("url", ["http://mail.example", "imap://mail.example:993", "mail.example:25"])
def test_email_url_with_a_bad_scheme_is_refused(url):
    with pytest.raises(env.ConfigError, match="HEEDFUL_EMAIL_URL"):
        env.email(url)


# Sending in batches ------------------------------------------------------------------------


def test_replies_to_many_tickets_share_one_job_and_one_smtp_connection(mailbox, sink, run_tasks):
    agent = make_agent()
    tickets = [make_ticket(requester=make_contact(email=f"c{n}@example.org")) for n in range(5)]
    for ticket in tickets:
        agent_reply(ticket, agent, body="On it.")
    waiting = DBTaskResult.objects.filter(status="READY", task_path__endswith="send_queued_mail")
    assert waiting.count() == 1
    run_tasks()
    assert len(sink.envelopes) == 5 and len(set(sink.peers)) == 1
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {OutboundMessage.State.SENT}
    assert set(OutboundMessage.objects.values_list("attempts", flat=True)) == {1}


def test_a_message_that_cannot_be_built_is_retried_and_the_rest_still_go_out(
        mailbox, sink, run_tasks, monkeypatch):
    agent = make_agent()
    broken = agent_reply(make_ticket(requester=make_contact(email="x@example.org")), agent, body="A")
    fine = agent_reply(make_ticket(requester=make_contact(email="y@example.org")), agent, body="B")
    real = outbound.build_message

    def build(message: OutboundMessage) -> Any:
        if message.event_id == broken.pk:
            raise FileNotFoundError("attachment missing from storage")
        return real(message)

    monkeypatch.setattr(outbound, "build_message", build)
    run_tasks()
    assert OutboundMessage.objects.get(event=fine).state == OutboundMessage.State.SENT
    stuck = OutboundMessage.objects.get(event=broken)
    assert stuck.state == OutboundMessage.State.RETRYING and "attachment missing" in stuck.last_error


def test_a_message_held_by_another_sender_is_left_to_it(mailbox, sink, run_tasks):
    reply = agent_reply(make_ticket(), make_agent(), body="On it.")
    message = OutboundMessage.objects.get(event=reply)
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=OutboundMessage.State.SENDING, claimed_at=timezone.now())
    assert outbound.send(message.pk) == "skipped"
    run_tasks()
    assert sink.envelopes == []


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_mail_a_dead_sender_left_is_sent_when_a_worker_starts(mailbox, sink, settings):
    from datetime import timedelta

    from django.core.management import call_command

    settings.TASK_STALE_SECONDS = 60
    reply = agent_reply(make_ticket(), make_agent(), body="On it.")
    message = OutboundMessage.objects.get(event=reply)
    DBTaskResult.objects.all().delete()  # the sender died with its job
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=OutboundMessage.State.SENDING, claimed_at=timezone.now() - timedelta(minutes=5))
    call_command("heedful_worker", batch=True, interval=0, verbosity=0)
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT and len(sink.envelopes) == 1


def test_mail_a_dead_sender_left_goes_out_with_the_next_sending_job(mailbox, sink, run_tasks, settings):
    from datetime import timedelta

    settings.TASK_STALE_SECONDS = 60
    agent = make_agent()
    left = agent_reply(make_ticket(requester=make_contact(email="x@example.org")), agent, body="A")
    OutboundMessage.objects.filter(event=left).update(
        state=OutboundMessage.State.SENDING, claimed_at=timezone.now() - timedelta(minutes=5))
    run_tasks()
    agent_reply(make_ticket(requester=make_contact(email="y@example.org")), agent, body="B")
    run_tasks()
    assert OutboundMessage.objects.get(event=left).state == OutboundMessage.State.SENT
    assert len(sink.envelopes) == 2
