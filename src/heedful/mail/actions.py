"""Agents' decisions on mail: accept or refuse a held message, mark spam or not spam."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.mail import spam as spam_filter
from heedful.mail.parsing import ParsedMessage
from heedful.tickets import notify
from heedful.tickets.models import Event, Ticket
from heedful.tickets.timeline import change_event

HELD = "held"
UNPARSED = "unparsed"  # the flag processing puts on a message kept as raw text


def accept_held_message(*, event: Event, actor: Any) -> Event:
    """A held message becomes the customer's words on the ticket; its sender joins as a CC."""
    if HELD not in event.flags:
        raise Invalid(_("This message is not waiting for review."))
    with transaction.atomic():
        flags = [f for f in event.flags if f != HELD] + ["accepted"]
        Event.objects.filter(pk=event.pk).update(flags=flags, public=True)
        ticket = event.ticket
        if event.author_contact_id and event.author_contact_id != ticket.requester_id:
            ticket.participants.add(event.author_contact_id)
        note = change_event(ticket=ticket, kind=Event.Kind.FIELD, actor=actor,
                            before="held", after="accepted", field="held_message", event=event.pk)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        notify.ticket_changed(ticket, [note])
    event.refresh_from_db()
    return event


def reject_held_message(*, event: Event, actor: Any) -> Event:
    """Keep the held message on record (internal) and stop showing it as waiting."""
    if HELD not in event.flags:
        raise Invalid(_("This message is not waiting for review."))
    with transaction.atomic():
        flags = [f for f in event.flags if f != HELD] + ["rejected"]
        Event.objects.filter(pk=event.pk).update(flags=flags)
        note = change_event(ticket=event.ticket, kind=Event.Kind.FIELD, actor=actor,
                            before="held", after="rejected", field="held_message", event=event.pk)
        notify.ticket_changed(event.ticket, [note])
    event.refresh_from_db()
    return event


def _first_words(ticket: Ticket) -> list[str]:
    first = ticket.events.filter(kind=Event.Kind.MESSAGE_IN).order_by("created_at", "id").first()
    text = (first.full_text or first.body_text) if first else ""
    return spam_filter.tokens_of(ParsedMessage(subject=ticket.subject), text)


def _learned_verdict(ticket: Ticket) -> bool | None:
    """What the classifier last learned from this ticket: True spam, False ham, None nothing."""
    last = (ticket.events.filter(kind=Event.Kind.FIELD, data__field="spam", data__has_key="learned")
            .order_by("-created_at", "-id").values_list("data", flat=True).first())
    return None if last is None else bool(last["learned"])


def mark_spam(*, ticket: Ticket, actor: Any, spam: bool) -> Ticket:
    """An agent's verdict: move the ticket to or from the spam view and teach the classifier.

    "Not spam" on an ordinary ticket teaches it too (the classifier needs examples of both).
    Each ticket counts once, as its latest verdict: changing one's mind moves its words from
    one side to the other, and repeating a verdict changes nothing."""
    previous = _learned_verdict(ticket)
    if previous is spam and ticket.spam == spam:
        return ticket
    with transaction.atomic():
        words = _first_words(ticket)
        if previous is not None and previous is not spam:
            spam_filter.unlearn(words, spam=previous)
        if previous is not spam:
            spam_filter.learn(words, spam=spam)
        Ticket.objects.filter(pk=ticket.pk).update(spam=spam, updated_at=timezone.now())
        note = change_event(ticket=ticket, kind=Event.Kind.FIELD, actor=actor,
                            before=ticket.spam, after=spam, field="spam", learned=spam)
        ticket.spam = spam
        notify.ticket_changed(ticket, [note])
    return ticket


def reprocess_raw_message(*, record: Any) -> bool:
    """Run a message that failed to parse through processing again (after an upgrade, say).
    Returns False when it is not in the failed state.

    The "could not be read" ticket made for it stays, but gives up the message's Message-ID:
    otherwise the second run would find it on a timeline and call the message a duplicate."""
    from heedful.mail.models import RawMessage
    from heedful.mail.tasks import process_raw_message

    with transaction.atomic():
        updated = RawMessage.objects.filter(pk=record.pk, state=RawMessage.State.FAILED).update(
            state=RawMessage.State.PENDING, error="")
        if updated:
            fallback = Event.objects.filter(pk=record.event_id, kind=Event.Kind.MESSAGE_IN).first()
            if fallback is not None and UNPARSED in fallback.flags:
                Event.objects.filter(pk=fallback.pk).update(message_id="")
            process_raw_message.enqueue(raw_id=record.pk)
    return bool(updated)


def retry_outbound_message(*, outbound: Any) -> bool:
    """Try again to deliver an e-mail that failed for good (the address was fixed, say).
    Returns False when it is not in the failed state."""
    from heedful.mail.models import OutboundMessage
    from heedful.mail.tasks import send_outbound_message

    with transaction.atomic():
        updated = OutboundMessage.objects.filter(
            pk=outbound.pk, state=OutboundMessage.State.FAILED,
        ).update(state=OutboundMessage.State.QUEUED, attempts=0, last_error="")
        if updated:
            send_outbound_message.enqueue(outbound_id=outbound.pk)
    return bool(updated)
