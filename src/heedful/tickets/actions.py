"""The one way to change tickets. Views, the API, mail intake and commands call these.

Each action checks first (raising HeedfulError with a stable code), then writes the ticket, its
timeline events, queued webhooks and realtime notices in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core import sequences
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.models import Contact, Team
from heedful.people.selectors import live_contacts
from heedful.tickets import delivery, notify
from heedful.tickets.attachments import Upload, store_attachments_many
from heedful.tickets.custom_fields import active_definitions, clean_custom_fields
from heedful.tickets.models import Channel, CustomFieldDefinition, Event, Tag, Ticket
from heedful.tickets.status import check_transition, is_reopen
from heedful.tickets.tags import normalize_tags
from heedful.tickets.timeline import append_event, build_event, change_event

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


@dataclass
class TicketRequest:
    """Everything needed to open one ticket with its first message: from the customer (in), or
    written by an agent on the customer's behalf (out)."""

    requester: Contact
    subject: str
    body: str
    channel: str
    author_user: Any = None
    from_customer: bool = True
    body_html: str = ""
    priority: str = Ticket.Priority.NORMAL
    team: Team | None = None
    assignee: Any = None
    tags: Iterable[str] = ()
    custom_fields: dict[str, Any] | None = None
    cc: Iterable[Contact] = ()
    attachments: Iterable[Upload] = ()
    language: str = ""
    message_id: str = ""
    full_text: str = ""
    flags: list[str] | None = None
    spam: bool = False
    customer_form: bool = False
    # A form can ask for required fields; an e-mail or a chat cannot, so those channels pass False.
    enforce_required: bool = True
    # For a first message written by an agent (from_customer False): the channel it goes out
    # on; None takes the default for the ticket's channel (tickets/delivery.py).
    delivery_channel: str | None = None
    # Facts about the first message, in the shape its kind declares (a split keeps its origin).
    data: dict[str, Any] | None = None
    # With from_customer False: the first message is an internal note (an agent recording a
    # phone call or a letter), not a reply to the customer.
    note: bool = False
    at: datetime.datetime | None = None


def open_ticket(**request: Any) -> Ticket:
    """Open one ticket; the keyword arguments are the fields of TicketRequest."""
    return open_tickets([TicketRequest(**request)])[0].ticket


def _checked(
    request: TicketRequest, definitions: dict[str, CustomFieldDefinition] | None,
) -> tuple[str, dict[str, Any], list[str]]:
    subject = check_subject(request.subject)
    check_body(request.body, request.body_html)
    if request.priority not in Ticket.Priority.values:
        raise Invalid(_("Unknown priority."), fields={"priority": [_("Use low, normal, high or urgent.")]})
    if request.channel not in Channel.values:
        raise Invalid(_("Unknown channel."), fields={"channel": [_("Unknown channel.")]})
    if request.note and request.from_customer:
        raise Invalid(_("A customer's message cannot be an internal note."))
    fields: dict[str, Any] = {}
    if request.custom_fields or request.enforce_required:
        fields = clean_custom_fields(request.custom_fields or {}, customer=request.customer_form,
                                     enforce_required=request.enforce_required,
                                     definitions=definitions)
    return subject, fields, normalize_tags(request.tags)


