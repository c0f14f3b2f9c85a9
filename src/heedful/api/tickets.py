"""/api/v1/tickets, their events and attachments: input to actions, selectors to output."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.responses import codes_4xx

from heedful.api.auth import acting_user, viewer
from heedful.api.idempotency import idempotent
from heedful.api.pagination import time_page
from heedful.api.schemas import MAX_ID, ErrorOut, TargetIn
from heedful.api.ticket_schemas import (
    AttachmentIn,
    EventCreateIn,
    EventList,
    EventOut,
    EventQuery,
    TicketCreateIn,
    TicketFilters,
    TicketList,
    TicketOut,
    TicketPatchIn,
    event_out,
    ticket_out,
)
from heedful.core.errors import HeedfulError, Invalid, NotFound
from heedful.people.actions import get_or_create_contact_for_email
from heedful.people.models import Agent, Contact, Team
from heedful.policy import Permission, get_attachment_for, get_ticket_for, require, require_agent
from heedful.tickets import selectors
from heedful.tickets.actions import open_ticket, reply_to_ticket, update_ticket
from heedful.tickets.attachments import Upload, check_size
from heedful.tickets.downloads import attachment_response
from heedful.tickets.merging import merge_tickets
from heedful.tickets.models import Event, Ticket

router = Router(tags=["tickets"])

PathId = Path(..., ge=1, le=MAX_ID)
TICKET_PREFETCH = (
    "tags", Prefetch("participants", queryset=Contact.objects.only("id")), "requester__identities",
)


def _field_error(field: str, message: str) -> Invalid:
    return Invalid(message, fields={field: [message]})


def _team(field: str, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise _field_error(field, _("No team with id %(id)s.") % {"id": team_id})
    return team


def _agent_user(field: str, agent_id: int | None) -> Any:
    if agent_id is None:
        return None
    agent = Agent.objects.select_related("user").filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise _field_error(field, _("No active agent with id %(id)s.") % {"id": agent_id})
    return agent.user


def _uploads(attachments: list[AttachmentIn]) -> list[Upload]:
    uploads = []
    for index, item in enumerate(attachments):
        # Refuse before decoding: base64 is a third larger than the bytes it carries.
        check_size(len(item.content_base64) * 3 // 4 - 2, item.filename)
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise _field_error(f"attachments.{index}.content_base64",
                               _("This is not valid base64.")) from None
        uploads.append(Upload(filename=item.filename, content=content,
                              content_type=item.content_type or "application/octet-stream"))
    return uploads


def _ticket_for_output(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = get_ticket_for(viewer(request), ticket_id)
    prefetch_related_objects([ticket], *TICKET_PREFETCH)
    return ticket


def _assignee_user_ids(value: str) -> str:
    """The API names agents by agent id; the queue filters by their user id."""
    items = value.split(",")
    agent_ids = [int(i) for i in items if i.isdigit()]
    users = dict(Agent.objects.filter(pk__in=agent_ids).values_list("pk", "user_id"))
    return ",".join(i if not i.isdigit() else str(users.get(int(i), 0)) for i in items)


@router.get("/tickets", response={200: TicketList, codes_4xx: ErrorOut})
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    """Tickets in a queue, filtered and sorted, one page at a time."""
    chosen = filters.model_dump(exclude_none=True, exclude={"queue", "sort", "limit", "cursor"})
    for name, value in list(chosen.items()):
        if hasattr(value, "isoformat"):
            chosen[name] = value.isoformat()
    if "assignee" in chosen:
        chosen["assignee"] = _assignee_user_ids(chosen["assignee"])
    page = selectors.ticket_queue(viewer=viewer(request), queue=filters.queue, filters=chosen,
                                  sort=filters.sort, cursor=filters.cursor, limit=filters.limit)
    prefetch_related_objects(page.items, *TICKET_PREFETCH[1:])
    return {"results": [ticket_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/tickets", response={201: TicketOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Any:
    """Open a ticket with its first message, from the customer (default) or from the agent."""
    agent = require_agent(viewer(request))
    require(viewer(request), Permission.TICKET_CHANGE)
    if (payload.requester_id is None) == (payload.requester is None):
        raise Invalid(_("Name the requester once: requester_id or requester."),
                      fields={"requester": [_("Give requester_id or requester, not both.")]})
    if payload.requester_id is not None:
        requester = Contact.objects.filter(pk=payload.requester_id).first()
        if requester is None:
            raise _field_error("requester_id", _("No contact with id %(id)s.") % {"id": payload.requester_id})
    else:
        assert payload.requester is not None
        requester = _contact_for_email("requester.email", payload.requester.email, payload.requester.name)
    cc = [_contact_for_email(f"cc.{i}", email) for i, email in enumerate(payload.cc)]
    ticket = open_ticket(
        requester=requester, subject=payload.subject, body=payload.body, channel=payload.channel,
        author_user=agent.user, from_customer=payload.from_customer, priority=payload.priority,
        delivery_channel=payload.delivery_channel,
        team=_team("team_id", payload.team_id), assignee=_agent_user("assignee_id", payload.assignee_id),
        tags=payload.tags, custom_fields=payload.custom_fields, cc=cc,
        attachments=_uploads(payload.attachments),
    )
    prefetch_related_objects([ticket], *TICKET_PREFETCH)
    return Status(201, ticket_out(ticket))


def _contact_for_email(field: str, email: str, name: str = "") -> Contact:
    try:
        return get_or_create_contact_for_email(email, name=name)
    except HeedfulError as error:
        raise HeedfulError(error.code, error.message, fields={field: [error.message]}) from None


@router.get("/tickets/{id}", response={200: TicketOut, codes_4xx: ErrorOut})
def get_ticket(request: HttpRequest, id: int = PathId) -> Any:
    return ticket_out(_ticket_for_output(request, id))


_NULLABLE = {"assignee_id", "team_id"}


@router.patch("/tickets/{id}", response={200: TicketOut, codes_4xx: ErrorOut})
def patch_ticket(request: HttpRequest, payload: TicketPatchIn, id: int = PathId) -> Any:
    """Change status, priority, owner, team, tags, custom fields or subject; each change is a
    timeline event. Moving a ticket away from its owner needs transfer_reason."""
    require_agent(viewer(request))
    ticket = get_ticket_for(viewer(request), id)
    require(viewer(request), Permission.TICKET_CHANGE, ticket)
    sent = payload.model_dump(include=payload.model_fields_set)
    nulls = sorted(k for k, v in sent.items() if v is None and k not in _NULLABLE)
    if nulls:
        raise Invalid(_("These fields cannot be null."),
                      fields={k: [_("Leave the field out instead.")] for k in nulls})
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k not in _NULLABLE}
    if "assignee_id" in sent:
        changes["assignee"] = _agent_user("assignee_id", sent["assignee_id"])
    if "team_id" in sent:
        changes["team"] = _team("team_id", sent["team_id"])
    if changes:
        update_ticket(ticket=ticket, actor=acting_user(request), changes=changes)
    return ticket_out(_ticket_for_output(request, id))


@router.get("/tickets/{id}/events", response={200: EventList, codes_4xx: ErrorOut})
def list_events(request: HttpRequest, page: Query[EventQuery], id: int = PathId) -> Any:
    """The ticket's timeline, oldest first, with the events of tickets merged into it."""
    ticket = get_ticket_for(viewer(request), id)
    events = selectors.timeline(viewer(request), ticket)
    result = time_page(events, column="created_at", cursor=page.cursor, limit=page.limit)
    undelivered = _undelivered([e for e in result.items if e.kind == Event.Kind.MESSAGE_OUT])
    return {"results": [event_out(e, extra_flags=undelivered.get(e.pk, ())) for e in result.items],
            "next_cursor": result.next_cursor}


