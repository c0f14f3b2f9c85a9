"""From a stored raw message to a ticket event: parse, classify, thread, attribute, record.

Runs as a job (tasks.process_raw_message). Idempotent: a message already processed, or whose
Message-ID is already on a timeline, is not added twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import HeedfulError
from heedful.mail import noise, spam
from heedful.mail.addresses import is_own_address, mailbox_for_recipients, own_addresses
from heedful.mail.intake import read_raw
from heedful.mail.language import detect_language
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage
from heedful.mail.parsing import ParsedMessage, decode_bytes, parse_message
from heedful.mail.replies import extract_reply
from heedful.mail.threads import find_ticket, may_write_to
from heedful.mail.tokens import strip_subject
from heedful.people.actions import get_or_create_contact_for_email
from heedful.people.models import Contact
from heedful.tickets.actions import open_ticket, reply_to_ticket
from heedful.tickets.attachments import Upload, sanitize_filename
from heedful.tickets.models import Channel, Event, Ticket

logger = logging.getLogger(__name__)
HELD = "held"
SPAM = "spam"


def _recipients(record: RawMessage, parsed: ParsedMessage) -> list[str]:
    addresses = [a.email for a in [*parsed.to, *parsed.cc]]
    addresses += parsed.headers.get("delivered-to", []) + parsed.headers.get("x-original-to", [])
    return [*record.envelope_to, *addresses]


def _sender_contact(parsed: ParsedMessage, record: RawMessage) -> Contact:
    address = parsed.sender.email if parsed.sender else record.envelope_from
    name = parsed.sender.name if parsed.sender else ""
    try:
        return get_or_create_contact_for_email(address or "unknown@invalid.example", name=name)
    except HeedfulError:
        return get_or_create_contact_for_email("unknown@invalid.example", name=name or address)


def _cc_contacts(parsed: ParsedMessage, sender: Contact, own: set[str]) -> list[Contact]:
    result = []
    for address in parsed.cc + parsed.to:
        email = address.email.lower()
        if is_own_address(email, own):
            continue
        try:
            contact = get_or_create_contact_for_email(address.email, name=address.name)
        except HeedfulError:
            continue
        if contact.pk != sender.pk:
            result.append(contact)
    return result


def _record_bounce(parsed: ParsedMessage, raw: bytes) -> Event | None:
    """Mark the outbound message a bounce refers to; returns that message's event."""
    ids = noise.bounced_message_ids(parsed, raw)
    outbound = OutboundMessage.objects.filter(message_id__in=ids).select_related("event").first()
    if outbound is None:
        return None
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        state=OutboundMessage.State.BOUNCED, last_error=parsed.delivery_status[:2000])
    event = outbound.event
    if noise.BOUNCE not in event.flags:
        Event.objects.filter(pk=event.pk).update(flags=[*event.flags, noise.BOUNCE])
    return event


def process(record: RawMessage) -> Event | None:
    raw = read_raw(record)
    parsed = parse_message(raw)
    if parsed.message_id and _already_recorded(parsed.message_id):
        _finish(record, RawMessage.State.DUPLICATE, None)
        return None
    flags = noise.classify(parsed)
    reply_text = extract_reply(parsed.text, parsed.source_html)
    full_text = parsed.text or reply_text
    body = reply_text or _("(This message has no text.)")
    verdict = spam.score_message(parsed, full_text)
    if verdict.is_spam:
        flags.append(SPAM)
    language = detect_language(reply_text)
    mailboxes = list(Mailbox.objects.select_related("team"))  # one read for both uses below
    mailbox = record.mailbox or mailbox_for_recipients(_recipients(record, parsed), mailboxes)
    sender = _sender_contact(parsed, record)
    own = own_addresses(mailboxes)
    if parsed.sender and is_own_address(parsed.sender.email, own):
        flags.append(noise.AUTO_SUBMITTED)  # our own mail coming back: record, never answer
    bounced_event = _record_bounce(parsed, raw) if noise.BOUNCE in flags else None
    match = None if SPAM in flags else find_ticket(parsed, recipients=_recipients(record, parsed))
    ticket = bounced_event.ticket if bounced_event is not None else (match.ticket if match else None)
    hidden = bool({noise.AUTO_SUBMITTED, noise.BOUNCE} & set(flags))
    if ticket is not None and match is not None and not may_write_to(sender, ticket):
        if settings.MAIL_STRANGER_REPLIES == "hold":
            flags.append(HELD)
            hidden = True
        else:
            ticket = None
    if ticket is not None and ticket.status == Ticket.Status.CLOSED and not hidden:
        ticket = None  # a closed ticket stays closed: the message starts a follow-up
    attachments, too_big = _keepable_attachments(parsed.attachments)
    if too_big:
        flags.append("attachment_dropped")
        body += "\n\n" + _("(Not kept, larger than the attachment limit: %(names)s. The original "
                            "message is stored in full.)") % {"names": ", ".join(too_big)}
    message = Incoming(
        body=body, body_html=parsed.html if reply_text == parsed.text.strip() and not too_big else "",
        language=language, message_id=parsed.message_id, full_text=full_text,
        attachments=attachments, flags=flags,
    )
    try:
        return _record(record, ticket, sender, parsed, hidden, mailbox, own, message)
    except IntegrityError:
        # Another job recorded the same Message-ID a moment ago (the unique constraint on
        # inbound Message-IDs is the arbiter).
        if parsed.message_id and _already_recorded(parsed.message_id):
            _finish(record, RawMessage.State.DUPLICATE, None)
            return None
        raise


