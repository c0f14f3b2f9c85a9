"""The one way to change tickets. Views, the API, mail intake and commands call these.

Each action checks first (raising HeedfulError with a stable code), then writes the ticket, its
timeline events, queued webhooks and realtime notices in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core import sequences
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.models import Contact, Team
from heedful.tickets import notify
from heedful.tickets.attachments import Upload, store_attachments
from heedful.tickets.custom_fields import clean_custom_fields
from heedful.tickets.models import Channel, Event, Tag, Ticket
from heedful.tickets.status import check_transition, is_reopen
from heedful.tickets.tags import normalize_tags
from heedful.tickets.timeline import append_event, change_event

S = Ticket.Status
User = get_user_model()


def check_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise Invalid(_("A ticket needs a subject."), fields={"subject": [_("This is required.")]})
    if len(subject) > 250:
        raise Invalid(_("The subject is too long."),
                      fields={"subject": [_("At most 250 characters.")]})
    return subject


def check_body(body: str, body_html: str = "") -> None:
    if not (body or "").strip() and not (body_html or "").strip():
        raise Invalid(_("The message is empty."), fields={"body": [_("Write a message.")]})


def open_ticket(
    *,
    requester: Contact,
    subject: str,
    body: str,
    channel: str,
    author_user: Any = None,
    from_customer: bool = True,
    body_html: str = "",
    priority: str = Ticket.Priority.NORMAL,
    team: Team | None = None,
    assignee: Any = None,
    tags: Iterable[str] = (),
    custom_fields: dict[str, Any] | None = None,
    cc: Iterable[Contact] = (),
    attachments: Iterable[Upload] = (),
    language: str = "",
    message_id: str = "",
    full_text: str = "",
    flags: list[str] | None = None,
    spam: bool = False,
    customer_form: bool = False,
    at: datetime.datetime | None = None,
) -> Ticket:
    """Open a ticket with its first message: from the customer (in), or written by an agent on
    the customer's behalf (out)."""
    subject = check_subject(subject)
    check_body(body, body_html)
    if priority not in Ticket.Priority.values:
        raise Invalid(_("Unknown priority."), fields={"priority": [_("Use low, normal, high or urgent.")]})
    if channel not in Channel.values:
        raise Invalid(_("Unknown channel."), fields={"channel": [_("Unknown channel.")]})
    fields = clean_custom_fields(custom_fields or {}, customer=customer_form, enforce_required=True)
    tag_names = normalize_tags(tags)
    uploads = list(attachments)
    requester = requester.merged_into or requester
    now = at or timezone.now()
    with transaction.atomic():
        (number,) = sequences.reserve("ticket")
        ticket = Ticket.objects.create(
            number=number, subject=subject, channel=channel, requester=requester,
            organization_id=requester.organization_id, priority=priority,
            priority_rank=Ticket.PRIORITY_RANK[priority], team=team,
            assignee=assignee, language=language or requester.language, custom_fields=fields,
            status=S.OPEN if assignee else S.NEW, created_at=now, updated_at=now,
            last_customer_message_at=now if from_customer else None, spam=spam,
        )
        if tag_names:
            ticket.tags.set(Tag.objects.filter(name__in=_ensure_tags(tag_names)))
        participants = [c for c in cc if c.pk != requester.pk]
        if participants:
            ticket.participants.set(participants)
        event = append_event(
            ticket=ticket,
            kind=Event.Kind.MESSAGE_IN if from_customer else Event.Kind.MESSAGE_OUT,
            author_user=None if from_customer else author_user,
            author_contact=requester if from_customer else None,
            channel=channel, public=True, body_text=body, body_html=body_html,
            full_text=full_text, language=language, message_id=message_id, flags=flags, at=now,
        )
        store_attachments(ticket=ticket, event=event, uploads=uploads)
        notify.ticket_changed(ticket, [event], created=True)
    return ticket