def open_tickets(requests: list[TicketRequest]) -> list[Event]:
    """Open many tickets, each with its first message, in one transaction and a handful of
    statements however many there are (a mail batch, a bulk import). Returns the first events,
    in order; `event.ticket` is the new ticket. Any invalid request raises before anything is
    written."""
    needs_fields = any(request.custom_fields or request.enforce_required for request in requests)
    definitions = active_definitions() if needs_fields else None
    checked = [_checked(request, definitions) for request in requests]
    if not requests:
        return []
    with transaction.atomic():
        requesters = _live_requesters([r.requester for r in requests])
        numbers = sequences.reserve("ticket", len(requests))
        tickets = []
        for request, requester, number, (subject, fields, _tags) in zip(
                requests, requesters, numbers, checked, strict=True):
            now = request.at or timezone.now()
            tickets.append(Ticket(
                number=number, subject=subject, channel=request.channel, requester=requester,
                organization_id=requester.organization_id, priority=request.priority,
                priority_rank=Ticket.PRIORITY_RANK[request.priority], team=request.team,
                assignee=request.assignee, language=request.language or requester.language,
                custom_fields=fields, status=S.OPEN if request.assignee else S.NEW,
                created_at=now, updated_at=now,
                last_customer_message_at=now if request.from_customer else None, spam=request.spam,
            ))
        Ticket.objects.bulk_create(tickets)
        Participant = Ticket.participants.through
        Participant.objects.bulk_create(
            Participant(ticket_id=ticket.pk, contact_id=contact_id)
            for ticket, request in zip(tickets, requests, strict=True)
            for contact_id in dict.fromkeys(c.pk for c in request.cc if c.pk != ticket.requester_id)
        )
        _tag_all([(ticket, tag_names) for ticket, (_s, _f, tag_names) in zip(tickets, checked, strict=True)])
        # An agent's first message goes out when asked to, or when the channel the ticket came
        # in on has a backend; a call or a visit written down is recorded, not sent.
        outgoing = [(ticket, request) for ticket, request in zip(tickets, requests, strict=True)
                    if not request.from_customer and not request.note and (
                        request.delivery_channel or delivery.backend_answering(request.channel))]
        sent_by = dict(zip([id(request) for _ticket, request in outgoing], delivery.resolve(
            (ticket, request.delivery_channel) for ticket, request in outgoing), strict=True))
        events = [
            build_event(
                ticket=ticket,
                kind=_first_kind(request),
                author_user=None if request.from_customer else request.author_user,
                author_contact=requester if request.from_customer else None,
                channel=request.channel, public=not request.note, body_text=request.body,
                body_html=request.body_html, full_text=request.full_text, language=request.language,
                message_id=request.message_id, flags=request.flags, data=request.data,
                at=ticket.created_at,
                delivery_channel=sent_by.get(id(request), ""),
            )
            for ticket, request, requester in zip(tickets, requests, requesters, strict=True)
        ]
        delivery.prepare(events)
        events = Event.objects.bulk_create(events)
        store_attachments_many([
            (ticket, event, list(request.attachments))
            for ticket, event, request in zip(tickets, events, requests, strict=True)
        ])
        notify.tickets_changed([(ticket, [event]) for ticket, event in zip(tickets, events, strict=True)],
                               created=True)
    return events


def _live_requesters(contacts: list[Contact]) -> list[Contact]:
    """A merged contact's tickets go to the live contact at the end of its merges. The contacts
    the tickets will name are locked and read again, so that a merge of one of them cannot
    commit in between and leave the new ticket on a merged contact (the merge locks its source
    the same way and, once this commits, moves the ticket with the others)."""
    current = live_contacts(contacts)
    for _step in range(5):
        wanted = {contact.pk for contact in current}
        # of=self: PostgreSQL locks no row of the (nullable) organization join.
        locked = {c.pk: c for c in Contact.objects.select_for_update(of=("self",))
                  .select_related("organization").filter(pk__in=wanted).order_by("pk")}
        if len(locked) < len(wanted):
            raise HeedfulError(ErrorCode.CONFLICT, _("The customer is gone; choose them again."))
        fresh = [locked[contact.pk] for contact in current]
        if all(contact.merged_into_id is None for contact in fresh):
            return fresh
        current = live_contacts(fresh)  # merged a moment ago: follow to the contact it became
    raise HeedfulError(ErrorCode.CONFLICT, _("The customer was merged again meanwhile; try again."))


def _first_kind(request: TicketRequest) -> str:
    if request.from_customer:
        return Event.Kind.MESSAGE_IN
    return Event.Kind.NOTE if request.note else Event.Kind.MESSAGE_OUT


