"""Sending replies and acknowledgements: threading headers, Reply-To token, retries."""

from __future__ import annotations

import datetime
import re
import secrets
import smtplib
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from heedful.core.html import text_to_html
from heedful.mail import tokens
from heedful.mail.addresses import is_own_address, own_addresses
from heedful.mail.models import AcknowledgementLog, Mailbox, OutboundMessage, RawMessage
from heedful.people.models import Contact, ContactIdentity
from heedful.tickets.models import Channel, Event, Ticket
from heedful.tickets.timeline import append_event

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
    order = [ticket.requester_id, *ticket.participants.values_list("id", flat=True)]
    first_email: dict[int, ContactIdentity] = {}
    # One query for everyone's addresses; each contact's oldest e-mail identity is its address.
    for identity in ContactIdentity.objects.filter(
        contact_id__in=order, kind=ContactIdentity.Kind.EMAIL
    ).order_by("id"):
        first_email.setdefault(identity.contact_id, identity)
    own = own_addresses()
    emails = []
    for contact_id in order:
        found = first_email.get(contact_id)
        if found is None or found.normalized.endswith("@invalid.example"):
            continue
        if not is_own_address(found.normalized, own):
            emails.append(found.value)
    return list(dict.fromkeys(emails))


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


def queue_replies(events: list[Event]) -> None:
    """Called by tickets.notify for every change: public agent replies go out by mail."""
    for event in events:
        if event.kind != Event.Kind.MESSAGE_OUT or not event.public or AUTO_REPLY in event.flags:
            continue
        _queue(event)


def _queue(event: Event) -> OutboundMessage | None:
    ticket = event.ticket
    to = recipients_for(ticket)
    if not to:
        return None
    mailbox = mailbox_for_ticket(ticket)
    message_id = new_message_id(mailbox)
    Event.objects.filter(pk=event.pk).update(message_id=message_id)
    event.message_id = message_id
    outbound = OutboundMessage.objects.create(
        event=event, mailbox=mailbox, message_id=message_id, recipients=to)
    from heedful.mail.tasks import send_outbound_message

    send_outbound_message.enqueue(outbound_id=outbound.pk)
    return outbound


def queue_acknowledgement(*, ticket: Ticket, mailbox: Mailbox | None, to: Contact) -> Event | None:
    """The automatic "we got your request" mail, in the customer's language, at most a few per
    sender per hour, never to one of our own addresses (two help desks must not answer each
    other forever), and only when the mailbox acknowledges at all (mail that reached no
    configured mailbox follows HEEDFUL_MAIL_ACKNOWLEDGE)."""
    wanted = mailbox.auto_acknowledge if mailbox is not None else settings.MAIL_ACKNOWLEDGE
    address = to.primary_email.lower()
    if not address or not wanted or is_own_address(address, own_addresses()):
        return None
    since = timezone.now() - datetime.timedelta(hours=1)
    if AcknowledgementLog.objects.filter(address=address, sent_at__gte=since).count() >= (
        settings.MAIL_ACK_PER_SENDER_PER_HOUR
    ):
        return None
    AcknowledgementLog.objects.create(address=address)
    language = language_for(to, ticket)
    with translation.override(language):
        body = render_to_string("mail/acknowledgement.txt", {"ticket": ticket, "contact": to})
    event = append_event(ticket=ticket, kind=Event.Kind.MESSAGE_OUT, channel=Channel.EMAIL,
                         public=True, body_text=body.strip(), flags=[AUTO_REPLY], language=language)
    return event if _queue(event) else None


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


def send(outbound_id: int) -> str:
    """Send one message; temporary failures retry with backoff, permanent ones show on the event.
    Safe to run twice: a sent message is not sent again."""
    from heedful.mail.tasks import send_outbound_message

    outbound = (OutboundMessage.objects.select_related("event__ticket", "mailbox")
                .filter(pk=outbound_id).first())
    if outbound is None or outbound.state in {OutboundMessage.State.SENT,
                                              OutboundMessage.State.FAILED,
                                              OutboundMessage.State.BOUNCED}:
        return "skipped"
    outbound.attempts += 1
    try:
        build_message(outbound).send(fail_silently=False)
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
    except (TimeoutError, smtplib.SMTPException, OSError) as problem:
        return _retry(outbound, str(problem) or problem.__class__.__name__, send_outbound_message)
    outbound.state = OutboundMessage.State.SENT
    outbound.sent_at = timezone.now()
    outbound.last_error = ""
    outbound.save()
    return "sent"


def _fail(outbound: OutboundMessage, reason: str) -> str:
    with transaction.atomic():
        outbound.state = OutboundMessage.State.FAILED
        outbound.last_error = reason[:2000]
        outbound.save()
        event = outbound.event
        if "delivery_failed" not in event.flags:
            Event.objects.filter(pk=event.pk).update(flags=[*event.flags, "delivery_failed"])
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