def _ensure_tags(names: list[str]) -> list[str]:
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in names if n not in existing], ignore_conflicts=True)
    return names


def _touch(ticket: Ticket, at: datetime.datetime, **extra: Any) -> None:
    for key, value in extra.items():
        setattr(ticket, key, value)
    ticket.updated_at = at
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=at, **extra)


def reply_to_ticket(
    *,
    ticket: Ticket,
    body: str,
    author_user: Any = None,
    author_contact: Contact | None = None,
    public: bool = True,
    body_html: str = "",
    attachments: Iterable[Upload] = (),
    channel: str | None = None,
    status: str | None = None,
    language: str = "",
    message_id: str = "",
    full_text: str = "",
    flags: list[str] | None = None,
    hidden: bool = False,
    at: datetime.datetime | None = None,
) -> Event:
    """Add a message: an agent's public reply or internal note, or a customer's message (which
    reopens a solved ticket). An agent may set the status in the same step.

    `hidden` keeps a customer-side message off the customer's timeline and out of the status
    logic: mail held for review, auto-replies and bounces are recorded, not acted upon."""
    check_body(body, body_html)
    if (author_user is None) == (author_contact is None):
        raise Invalid(_("A message has exactly one author."))
    uploads = list(attachments)
    now = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if author_contact is not None and ticket.status == S.CLOSED:
            raise HeedfulError(
                ErrorCode.INVALID_TRANSITION,
                _("This ticket is closed. Please open a new request; we will link them."),
            )
        if author_contact is not None:
            kind, public = Event.Kind.MESSAGE_IN, not hidden
        else:
            kind = Event.Kind.MESSAGE_OUT if public else Event.Kind.NOTE
        event = append_event(
            ticket=ticket, kind=kind, author_user=author_user, author_contact=author_contact,
            channel=channel or (Channel.AGENT if author_user else Channel.PORTAL), public=public,
            body_text=body, body_html=body_html, full_text=full_text, language=language,
            message_id=message_id, flags=flags, at=now,
        )
        store_attachments(ticket=ticket, event=event, uploads=uploads)
        events = [event]
        if kind == Event.Kind.MESSAGE_IN and hidden:
            _touch(ticket, now)
        elif kind == Event.Kind.MESSAGE_IN:
            _touch(ticket, now, last_customer_message_at=now)
            if ticket.status in {S.SOLVED, S.PENDING, S.ON_HOLD}:
                events.append(_set_status(ticket, S.OPEN, actor=None, contact=author_contact, at=now))
        elif kind == Event.Kind.MESSAGE_OUT:
            extra = {} if ticket.first_response_at else {"first_response_at": now}
            _touch(ticket, now, **extra)
            target = status or (S.OPEN if ticket.status == S.NEW else None)
            if target and target != ticket.status:
                check_transition(ticket.status, target)
                events.append(_set_status(ticket, target, actor=author_user, at=now))
        else:
            _touch(ticket, now)
            if status and status != ticket.status:
                check_transition(ticket.status, status)
                events.append(_set_status(ticket, status, actor=author_user, at=now))
        notify.ticket_changed(ticket, events)
    return event


def _set_status(
    ticket: Ticket, target: str, *, actor: Any, contact: Contact | None = None,
    at: datetime.datetime,
) -> Event:
    before = ticket.status
    extra: dict[str, Any] = {"status": target}
    if target == S.SOLVED:
        extra["solved_at"] = at
    if target == S.CLOSED:
        extra["closed_at"] = at
        extra["solved_at"] = ticket.solved_at or at
    if is_reopen(before, target):
        extra["reopen_count"] = ticket.reopen_count + 1
        extra["solved_at"] = None
    _touch(ticket, at, **extra)
    return append_event(
        ticket=ticket, kind=Event.Kind.STATUS, author_user=actor, author_contact=contact,
        channel=Channel.AGENT if actor else Channel.PORTAL, public=False,
        data={"from": before, "to": target, "reopen": is_reopen(before, target)}, at=at,
    )