def _tag_all(tagged: list[tuple[Ticket, list[str]]]) -> None:
    """Tags for new tickets: the missing tags created and every link inserted at once."""
    names = list(dict.fromkeys(name for _ticket, tag_names in tagged for name in tag_names))
    if not names:
        return
    tag_ids = dict(Tag.objects.filter(name__in=_ensure_tags(names)).values_list("name", "id"))
    Link = Ticket.tags.through
    Link.objects.bulk_create(Link(ticket_id=ticket.pk, tag_id=tag_ids[name])
                             for ticket, tag_names in tagged for name in dict.fromkeys(tag_names))


def _ensure_tags(names: list[str]) -> list[str]:
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in names if n not in existing], ignore_conflicts=True)
    return names


def _touch(ticket: Ticket, at: datetime.datetime, **extra: Any) -> None:
    for key, value in extra.items():
        setattr(ticket, key, value)
    ticket.updated_at = at
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=at, **extra)


@dataclass
class NewMessage:
    """One message added to an existing ticket: an agent's public reply or internal note, or a
    customer's message.

    `hidden` keeps a customer-side message off the customer's timeline and out of the status
    logic: mail held for review, auto-replies and bounces are recorded, not acted upon."""

    ticket: Ticket
    body: str
    author_user: Any = None
    author_contact: Contact | None = None
    public: bool = True
    body_html: str = ""
    attachments: Iterable[Upload] = ()
    channel: str | None = None
    # For a public reply: the channel it goes out on; None takes the conversation's.
    delivery_channel: str | None = None
    status: str | None = None
    language: str = ""
    message_id: str = ""
    full_text: str = ""
    flags: list[str] | None = None
    hidden: bool = False
    # Facts about the message itself, in the shape its kind declares (tickets/kinds.py).
    data: dict[str, Any] | None = None
    # Tags added with the message (a saved reply's "then add tags"), recorded as a tags event.
    add_tags: Iterable[str] = ()
    at: datetime.datetime | None = None


def reply_to_ticket(**message: Any) -> Event:
    """Add one message (a customer's message reopens a solved ticket; an agent may set the
    status in the same step); the keyword arguments are the fields of NewMessage."""
    return add_messages([NewMessage(**message)])[0]


def add_messages(messages: list[NewMessage]) -> list[Event]:
    """Add many messages in one transaction: the tickets are locked and written once each, the
    events inserted together. Several messages may go to the same ticket; they apply in order.
    Returns each message's event, in order."""
    for message in messages:
        check_body(message.body, message.body_html)
        if (message.author_user is None) == (message.author_contact is None):
            raise Invalid(_("A message has exactly one author."))
    if not messages:
        return []
    with transaction.atomic():
        ids = sorted({m.ticket.pk for m in messages})  # one lock order for every process
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        changed: dict[int, set[str]] = {pk: set() for pk in locked}
        planned: list[tuple[Ticket, Event, list[Upload]]] = []
        timeline: dict[int, list[Event]] = {pk: [] for pk in locked}
        ordered: list[Event] = []
        for message in messages:
            ticket = locked[message.ticket.pk]
            message.ticket = ticket
            event, extra = _plan_message(ticket, message, changed[ticket.pk])
            planned.append((ticket, event, list(message.attachments)))
            timeline[ticket.pk] += [event, *extra]
            ordered += [event, *extra]
        _choose_delivery(planned, messages)
        delivery.prepare(ordered)
        Event.objects.bulk_create(ordered)
        for message in messages:
            if message.add_tags:
                timeline[message.ticket.pk] += _tag_with_message(message)
        Ticket.objects.bulk_update(
            [locked[pk] for pk in ids if changed[pk]],
            sorted(set().union(*changed.values()) | {"updated_at"}),
        )
        store_attachments_many(planned)
        notify.tickets_changed([(locked[pk], timeline[pk]) for pk in ids])
    return [event for _ticket, event, _uploads in planned]


