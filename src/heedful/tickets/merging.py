"""Merging duplicate tickets and splitting a message off into a ticket of its own."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core import sequences
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.tickets import notify
from heedful.tickets.actions import _set_status, _touch, check_subject
from heedful.tickets.models import Attachment, Channel, Event, Ticket
from heedful.tickets.timeline import append_event

S = Ticket.Status


def merge_tickets(*, source: Ticket, target: Ticket, actor: Any) -> Ticket:
    """Close `source` as a duplicate of `target`. The source's messages stay where they were
    written (history never moves) and show on the target's timeline; its requester and CCs join
    the target so that they keep seeing the conversation."""
    if source.pk == target.pk:
        raise Invalid(_("A ticket cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT, _("This ticket was already merged."))
    if target.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT,
                           _("The target was itself merged into another ticket; merge into that one."))
    now = timezone.now()
    with transaction.atomic():
        source = Ticket.objects.select_for_update().get(pk=source.pk)
        target = Ticket.objects.select_for_update().get(pk=target.pk)
        newcomers = {source.requester_id, *source.participants.values_list("id", flat=True)}
        newcomers.discard(target.requester_id)
        if newcomers:
            target.participants.add(*newcomers)
        target.tags.add(*source.tags.all())
        into = append_event(ticket=target, kind=Event.Kind.MERGE, author_user=actor,
                            data={"merged_from": source.pk, "merged_from_number": source.number},
                            at=now)
        out = append_event(ticket=source, kind=Event.Kind.MERGE, author_user=actor,
                           data={"merged_into": target.pk, "merged_into_number": target.number},
                           at=now)
        _touch(source, now, merged_into=target)
        events = [out]
        if source.status != S.CLOSED:
            events.append(_set_status(source, S.CLOSED, actor=actor, at=now))
        _touch(target, now)
        notify.ticket_changed(source, events)
        notify.ticket_changed(target, [into])
    return target


def split_message(*, event: Event, actor: Any, subject: str = "") -> Ticket:
    """Start a new ticket from one customer message (with its attachments) that raised a
    different problem; both timelines say so."""
    if event.kind != Event.Kind.MESSAGE_IN:
        raise Invalid(_("Only a customer's message can be split into a new ticket."))
    origin = event.ticket
    now = timezone.now()
    with transaction.atomic():
        (number,) = sequences.reserve("ticket")
        ticket = Ticket.objects.create(
            number=number,
            subject=check_subject(subject or _("Split from #%(number)s: %(subject)s") % {
                "number": origin.number, "subject": origin.subject})[:250],
            channel=origin.channel, requester=event.author_contact or origin.requester,
            organization=origin.organization, priority=origin.priority,
            priority_rank=origin.priority_rank, team=origin.team,
            language=event.language or origin.language, created_at=now, updated_at=now,
            last_customer_message_at=event.created_at,
        )
        copy = append_event(
            ticket=ticket, kind=Event.Kind.MESSAGE_IN, author_contact=event.author_contact,
            channel=event.channel, public=True, body_text=event.body_text,
            body_html=event.body_html, full_text=event.full_text, language=event.language,
            data={"split_from_event": event.pk, "split_from_ticket": origin.pk}, at=now,
        )
        Attachment.objects.bulk_create(
            Attachment(ticket=ticket, event=copy, file=a.file.name, filename=a.filename,
                       content_type=a.content_type, size=a.size, sha256=a.sha256,
                       inline=a.inline, content_id=a.content_id)
            for a in event.attachments.all()
        )
        note = append_event(ticket=origin, kind=Event.Kind.SPLIT, author_user=actor,
                            channel=Channel.AGENT,
                            data={"event": event.pk, "new_ticket": ticket.pk,
                                  "new_ticket_number": ticket.number}, at=now)
        _touch(origin, now)
        notify.ticket_changed(ticket, [copy], created=True)
        notify.ticket_changed(origin, [note])
    return ticket