def reopen_by_customer(*, ticket: Ticket, contact: Contact, body: str) -> Event:
    """The portal's "this is not solved" button: the customer's words reopen the ticket."""
    if ticket.status != S.SOLVED:
        raise HeedfulError(ErrorCode.INVALID_TRANSITION, _("Only a solved ticket can be reopened."))
    return reply_to_ticket(ticket=ticket, body=body, author_contact=contact, channel=Channel.PORTAL)


TICKET_CHANGE_FIELDS = {
    "subject", "status", "priority", "assignee", "team", "tags", "add_tags", "remove_tags",
    "custom_fields", "language", "participants", "requester", "transfer_reason", "handoff_note",
}


def update_ticket(*, ticket: Ticket, actor: Any, changes: dict[str, Any]) -> list[Event]:
    """Apply agent changes to one ticket, one timeline event per changed field.

    Moving a ticket away from an agent who owns it is a transfer and needs `transfer_reason`.
    """
    unknown = set(changes) - TICKET_CHANGE_FIELDS
    if unknown:
        raise HeedfulError(ErrorCode.UNKNOWN_FIELD, _("Unknown ticket fields."),
                           fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        events = _apply_changes(ticket, actor, changes, now)
        notify.ticket_changed(ticket, events)
    return events


def _apply_changes(
    ticket: Ticket, actor: Any, changes: dict[str, Any], now: datetime.datetime
) -> list[Event]:
    events: list[Event] = []
    if "subject" in changes and check_subject(changes["subject"]) != ticket.subject:
        subject = check_subject(changes["subject"])
        events.append(change_event(ticket=ticket, kind=Event.Kind.FIELD, actor=actor,
                                   before=ticket.subject, after=subject, field="subject"))
        _touch(ticket, now, subject=subject)
    if "priority" in changes and changes["priority"] != ticket.priority:
        if changes["priority"] not in Ticket.Priority.values:
            raise Invalid(_("Unknown priority."),
                          fields={"priority": [_("Use low, normal, high or urgent.")]})
        events.append(change_event(ticket=ticket, kind=Event.Kind.PRIORITY, actor=actor,
                                   before=ticket.priority, after=changes["priority"]))
        _touch(ticket, now, priority=changes["priority"],
               priority_rank=Ticket.PRIORITY_RANK[changes["priority"]])
    if "language" in changes and changes["language"] != ticket.language:
        events.append(change_event(ticket=ticket, kind=Event.Kind.FIELD, actor=actor,
                                   before=ticket.language, after=changes["language"],
                                   field="language"))
        _touch(ticket, now, language=str(changes["language"] or "")[:16])
    if "assignee" in changes or "team" in changes:
        events.extend(_change_owner(ticket, actor, changes, now))
    if {"tags", "add_tags", "remove_tags"} & set(changes):
        events.extend(_change_tags(ticket, actor, changes, now))
    if "custom_fields" in changes:
        cleaned = clean_custom_fields(changes["custom_fields"], existing=ticket.custom_fields)
        if cleaned != ticket.custom_fields:
            events.append(change_event(ticket=ticket, kind=Event.Kind.FIELD, actor=actor,
                                       before=ticket.custom_fields, after=cleaned,
                                       field="custom_fields"))
            _touch(ticket, now, custom_fields=cleaned)
    if "participants" in changes:
        events.extend(_change_participants(ticket, actor, list(changes["participants"]), now))
    if "requester" in changes and changes["requester"].pk != ticket.requester_id:
        new = changes["requester"]
        events.append(change_event(ticket=ticket, kind=Event.Kind.REQUESTER, actor=actor,
                                   before=ticket.requester_id, after=new.pk))
        _touch(ticket, now, requester=new, organization=new.organization)
    if "status" in changes and changes["status"] != ticket.status:
        check_transition(ticket.status, changes["status"])
        events.append(_set_status(ticket, changes["status"], actor=actor, at=now))
    return events


def _change_owner(ticket: Ticket, actor: Any, changes: dict[str, Any], now: datetime.datetime) -> list[Event]:
    new_assignee = changes.get("assignee", ticket.assignee)
    new_team = changes.get("team", ticket.team)
    if new_assignee is not None and not hasattr(new_assignee, "agent"):
        raise Invalid(_("Only agents can be assigned."), fields={"assignee": [_("Not an agent.")]})
    if new_assignee is not None and not new_assignee.agent.is_active:
        raise Invalid(_("This agent is not active."), fields={"assignee": [_("Not active.")]})
    assignee_changed = (new_assignee.pk if new_assignee else None) != ticket.assignee_id
    team_changed = (new_team.pk if new_team else None) != ticket.team_id
    if not (assignee_changed or team_changed):
        return []
    # Giving an unowned ticket an owner (or a team-less one a team) is an assignment; moving it
    # away from the agent or team that holds it is a transfer, and transfers need a reason.
    is_transfer = (ticket.assignee_id is not None and assignee_changed) or (
        ticket.team_id is not None and team_changed
    )
    reason = str(changes.get("transfer_reason") or "").strip()
    if is_transfer and not reason:
        raise HeedfulError(
            ErrorCode.REASON_REQUIRED,
            _("Say why the ticket moves to someone else, so that nobody gets the runaround."),
            fields={"transfer_reason": [_("This is required for a transfer.")]},
        )
    kind = Event.Kind.TRANSFER if is_transfer else Event.Kind.ASSIGNMENT
    event = append_event(
        ticket=ticket, kind=kind, author_user=actor, channel=Channel.AGENT, public=False,
        body_text=str(changes.get("handoff_note") or "").strip(),
        data={
            "from_assignee": ticket.assignee_id, "to_assignee": new_assignee.pk if new_assignee else None,
            "from_team": ticket.team_id, "to_team": new_team.pk if new_team else None,
            "reason": reason,
        },
        at=now,
    )
    events = [event]
    _touch(ticket, now, assignee=new_assignee, team=new_team)
    if new_assignee is not None and ticket.status == S.NEW:
        events.append(_set_status(ticket, S.OPEN, actor=actor, at=now))
    return events


def _change_tags(ticket: Ticket, actor: Any, changes: dict[str, Any], now: datetime.datetime) -> list[Event]:
    before = sorted(ticket.tags.values_list("name", flat=True))
    after = normalize_tags(changes["tags"]) if "tags" in changes else list(before)
    after = sorted(set(after) | set(normalize_tags(changes.get("add_tags", []))))
    after = sorted(set(after) - set(normalize_tags(changes.get("remove_tags", []))))
    if after == before:
        return []
    ticket.tags.set(Tag.objects.filter(name__in=_ensure_tags(after)))
    _touch(ticket, now)
    return [change_event(ticket=ticket, kind=Event.Kind.TAGS, actor=actor, before=before, after=after)]


def _change_participants(
    ticket: Ticket, actor: Any, contacts: list[Contact], now: datetime.datetime
) -> list[Event]:
    before = sorted(ticket.participants.values_list("id", flat=True))
    after = sorted({c.pk for c in contacts if c.pk != ticket.requester_id})
    if before == after:
        return []
    ticket.participants.set(after)
    _touch(ticket, now)
    return [change_event(ticket=ticket, kind=Event.Kind.PARTICIPANTS, actor=actor,
                         before=before, after=after)]


def bulk_update_tickets(*, tickets: Iterable[Ticket], actor: Any, changes: dict[str, Any]) -> int:
    """The same path as update_ticket, for many tickets in one transaction: all or nothing."""
    count = 0
    with transaction.atomic():
        for ticket in tickets:
            update_ticket(ticket=ticket, actor=actor, changes=changes)
            count += 1
    return count