def _tag_with_message(message: NewMessage) -> list[Event]:
    saved_reply = (message.data or {}).get("saved_reply")
    return _change_tags(message.ticket, message.author_user, {"add_tags": list(message.add_tags)},
                        message.at or timezone.now(),
                        **({"saved_reply": saved_reply} if saved_reply else {}))


def _choose_delivery(planned: list[tuple[Ticket, Event, list[Upload]]], messages: list[NewMessage]) -> None:
    """Each public reply's delivery channel, checked before anything is written."""
    replies = [(event, message) for (_ticket, event, _uploads), message in zip(planned, messages, strict=True)
               if event.kind == Event.Kind.MESSAGE_OUT]
    if not replies:
        return
    channels = delivery.resolve((event.ticket, message.delivery_channel) for event, message in replies)
    for (event, _message), channel in zip(replies, channels, strict=True):
        event.delivery_channel = channel


def _plan_message(ticket: Ticket, message: NewMessage, changed: set[str]) -> tuple[Event, list[Event]]:
    """The message's event and any status events, with the ticket changed in memory (the caller
    writes both)."""
    now = message.at or timezone.now()
    contact, user, public = message.author_contact, message.author_user, message.public
    # A closed ticket takes no new words from the customer; what is only recorded there (an
    # auto-reply, a bounce, mail held for review) is still kept.
    if contact is not None and ticket.status == S.CLOSED and not message.hidden:
        raise HeedfulError(
            ErrorCode.INVALID_TRANSITION,
            _("This ticket is closed. Please open a new request; we will link them."),
        )
    if contact is not None:
        kind, public = Event.Kind.MESSAGE_IN, not message.hidden
    else:
        kind = Event.Kind.MESSAGE_OUT if public else Event.Kind.NOTE
    event = build_event(
        ticket=ticket, kind=kind, author_user=user, author_contact=contact,
        channel=message.channel or (Channel.AGENT if user else Channel.PORTAL), public=public,
        body_text=message.body, body_html=message.body_html, full_text=message.full_text,
        language=message.language, message_id=message.message_id, flags=message.flags,
        data=message.data, at=now,
    )
    target: str | None = None
    if kind == Event.Kind.MESSAGE_IN and message.hidden:
        _set(ticket, changed, updated_at=now)
    elif kind == Event.Kind.MESSAGE_IN:
        _set(ticket, changed, updated_at=now, last_customer_message_at=now)
        if ticket.status in {S.SOLVED, S.PENDING, S.ON_HOLD}:
            return event, [_plan_status(ticket, S.OPEN, changed, actor=None, contact=contact, at=now)]
        return event, []
    elif kind == Event.Kind.MESSAGE_OUT:
        extra = {} if ticket.first_response_at else {"first_response_at": now}
        _set(ticket, changed, updated_at=now, **extra)
        target = message.status or (S.OPEN if ticket.status == S.NEW else None)
    else:
        _set(ticket, changed, updated_at=now)
        target = message.status
    if target and target != ticket.status:
        check_transition(ticket.status, target)
        return event, [_plan_status(ticket, target, changed, actor=user, at=now)]
    return event, []


def _set(ticket: Ticket, changed: set[str], **values: Any) -> None:
    for key, value in values.items():
        setattr(ticket, key, value)
    changed.update(values)


def _plan_status(
    ticket: Ticket, target: str, changed: set[str], *, actor: Any, at: datetime.datetime,
    contact: Contact | None = None,
) -> Event:
    before = ticket.status
    _set(ticket, changed, updated_at=at, **_status_fields(ticket, target, at))
    return build_event(
        ticket=ticket, kind=Event.Kind.STATUS, author_user=actor, author_contact=contact,
        channel=Channel.AGENT if actor else Channel.PORTAL, public=False,
        data={"from": before, "to": target, "reopen": is_reopen(before, target)}, at=at,
    )


def _status_fields(ticket: Ticket, target: str, at: datetime.datetime) -> dict[str, Any]:
    extra: dict[str, Any] = {"status": target}
    if target == S.SOLVED:
        extra["solved_at"] = at
    if target == S.CLOSED:
        extra["closed_at"] = at
        extra["solved_at"] = ticket.solved_at or at
    if is_reopen(ticket.status, target):
        extra["reopen_count"] = ticket.reopen_count + 1
        extra["solved_at"] = None
    return extra


