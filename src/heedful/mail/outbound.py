"""Sending replies and acknowledgements: threading headers, Reply-To token, retries."""

from __future__ import annotations

import datetime
import logging
import re
import secrets
import smtplib
from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from heedful.core.html import text_to_html
from heedful.mail import tokens
from heedful.mail.addresses import is_own_address, own_addresses
from heedful.mail.models import AcknowledgementLog, Mailbox, OutboundMessage, RawMessage
from heedful.people.models import Contact, ContactIdentity
from heedful.tickets.models import Channel, Event, Ticket
from heedful.tickets.timeline import append_event, build_event

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,63}$")
AUTO_REPLY = "auto_reply"


def backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(60 * 2 ** (attempts - 1), 4 * 3600))


def new_message_id(mailbox: Mailbox | None) -> str:
    domain = (mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL).rpartition("@")[2]
    return f"<heedful.{timezone.now():%Y%m%d%H%M%S}.{secrets.token_hex(8)}@{domain or 'localhost'}>"


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    raw = (RawMessage.objects.filter(ticket=ticket, mailbox__isnull=False)
           .select_related("mailbox").order_by("id").first())
    if raw is not None and raw.mailbox is not None and raw.mailbox.active:
        return raw.mailbox
    if ticket.team_id is not None:
        by_team = Mailbox.objects.filter(team_id=ticket.team_id, active=True).first()
        if by_team is not None:
            return by_team
    return Mailbox.objects.filter(active=True).order_by("id").first()


def recipients_for(ticket: Ticket) -> list[str]:
    """The requester first, then the participants (sent as Cc); never our own addresses."""
    return recipients_for_many([ticket])[ticket.pk]


def recipients_for_many(tickets: list[Ticket], *, own: set[str] | None = None) -> dict[int, list[str]]:
    """recipients_for of each ticket (by id), with one read of participants and addresses."""
    participants: dict[int, list[int]] = {ticket.pk: [] for ticket in tickets}
    rows = Ticket.participants.through.objects.filter(ticket_id__in=list(participants)).order_by("id")
    for ticket_id, contact_id in rows.values_list("ticket_id", "contact_id"):
        participants[ticket_id].append(contact_id)
    order = {t.pk: [t.requester_id, *participants[t.pk]] for t in tickets}
    addresses = mail_addresses({c for ids in order.values() for c in ids}, own=own)
    return {ticket_id: list(dict.fromkeys(addresses[c] for c in contact_ids if c in addresses))
            for ticket_id, contact_ids in order.items()}


def mail_addresses(contact_ids: set[int], *, own: set[str] | None = None) -> dict[int, str]:
    """The address we write to, per contact that has one: its oldest e-mail identity, unless
    that is a placeholder or one of our own addresses. One query for everyone."""
    first_email: dict[int, ContactIdentity] = {}
    for identity in ContactIdentity.objects.filter(
        contact_id__in=contact_ids, kind=ContactIdentity.Kind.EMAIL,
    ).order_by("id"):
        first_email.setdefault(identity.contact_id, identity)
    own = own_addresses() if own is None else own
    return {contact_id: identity.value for contact_id, identity in first_email.items()
            if not identity.normalized.endswith("@invalid.example")
            and not is_own_address(identity.normalized, own)}


def language_for(contact: Contact | None, ticket: Ticket) -> str:
    """The language to write to a customer in: theirs, else the ticket's, as one we support."""
    for code in ((contact.language if contact else ""), ticket.language):
        if not code:
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Acknowledgement:
    """An automatic "we got your request" for a new ticket: to `to`, who wrote from `address`,
    from `mailbox` (None: the default sender)."""

    ticket: Ticket
    mailbox: Mailbox | None
    to: Contact
    address: str


def queue_acknowledgements(
    requests: list[Acknowledgement], *, own: set[str] | None = None,
) -> list[Event | None]:
    """The automatic "we got your request" mails, each in its customer's language, at most a
    few per sender per hour, never to one of our own addresses (two help desks must not answer
    each other forever), and only when the mailbox acknowledges at all (mail that reached no
    configured mailbox follows HEEDFUL_MAIL_ACKNOWLEDGE). A few statements for any number;
    returns each one's event, or None where none is sent."""
    own = own_addresses() if own is None else own
    wanted = [
        request for request in requests
        if request.address
        and (request.mailbox.auto_acknowledge if request.mailbox else settings.MAIL_ACKNOWLEDGE)
        and not is_own_address(request.address, own)
    ]
    if not wanted:
        return [None for _request in requests]
    since = timezone.now() - datetime.timedelta(hours=1)
    sent = dict(
        AcknowledgementLog.objects.filter(
            address__in={r.address.lower() for r in wanted}, sent_at__gte=since)
        .values("address").annotate(count=Count("id")).values_list("address", "count")
    )
    chosen = []
    for request in wanted:
        address = request.address.lower()
        if sent.get(address, 0) < settings.MAIL_ACK_PER_SENDER_PER_HOUR:
            sent[address] = sent.get(address, 0) + 1
            chosen.append(request)
    AcknowledgementLog.objects.bulk_create(AcknowledgementLog(address=r.address.lower()) for r in chosen)
    events = Event.objects.bulk_create(_acknowledgement_event(request) for request in chosen)
    recipients = recipients_for_many([request.ticket for request in chosen], own=own)
    outbound = OutboundMessage.objects.bulk_create(
        OutboundMessage(event=event, mailbox=request.mailbox, message_id=event.message_id,
                        recipients=recipients[request.ticket.pk])
        for request, event in zip(chosen, events, strict=True) if recipients[request.ticket.pk]
    )
    if outbound:
        schedule_sending()
    queued = {message.event_id: message.event for message in outbound}
    by_request = {id(request): queued.get(event.pk) for request, event in zip(chosen, events, strict=True)}
    return [by_request.get(id(request)) for request in requests]