def _already_recorded(message_id: str) -> bool:
    return Event.objects.filter(message_id=message_id, kind=Event.Kind.MESSAGE_IN).exists()


@dataclass(frozen=True)
class Incoming:
    """What a parsed message contributes to the timeline."""

    body: str
    body_html: str
    language: str
    message_id: str
    full_text: str
    attachments: list[Upload]
    flags: list[str]


def _keepable_attachments(uploads: list[Upload]) -> tuple[list[Upload], list[str]]:
    """Attachments within the size limit, and the names of those that are not (the raw message
    still holds them, so nothing is lost)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    kept = [u for u in uploads if len(u.content) <= limit]
    dropped = [sanitize_filename(u.filename) for u in uploads if len(u.content) > limit]
    return kept, dropped


def _record(
    record: RawMessage, ticket: Ticket | None, sender: Contact, parsed: ParsedMessage,
    hidden: bool, mailbox: Mailbox | None, own: set[str], message: Incoming,
) -> Event:
    flags = message.flags
    with transaction.atomic():
        if ticket is not None:
            event = reply_to_ticket(
                ticket=ticket, author_contact=sender, hidden=hidden, body=message.body,
                body_html=message.body_html, channel=Channel.EMAIL, language=message.language,
                message_id=message.message_id, full_text=message.full_text,
                attachments=message.attachments, flags=flags,
            )
        else:
            new = open_ticket(
                requester=sender, subject=strip_subject(parsed.subject) or _("(no subject)"),
                # The envelope recipients are us (whatever addresses we are reached at).
                cc=_cc_contacts(parsed, sender, own | {a.lower() for a in record.envelope_to}),
                team=mailbox.team if mailbox else None,
                spam=SPAM in flags, body=message.body, body_html=message.body_html,
                channel=Channel.EMAIL, language=message.language, message_id=message.message_id,
                full_text=message.full_text, attachments=message.attachments, flags=flags,
            )
            event = new.events.get()
            if mailbox is not None and mailbox.auto_acknowledge and not (
                noise.wants_no_automatic_answer(flags) or SPAM in flags
            ):
                from heedful.mail.outbound import queue_acknowledgement

                queue_acknowledgement(ticket=new, mailbox=mailbox, to=sender)
        _finish(record, RawMessage.State.PROCESSED, event)
    return event


def _finish(record: RawMessage, state: str, event: Event | None) -> None:
    RawMessage.objects.filter(pk=record.pk).update(
        state=state, event=event, ticket=event.ticket if event else None,
        processed_at=timezone.now(), error="",
    )


def process_raw(raw_id: int) -> str:
    record = RawMessage.objects.select_related("mailbox").filter(pk=raw_id).first()
    if record is None or record.state != RawMessage.State.PENDING:
        return "skipped"
    try:
        event = process(record)
    except Exception as problem:
        # Whatever went wrong, the raw bytes stay and an agent can still read them.
        logger.exception("could not process raw message %s", raw_id)
        return _keep_unparsed(record, problem)
    return "processed" if event else "duplicate"


def _keep_unparsed(record: RawMessage, problem: Exception) -> str:
    """Store a message that defeated the pipeline as a ticket showing its raw text."""
    if record.message_id and _already_recorded(record.message_id):
        _finish(record, RawMessage.State.DUPLICATE, None)
        return "duplicate"
    raw = read_raw(record)
    text = decode_bytes(raw[:200_000], "utf-8").replace("\x00", "")  # PostgreSQL text holds no NUL
    with transaction.atomic():
        try:
            sender = get_or_create_contact_for_email(record.envelope_from or "unknown@invalid.example")
        except HeedfulError:  # an envelope sender that is no address
            sender = get_or_create_contact_for_email("unknown@invalid.example")
        ticket = open_ticket(
            requester=sender, subject=_("Message that could not be read"),
            body=text or _("(empty message)"), channel=Channel.EMAIL, flags=["unparsed"],
            message_id=record.message_id,
        )
        RawMessage.objects.filter(pk=record.pk).update(
            state=RawMessage.State.FAILED, error=str(problem)[:2000], ticket=ticket,
            event=ticket.events.first(), processed_at=timezone.now())
    return "failed"