def _set_status(
    ticket: Ticket, target: str, *, actor: Any, contact: Contact | None = None,
    at: datetime.datetime,
) -> Event:
    """A status change written now (update_ticket and friends); add_messages plans the same
    change with _plan_status and writes it with the rest of its batch."""
    changed: set[str] = set()
    event = _plan_status(ticket, target, changed, actor=actor, contact=contact, at=at)
    Ticket.objects.filter(pk=ticket.pk).update(**{field: getattr(ticket, field) for field in changed})
    event.save(force_insert=True)
    return event


def reopen_by_customer(*, ticket: Ticket, contact: Contact, body: str) -> Event:
    """The portal's "this is not solved" button: the customer's words reopen the ticket."""
    if ticket.status != S.SOLVED:
        raise HeedfulError(ErrorCode.INVALID_TRANSITION, _("Only a solved ticket can be reopened."))
    return reply_to_ticket(ticket=ticket, body=body, author_contact=contact, channel=Channel.PORTAL)


TICKET_CHANGE_FIELDS = {
    "subject", "status", "priority", "assignee", "team", "tags", "add_tags", "remove_tags",
    "custom_fields", "language", "participants", "requester", "transfer_reason", "handoff_note",
}


def update_ticket(
    *, ticket: Ticket, actor: Any, changes: dict[str, Any], expected: dict[str, Any] | None = None,
) -> list[Event]:
    """Apply agent changes to one ticket, one timeline event per changed field.

    Moving a ticket away from an agent who owns it is a transfer and needs `transfer_reason`.
    `expected` holds what the agent saw for the fields they change (a form's rendered values);
    if someone changed one of them meanwhile, nothing is written (CONFLICT) rather than
    overwriting a change the agent never saw.
    """
    unknown = set(changes) - TICKET_CHANGE_FIELDS
    if unknown:
        raise HeedfulError(ErrorCode.UNKNOWN_FIELD, _("Unknown ticket fields."),
                           fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if expected:
            _check_unchanged(ticket, expected)
        events = _apply_changes(ticket, actor, changes, now)
        notify.ticket_changed(ticket, events)
    return events


def _check_unchanged(ticket: Ticket, expected: dict[str, Any]) -> None:
    current = {"status": ticket.status, "priority": ticket.priority,
               "assignee": ticket.assignee_id, "team": ticket.team_id}
    stale = [name for name, value in current.items() if name in expected and expected[name] != value]
    if "tags" in expected and sorted(expected["tags"]) != sorted(
            ticket.tags.values_list("name", flat=True)):
        stale.append("tags")
    stale += [f"custom_fields.{key}" for key, value in (expected.get("custom_fields") or {}).items()
              if ticket.custom_fields.get(key) != value]
    if stale:
        raise HeedfulError(
            ErrorCode.CONFLICT,
            _("Someone else changed this ticket while you were editing it. Check the values "
              "shown now and save again."),
            fields={name: [_("Changed by someone else meanwhile.")] for name in stale},
        )


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


def _change_tags(
    ticket: Ticket, actor: Any, changes: dict[str, Any], now: datetime.datetime, **extra: Any,
) -> list[Event]:
    before = sorted(ticket.tags.values_list("name", flat=True))
    after = normalize_tags(changes["tags"]) if "tags" in changes else list(before)
    after = sorted(set(after) | set(normalize_tags(changes.get("add_tags", []))))
    after = sorted(set(after) - set(normalize_tags(changes.get("remove_tags", []))))
    if after == before:
        return []
    ticket.tags.set(Tag.objects.filter(name__in=_ensure_tags(after)))
    _touch(ticket, now)
    return [change_event(ticket=ticket, kind=Event.Kind.TAGS, actor=actor, before=before, after=after,
                         **extra)]


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
