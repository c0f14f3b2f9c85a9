"""Agents' decisions on mail: accept or refuse a held message, mark spam or not spam."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.mail import spam as spam_filter
from heedful.mail.kinds import ACCEPTED, DELIVERY_FAILED, HELD_REVIEW, REJECTED, SPAM_VERDICT
from heedful.mail.parsing import ParsedMessage
from heedful.tickets import notify
from heedful.tickets.actions import reply_to_ticket
from heedful.tickets.models import Attachment, Event, Ticket
from heedful.tickets.timeline import append_event

HELD = "held"
UNPARSED = "unparsed"  # the flag processing puts on a message kept as raw text


def held_decisions(events: list[Event]) -> dict[int, str]:
    """Per held event id: the decision an agent recorded on it (accepted / rejected), read from
    the review events among `events` (a timeline already loaded)."""
    return {int(e.data["event"]): str(e.data["decision"]) for e in events if e.kind == HELD_REVIEW}


def undelivered(events: Iterable[Event]) -> dict[int, str]:
    """Per reply id: how its delivery ended when it did not arrive (failed / bounced), read from
    the delivery_failed events among `events`."""
    return {int(e.data["event"]): str(e.data.get("state", "")) for e in events if e.kind == DELIVERY_FAILED}


def _check_still_held(event: Event) -> None:
    if HELD not in event.flags or Event.objects.filter(
            ticket_id=event.ticket_id, kind=HELD_REVIEW, data__event=event.pk).exists():
        raise Invalid(_("This message is not waiting for review."))


def accept_held_message(*, event: Event, actor: Any) -> Event:
    """A held message becomes the customer's words on the ticket; its sender joins as a CC.

    The held event stays as it was (the timeline is append-only): the review is recorded, and
    the message is added again as the customer's visible message, as if it arrived now, so
    that it counts (reopens a solved ticket, is answered by mail) like any other."""
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=event.ticket_id).first()
        _check_still_held(event)
        ticket = event.ticket
        if event.author_contact_id and event.author_contact_id != ticket.requester_id:
            ticket.participants.add(event.author_contact_id)
        review = append_event(ticket=ticket, kind=HELD_REVIEW, author_user=actor,
                              data={"event": event.pk, "decision": ACCEPTED})
        notify.ticket_changed(ticket, [review])
        released = reply_to_ticket(
            ticket=ticket, body=event.body_text, body_html=event.body_html,
            author_contact=event.author_contact, channel=event.channel, language=event.language,
            full_text=event.full_text, flags=[*(f for f in event.flags if f != HELD), ACCEPTED],
            data={"released_from": event.pk, "received_at": event.created_at.isoformat()},
        )
        Attachment.objects.bulk_create(
            Attachment(ticket=ticket, event=released, file=a.file.name, filename=a.filename,
                       content_type=a.content_type, size=a.size, sha256=a.sha256,
                       inline=a.inline, content_id=a.content_id)
            for a in event.attachments.all()
        )
    return released


def reject_held_message(*, event: Event, actor: Any) -> Event:
    """Keep the held message on record (internal) and stop showing it as waiting."""
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=event.ticket_id).first()
        _check_still_held(event)
        review = append_event(ticket=event.ticket, kind=HELD_REVIEW, author_user=actor,
                              data={"event": event.pk, "decision": REJECTED})
        notify.ticket_changed(event.ticket, [review])
    return review


def _first_words(ticket: Ticket) -> list[str]:
    first = ticket.events.filter(kind=Event.Kind.MESSAGE_IN).order_by("created_at", "id").first()
    text = (first.full_text or first.body_text) if first else ""
    return spam_filter.tokens_of(ParsedMessage(subject=ticket.subject), text)


def _learned_verdict(ticket: Ticket) -> bool | None:
    """What the classifier last learned from this ticket: True spam, False ham, None nothing."""
    # Verdicts before the spam_verdict kind existed were "field" events on "spam".
    last = (ticket.events.filter(Q(kind=SPAM_VERDICT) | Q(kind=Event.Kind.FIELD, data__field="spam"))
            .filter(data__has_key="learned")
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
        note = append_event(ticket=ticket, kind=SPAM_VERDICT, author_user=actor,
                            data={"spam": spam, "learned": spam})
        ticket.spam = spam
        notify.ticket_changed(ticket, [note])
    return ticket


def reprocess_raw_message(*, record: Any) -> bool:
    """Run a message that failed to parse through processing again (after an upgrade, say).
    Returns False when it is not in the failed state.

    The "could not be read" ticket made for it stays; it never held the message's Message-ID
    (mail/processing.py _open_unparsed), so the second run does not take it for a duplicate."""
    from heedful.mail.models import RawMessage
    from heedful.mail.tasks import process_raw_message

    with transaction.atomic():
        updated = RawMessage.objects.filter(pk=record.pk, state=RawMessage.State.FAILED).update(
            state=RawMessage.State.PENDING, error="")
        if updated:
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