def _acknowledgement_event(request: Acknowledgement) -> Event:
    language = language_for(request.to, request.ticket)
    with translation.override(language):
        body = render_to_string("mail/acknowledgement.txt",
                                {"ticket": request.ticket, "contact": request.to})
    return build_event(
        ticket=request.ticket, kind=Event.Kind.MESSAGE_OUT, channel=Channel.EMAIL, public=True,
        body_text=body.strip(), flags=[AUTO_REPLY], language=language,
        message_id=new_message_id(request.mailbox), delivery_channel=Channel.EMAIL,
    )


def _references(ticket: Ticket, own: str, before: int) -> tuple[str, list[str]]:
    """In-Reply-To and References from the messages recorded before this one: an acknowledgement
    answers the first message even when the customer wrote again before it was sent."""
    ids = list(Event.objects.filter(ticket=ticket, pk__lt=before).exclude(message_id="")
               .exclude(message_id=own)
               .order_by("created_at", "id").values_list("message_id", "kind"))
    inbound = [m for m, kind in ids if kind == Event.Kind.MESSAGE_IN]
    in_reply_to = inbound[-1] if inbound else (ids[-1][0] if ids else "")
    refs = [m for m, _kind in ids][-20:]
    return in_reply_to, refs


def _mime_type(declared: str) -> str:
    """The declared type when it is a plain type/subtype, else application/octet-stream."""
    value = (declared or "").split(";")[0].strip().lower()
    return value if _MIME_TYPE.match(value) else "application/octet-stream"


def build_message(outbound: OutboundMessage) -> EmailMultiAlternatives:
    event = outbound.event
    ticket = event.ticket
    mailbox = outbound.mailbox
    address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    sender_name = (mailbox.from_name if mailbox and mailbox.from_name else
                   str(event.author_user.agent) if event.author_user and hasattr(event.author_user, "agent")
                   else "")
    from_header = formataddr((sender_name, address)) if sender_name else address
    subject = f"Re: {ticket.subject} {tokens.subject_tag(ticket.number)}"
    in_reply_to, refs = _references(ticket, outbound.message_id, before=event.pk)
    headers = {
        "Message-ID": outbound.message_id,
        "Reply-To": tokens.reply_address(address, ticket.number),
        "X-Heedful-Ticket": str(ticket.number),
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if refs:
        headers["References"] = " ".join(refs)
    headers["Content-Language"] = event.language or language_for(ticket.requester, ticket)
    if AUTO_REPLY in event.flags:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    # The requester in To, everyone else copied (they see who else reads the answer).
    message = EmailMultiAlternatives(
        subject=subject, body=event.body_text, from_email=from_header, to=outbound.recipients[:1],
        cc=outbound.recipients[1:], headers=headers,
    )
    message.attach_alternative(event.body_html or text_to_html(event.body_text), "text/html")
    for attachment in event.attachments.all():
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), _mime_type(attachment.content_type))
    return message


def schedule_sending() -> None:
    from heedful.mail.scheduling import schedule_job
    from heedful.mail.tasks import send_queued_mail

    schedule_job(send_queued_mail)


SENDABLE = (OutboundMessage.State.QUEUED, OutboundMessage.State.RETRYING)
MORE = "more"  # in send_queued's totals: it stopped at max_batches with mail still queued


def send_queued(limit: int | None = None, *, max_batches: int = 20) -> dict[str, int]:
    """Send queued messages, a batch at a time over one SMTP connection, until none is left or
    `max_batches` are done (then `totals["more"]` is 1 and the caller queues a new job).
    Returns how many ended in each outcome (sent, retrying, failed)."""
    totals: dict[str, int] = {}
    requeue_stale_sending()  # a sender that died need not wait for a worker restart
    for _round in range(max_batches):
        batch = _claim(OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED),
                       limit or settings.MAIL_BATCH_SIZE)
        if not batch:
            return totals
        for outcome in _deliver_all(batch):
            totals[outcome] = totals.get(outcome, 0) + 1
    totals[MORE] = 1
    return totals


