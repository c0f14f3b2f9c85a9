"""Merging duplicate tickets and splitting a message off into a ticket of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.models import Contact
from heedful.tickets import notify
from heedful.tickets.actions import TicketRequest, _set_status, _touch, check_subject, open_tickets
from heedful.tickets.attachments import Upload
from heedful.tickets.models import Channel, Event, Ticket
from heedful.tickets.selectors import merged_ticket_ids
from heedful.tickets.timeline import append_event

S = Ticket.Status
MESSAGE_KINDS = (Event.Kind.MESSAGE_IN, Event.Kind.MESSAGE_OUT, Event.Kind.NOTE)


def check_merge(*, source: Ticket, target: Ticket) -> None:
    if source.pk == target.pk:
        raise Invalid(_("A ticket cannot be merged into itself."),
                      fields={"target": [_("Choose another ticket.")]})
    if source.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT, _("This ticket was already merged."))
    if target.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT,
                           _("The target was itself merged into another ticket; merge into that one."),
                           fields={"target": [_("Choose the ticket it was merged into.")]})


@dataclass(frozen=True)
class MergePreview:
    """What a merge would do, shown to the agent before they confirm it."""

    source: Ticket
    target: Ticket
    messages: int  # messages and notes that will show on the target's timeline
    newcomers: list[Contact]  # people who will be copied on the target
    new_tags: list[str]
    closes_source: bool


def preview_merge(*, source: Ticket, target: Ticket) -> MergePreview:
    """Check the merge and say what it moves, writing nothing."""
    check_merge(source=source, target=target)
    tree = [source.pk, *merged_ticket_ids(source)]
    messages = Event.objects.filter(ticket_id__in=tree, kind__in=MESSAGE_KINDS).count()
    newcomer_ids = _newcomer_ids(source, target)
    newcomers = list(Contact.objects.filter(pk__in=newcomer_ids).order_by("name", "pk"))
    target_tags = set(target.tags.values_list("name", flat=True))
    new_tags = sorted(set(source.tags.values_list("name", flat=True)) - target_tags)
    return MergePreview(source=source, target=target, messages=messages, newcomers=newcomers,
                        new_tags=new_tags, closes_source=source.status != S.CLOSED)


def _newcomer_ids(source: Ticket, target: Ticket) -> set[int]:
    """The source's requester and CCs who are not on the target yet."""
    people = {source.requester_id, *source.participants.values_list("id", flat=True)}
    people.discard(target.requester_id)
    return people - set(target.participants.values_list("id", flat=True))


def merge_tickets(*, source: Ticket, target: Ticket, actor: Any) -> Ticket:
    """Close `source` as a duplicate of `target`. The source's messages stay where they were
    written (history never moves) and show on the target's timeline; its requester and CCs join
    the target so that they keep seeing the conversation."""
    now = timezone.now()
    with transaction.atomic():
        # One lock order for every process, so that two opposite merges cannot deadlock.
        locked = {t.pk: t for t in Ticket.objects.select_for_update()
                  .filter(pk__in=[source.pk, target.pk]).order_by("pk")}
        source, target = locked[source.pk], locked[target.pk]
        # Checked under the locks: another agent may have merged either one since the preview.
        check_merge(source=source, target=target)
        newcomers = _newcomer_ids(source, target)
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
    different problem; both timelines say so. The new ticket is opened like any other (same
    checks, webhooks and hooks), as if its author had just written it."""
    if event.kind != Event.Kind.MESSAGE_IN:
        raise Invalid(_("Only a customer's message can be split into a new ticket."))
    origin = event.ticket
    subject = check_subject(subject or (_("Split from #%(number)s: %(subject)s") % {
        "number": origin.number, "subject": origin.subject})[:250])
    uploads = [_copy_of(attachment) for attachment in event.attachments.all()]
    now = timezone.now()
    with transaction.atomic():
        [first] = open_tickets([TicketRequest(
            requester=event.author_contact or origin.requester, subject=subject,
            body=event.body_text, body_html=event.body_html, full_text=event.full_text,
            channel=event.channel, from_customer=True, priority=origin.priority, team=origin.team,
            language=event.language or origin.language, attachments=uploads,
            # Required fields are the agent's to fill later: the customer is not at a form.
            enforce_required=False, at=now,
            data={"split_from_event": event.pk, "split_from_ticket": origin.pk},
        )])
        ticket = first.ticket
        note = append_event(ticket=origin, kind=Event.Kind.SPLIT, author_user=actor,
                            channel=Channel.AGENT,
                            data={"event": event.pk, "new_ticket": ticket.pk,
                                  "new_ticket_number": ticket.number}, at=now)
        _touch(origin, now)
        notify.ticket_changed(origin, [note])
    return ticket


def _copy_of(attachment: Any) -> Upload:
    with attachment.file.open("rb") as handle:
        content = handle.read()
    return Upload(filename=attachment.filename, content=content,
                  content_type=attachment.content_type, inline=attachment.inline,
                  content_id=attachment.content_id)
