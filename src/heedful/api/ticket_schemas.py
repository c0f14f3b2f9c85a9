"""Schemas of tickets, timeline events and attachments, and the functions that fill them.

Output builders read only what the selectors already loaded (select_related/prefetch), so a
list of 50 tickets costs the same number of queries as a list of 5.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Annotated, Any, Literal, cast

from ninja import Schema
from pydantic import Field

from heedful.api.schemas import In, ObjectId, PageQuery, UtcDatetime
from heedful.tickets.models import Attachment, Channel, Event, Ticket

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["email", "portal", "chat", "phone", "social", "api", "agent"]
TagName = Annotated[str, Field(max_length=100)]
EmailAddress = Annotated[str, Field(max_length=320)]

# Kept in step with the models' choices (tests/api check it).
assert set(StatusName.__args__) == set(Ticket.Status.values)  # type: ignore[attr-defined]
assert set(PriorityName.__args__) == set(Ticket.Priority.values)  # type: ignore[attr-defined]
assert set(ChannelName.__args__) == set(Channel.values)  # type: ignore[attr-defined]

_IDS = r"^(none|\d{1,18})(,(none|\d{1,18}))*$"


class PersonRef(Schema):
    id: int | None
    name: str


class RequesterRef(PersonRef):
    email: str


class TicketOut(Schema):
    id: int
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    channel: ChannelName
    requester: RequesterRef
    organization: int | None = Field(description="Organization id.")
    participants: list[int] = Field(description="Contact ids of CC participants.")
    assignee: PersonRef | None = Field(description="The agent who owns the ticket (agent id).")
    team: int | None = Field(description="Team id.")
    tags: list[str]
    language: str
    custom_fields: dict[str, Any]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    solved_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    merged_into: int | None = Field(description="Id of the ticket this one was merged into.")
    spam: bool = Field(description="Suspected spam: shown in the spam view, kept out of the others.")


class TicketList(Schema):
    results: list[TicketOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    content_type: str
    sha256: str
    url: str = Field(description="Download address (same bearer token).")


class AuthorOut(Schema):
    type: Literal["agent", "customer", "system"]
    id: int | None = Field(description="Agent id or contact id; null for the system.")
    name: str


class EventOut(Schema):
    id: int
    ticket_id: int
    kind: str
    author: AuthorOut
    channel: str = Field(description="Where the words were written (agent, api, email, portal...).")
    delivery_channel: str = Field(
        description="For a public reply: the channel it went out on (e.g. email); empty otherwise.")
    public: bool
    body_text: str
    body_html: str
    created_at: datetime.datetime
    data: dict[str, Any]
    message_id: str
    reply_text: str = Field(description="The new words of the message (same as body_text).")
    full_text: str = Field(description="The whole original, quoted history included.")
    language: str
    flags: list[str]
    attachments: list[AttachmentOut]


class EventList(Schema):
    results: list[EventOut]
    next_cursor: str | None


class AttachmentIn(In):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=150)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class RequesterIn(In):
    email: EmailAddress
    name: str = Field("", max_length=200)


class TicketCreateIn(In):
    requester_id: ObjectId | None = Field(None, description="An existing contact.")
    requester: RequesterIn | None = Field(None, description="Or a contact found or created by e-mail.")
    subject: str = Field(max_length=250)
    body: str = Field(max_length=1_000_000)
    priority: PriorityName = "normal"
    team_id: ObjectId | None = None
    assignee_id: ObjectId | None = Field(None, description="Agent id.")
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    cc: list[EmailAddress] = Field(default_factory=list, max_length=50, description="E-mail addresses.")
    from_customer: bool = Field(True, description="False: an agent writes on the customer's behalf.")
    channel: ChannelName = "api"
    delivery_channel: str | None = Field(
        None, min_length=1, max_length=20,
        description="With from_customer false: the channel the first message goes out on (e.g. "
                    "email). Default: the ticket's channel when a backend delivers on it; a "
                    "ticket opened by phone is recorded without sending anything.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class TicketPatchIn(In):
    subject: str | None = Field(None, max_length=250)
    status: StatusName | None = None
    priority: PriorityName | None = None
    assignee_id: ObjectId | None = Field(None, description="Agent id; null unassigns.")
    team_id: ObjectId | None = Field(None, description="Team id; null removes the team.")
    tags: list[TagName] | None = Field(None, max_length=50, description="Replaces every tag.")
    add_tags: list[TagName] | None = Field(None, max_length=50)
    remove_tags: list[TagName] | None = Field(None, max_length=50)
    custom_fields: dict[str, Any] | None = None
    transfer_reason: str | None = Field(None, max_length=2000,
                                        description="Required when the ticket moves away from its owner.")
    handoff_note: str | None = Field(None, max_length=10_000)


class EventCreateIn(In):
    body: str = Field(max_length=1_000_000)
    public: bool = Field(True, description="False: an internal note.")
    status: StatusName | None = Field(None, description="Set the ticket's status in the same step.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    channel: str | None = Field(
        None, min_length=1, max_length=20,
        description="For a public reply: the channel it goes out on (e.g. email). Default: the "
                    "channel of the conversation. Refused when no backend delivers on it or the "
                    "customer has no identity on it.")


class TicketFilters(PageQuery):
    queue: Literal["mine", "unassigned", "my_teams", "open", "all", "spam"] = "all"
    status: str | None = Field(None, max_length=200, description="Comma-separated statuses.")
    priority: str | None = Field(None, max_length=200, description="Comma-separated priorities.")
    team: str | None = Field(None, max_length=500, pattern=_IDS, description="Team ids or none.")
    assignee: str | None = Field(None, max_length=500, pattern=_IDS, description="Agent ids or none.")
    tag: str | None = Field(None, max_length=500, description="Comma-separated tags (all must match).")
    channel: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=200)
    requester: str | None = Field(None, max_length=500, pattern=_IDS, description="Contact ids.")
    organization: str | None = Field(None, max_length=500, pattern=_IDS)
    q: str | None = Field(None, max_length=200, description="Words of the subject, or #number.")
    created_after: UtcDatetime | None = None
    created_before: UtcDatetime | None = None
    updated_after: UtcDatetime | None = None
    updated_before: UtcDatetime | None = None
    message_id: str | None = Field(None, max_length=998, description="With or without <>.")
    sort: Literal["updated", "-updated", "created", "-created", "priority", "-priority"] = "-updated"


class EventQuery(PageQuery):
    limit: int = Field(100, ge=1, le=200)


def person_ref(user: Any) -> PersonRef | None:
    if user is None:
        return None
    agent = getattr(user, "agent", None)
    if agent is not None:
        return PersonRef(id=agent.pk, name=str(agent))
    return PersonRef(id=None, name=str(user.get_username()))


def ticket_out(ticket: Ticket) -> TicketOut:
    """Needs requester__identities, participants and tags prefetched to stay query-free."""
    requester = ticket.requester
    return TicketOut(
        id=ticket.pk, number=ticket.number, subject=ticket.subject,
        status=cast(StatusName, ticket.status), priority=cast(PriorityName, ticket.priority),
        channel=cast(ChannelName, ticket.channel),
        requester=RequesterRef(id=requester.pk, name=str(requester.name or requester),
                               email=requester.primary_email),
        organization=ticket.organization_id,
        participants=sorted(c.pk for c in ticket.participants.all()),
        assignee=person_ref(ticket.assignee), team=ticket.team_id,
        tags=sorted(t.name for t in ticket.tags.all()), language=ticket.language,
        custom_fields=ticket.custom_fields or {}, created_at=ticket.created_at,
        updated_at=ticket.updated_at, solved_at=ticket.solved_at, closed_at=ticket.closed_at,
        merged_into=ticket.merged_into_id, spam=ticket.spam,
    )


def attachment_url(attachment: Attachment) -> str:
    return f"/api/v1/attachments/{attachment.pk}"


def author_out(event: Event) -> AuthorOut:
    if event.author_user_id is not None:
        ref = person_ref(event.author_user)
        assert ref is not None
        return AuthorOut(type="agent", id=ref.id, name=ref.name)
    if event.author_contact_id is not None:
        contact = event.author_contact
        assert contact is not None
        return AuthorOut(type="customer", id=contact.pk, name=str(contact.name or contact))
    return AuthorOut(type="system", id=None, name="Heedful")


def event_out(event: Event, *, extra_flags: Iterable[str] = ()) -> EventOut:
    """Needs author_user__agent and author_contact selected and attachments prefetched."""
    return EventOut(
        id=event.pk, ticket_id=event.ticket_id, kind=event.kind, author=author_out(event),
        channel=event.channel, delivery_channel=event.delivery_channel, public=event.public,
        body_text=event.body_text,
        body_html=event.body_html, created_at=event.created_at, data=event.data or {},
        message_id=event.message_id, reply_text=event.body_text,
        full_text=event.full_text or event.body_text, language=event.language,
        flags=list(dict.fromkeys([*(str(f) for f in event.flags or []), *extra_flags])),
        attachments=[
            AttachmentOut(id=a.pk, filename=a.filename, size=a.size, content_type=a.content_type,
                          sha256=a.sha256, url=attachment_url(a))
            for a in event.attachments.all()
        ],
    )