def _undelivered(replies: list[Event]) -> dict[int, tuple[str, ...]]:
    """Flags for replies that later events say did not arrive (the reply's row never changes)."""
    from heedful.mail.actions import undelivered
    from heedful.mail.kinds import DELIVERY_FAILED

    if not replies:
        return {}
    states = undelivered(Event.objects.filter(ticket_id__in={e.ticket_id for e in replies},
                                              kind=DELIVERY_FAILED).only("kind", "data"))
    return {e.pk: ("bounce",) if states[e.pk] == "bounced" else ("delivery_failed",)
            for e in replies if e.pk in states}


@router.post("/tickets/{id}/events", response={201: EventOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def add_event(request: HttpRequest, payload: EventCreateIn, id: int = PathId) -> Any:
    """A public reply to the customer, or an internal note (public false)."""
    agent = require_agent(viewer(request))
    ticket = get_ticket_for(viewer(request), id)
    require(viewer(request), Permission.TICKET_CHANGE, ticket)
    event = reply_to_ticket(
        ticket=ticket, body=payload.body, author_user=agent.user, public=payload.public,
        status=payload.status, attachments=_uploads(payload.attachments), channel="api",
        delivery_channel=payload.channel if payload.public else None,
    )
    event = (Event.objects.select_related("author_user__agent", "author_contact")
             .prefetch_related("attachments").get(pk=event.pk))
    return Status(201, event_out(event))


@router.post("/tickets/{id}/merge", response={200: TicketOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def merge_ticket(request: HttpRequest, payload: TargetIn, id: int = PathId) -> Any:
    """Close this ticket as a duplicate of target_id; answers the target."""
    source = get_ticket_for(viewer(request), id)
    try:
        target = get_ticket_for(viewer(request), payload.target_id)
    except NotFound:
        raise _field_error("target_id", _("No ticket with id %(id)s.") % {"id": payload.target_id}) from None
    require(viewer(request), Permission.TICKET_MERGE, source)
    require(viewer(request), Permission.TICKET_MERGE, target)
    merged = merge_tickets(source=source, target=target, actor=acting_user(request))
    return ticket_out(_ticket_for_output(request, merged.pk))


@router.get(
    "/attachments/{id}",
    response={200: None, codes_4xx: ErrorOut},
    openapi_extra={"responses": {200: {
        "description": "The file, as a download.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }}},
)
def download_attachment(request: HttpRequest, id: int = PathId) -> HttpResponseBase:
    attachment = get_attachment_for(viewer(request), id)
    return attachment_response(attachment)