def send(outbound_id: int) -> str:
    """Send one message (a retry, or an agent's "send again"); temporary failures retry with
    backoff, permanent ones show on the event. Safe to run twice: a sent message is not sent
    again, and a message another sender holds is left to it."""
    batch = _claim(OutboundMessage.objects.filter(pk=outbound_id, state__in=SENDABLE), 1)
    return _deliver_all(batch)[0] if batch else "skipped"


def _claim(rows: QuerySet[OutboundMessage], limit: int) -> list[OutboundMessage]:
    """Take up to `limit` messages for this sender (state "sending", committed at once, so no
    transaction stays open while the SMTP server answers)."""
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:limit])
        OutboundMessage.objects.filter(pk__in=ids).update(
            state=OutboundMessage.State.SENDING, claimed_at=timezone.now())
    return list(OutboundMessage.objects.filter(pk__in=ids).order_by("pk").select_related(
        "event__ticket__requester", "event__author_user__agent", "mailbox",
    ).prefetch_related("event__attachments"))


def _deliver_all(batch: list[OutboundMessage]) -> list[str]:
    smtp = get_connection(fail_silently=False)
    outcomes = []
    try:
        # Opened once here, the connection serves every message; if the server cannot be
        # reached, each message tries on its own below and is retried with its reason.
        smtp.open()
    except (TimeoutError, smtplib.SMTPException, OSError):
        logger.warning("could not connect to the outgoing mail server", exc_info=True)
    try:
        for outbound in batch:
            outcomes.append(_deliver(outbound, smtp))
    finally:
        try:
            smtp.close()
        except Exception:  # a connection that broke mid-batch has nothing left to close
            logger.warning("closing the SMTP connection failed", exc_info=True)
    sent = [o.pk for o, outcome in zip(batch, outcomes, strict=True) if outcome == "sent"]
    OutboundMessage.objects.filter(pk__in=sent).update(
        state=OutboundMessage.State.SENT, sent_at=timezone.now(), last_error="",
        attempts=F("attempts") + 1)
    return outcomes


def _deliver(outbound: OutboundMessage, smtp: BaseEmailBackend) -> str:
    """Send one message over the open connection. A failure is saved here (retry or failed,
    with the attempt counted); a success is saved by the caller, for the whole batch at once."""
    from heedful.mail.tasks import send_outbound_message

    outbound.attempts += 1
    try:
        message = build_message(outbound)
        message.connection = smtp
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as refused:
        # Every recipient refused: for good when all the answers are 5xx, else try again later.
        answers = [f"{code} {reply!r}" for code, reply in refused.recipients.values()]
        if all(500 <= code < 600 for code, _reply in refused.recipients.values()):
            return _fail(outbound, _("The mail server refused the message: %(reason)s") % {
                "reason": "; ".join(answers)})
        return _retry(outbound, "; ".join(answers), send_outbound_message)
    except smtplib.SMTPResponseException as problem:
        if 500 <= problem.smtp_code < 600:
            return _fail(outbound, _("The mail server refused the message: %(reason)s") % {
                "reason": f"{problem.smtp_code} {problem.smtp_error!r}"})
        return _retry(outbound, f"{problem.smtp_code} {problem.smtp_error!r}", send_outbound_message)
    except Exception as problem:  # a network error, or a message that could not be built
        if not isinstance(problem, (TimeoutError, smtplib.SMTPException, OSError)):
            logger.exception("could not send outbound message %s", outbound.pk)
        return _retry(outbound, str(problem) or problem.__class__.__name__, send_outbound_message)
    return "sent"


def requeue_stale_sending() -> int:
    """Put back messages a sender took and never finished (it died): older than
    HEEDFUL_TASK_STALE_SECONDS. They may go out twice, never not at all."""
    since = timezone.now() - datetime.timedelta(seconds=settings.TASK_STALE_SECONDS)
    return OutboundMessage.objects.filter(
        state=OutboundMessage.State.SENDING, claimed_at__lt=since,
    ).update(state=OutboundMessage.State.QUEUED)


def record_undelivered(outbound: OutboundMessage, state: str, reason: str) -> Event:
    """The delivery state lives on the outbound row; the timeline gets a new fact saying the
    reply did not arrive (the reply's own event never changes)."""
    from heedful.mail.kinds import DELIVERY_FAILED

    return append_event(ticket=outbound.event.ticket, kind=DELIVERY_FAILED,
                        data={"event": outbound.event_id, "state": state, "reason": reason[:2000]})


def _fail(outbound: OutboundMessage, reason: str) -> str:
    with transaction.atomic():
        outbound.state = OutboundMessage.State.FAILED
        outbound.last_error = reason[:2000]
        outbound.save()
        record_undelivered(outbound, OutboundMessage.State.FAILED, reason)
    return "failed"


def _retry(outbound: OutboundMessage, reason: str, task: object) -> str:
    if outbound.attempts >= MAX_ATTEMPTS:
        return _fail(outbound, reason)
    outbound.state = OutboundMessage.State.RETRYING
    outbound.last_error = reason[:2000]
    outbound.save()
    task.using(run_after=timezone.now() + backoff(outbound.attempts)).enqueue(  # type: ignore[attr-defined]
        outbound_id=outbound.pk)
    return "retrying"


