"""/api/v1 endpoints for agents' decisions on mail: spam or not spam, accept or refuse a held
message. Thin: they find the objects through the policy and call heedful.mail.actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from ninja.decorators import decorate_view
from ninja.responses import codes_4xx

from heedful.api.auth import acting_user, viewer
from heedful.api.idempotency import idempotent
from heedful.api.schemas import MAX_ID, ErrorOut, In
from heedful.api.ticket_schemas import EventOut, event_out
from heedful.core.errors import NotFound
from heedful.mail.actions import accept_held_message, mark_spam, reject_held_message
from heedful.policy import Permission, get_ticket_for, require, require_agent
from heedful.tickets import selectors
from heedful.tickets.models import Event

router = Router(tags=["mail"])

PathId = Path(..., ge=1, le=MAX_ID)


class SpamIn(In):
    spam: bool = Field(description="true: suspected spam (moves to the spam queue); false: not spam. "
                                   "Either verdict teaches the spam classifier.")


class SpamOut(Schema):
    id: int = Field(description="The ticket's id.")
    spam: bool


def _held_event(request: HttpRequest, ticket_id: int, event_id: int) -> Event:
    """An event of a ticket the agent may see (merged tickets' events included), else 404."""
    require_agent(viewer(request))
    ticket = get_ticket_for(viewer(request), ticket_id)
    require(viewer(request), Permission.TICKET_CHANGE, ticket)
    event = selectors.timeline(viewer(request), ticket).filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("No event with id %(id)s on this ticket.") % {"id": event_id})
    return event


def _event_out(event: Event) -> EventOut:
    fresh = (Event.objects.select_related("author_user__agent", "author_contact")
             .prefetch_related("attachments").get(pk=event.pk))
    return event_out(fresh)


@router.post("/tickets/{id}/spam", response={200: SpamOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def set_spam(request: HttpRequest, payload: SpamIn, id: int = PathId) -> Any:
    """Mark a ticket as spam (it leaves the queues for the spam queue) or as not spam."""
    require_agent(viewer(request))
    ticket = get_ticket_for(viewer(request), id)
    require(viewer(request), Permission.TICKET_CHANGE, ticket)
    ticket = mark_spam(ticket=ticket, actor=acting_user(request), spam=payload.spam)
    return SpamOut(id=ticket.pk, spam=ticket.spam)


@router.post("/tickets/{id}/events/{event_id}/accept", response={200: EventOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def accept_held(request: HttpRequest, id: int = PathId, event_id: int = PathId) -> Any:
    """Accept a message held for review (its sender was not on the ticket): it becomes part of the
    conversation and the sender is copied from now on. Answers the message as the conversation
    now shows it (a new event with data.released_from; the held event itself never changes).
    400 when the message is not held."""
    event = _held_event(request, id, event_id)
    return _event_out(accept_held_message(event=event, actor=acting_user(request)))


@router.post("/tickets/{id}/events/{event_id}/reject", response={200: EventOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def reject_held(request: HttpRequest, id: int = PathId, event_id: int = PathId) -> Any:
    """Refuse a message held for review: it stays on record, internal, and no longer waits.
    Answers the review (kind held_review). 400 when the message is not held."""
    event = _held_event(request, id, event_id)
    return _event_out(reject_held_message(event=event, actor=acting_user(request)))
