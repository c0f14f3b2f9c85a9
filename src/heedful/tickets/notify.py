"""Telling the world after a ticket changed: webhooks (queued in the same transaction) and
realtime updates for agents' open pages (sent only after commit)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction

from heedful.tickets.models import Event, Ticket

logger = logging.getLogger(__name__)

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
EVENT_ADDED = "event.added"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


QUEUE_GROUP = "queue"


def _nobody_listens_here(layer: Any, ticket_id: int) -> bool:
    """The in-memory layer reaches only this process: in a worker (mail intake, say) no page
    listens, and skipping the async hop saves milliseconds per message."""
    from channels.layers import InMemoryChannelLayer

    if not isinstance(layer, InMemoryChannelLayer):
        return False
    return not (layer.groups.get(ticket_group(ticket_id)) or layer.groups.get(QUEUE_GROUP))


def _broadcast(ticket_id: int, event_id: int | None, kind: str) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None or _nobody_listens_here(layer, ticket_id):
        return
    message = {"type": "ticket.changed", "ticket": ticket_id, "event": event_id, "kind": kind}
    try:
        async_to_sync(layer.group_send)(ticket_group(ticket_id), message)
        async_to_sync(layer.group_send)(QUEUE_GROUP, message)
    except Exception:  # a realtime hiccup must never undo a committed change
        logger.exception("realtime broadcast failed for ticket %s", ticket_id)


def ticket_changed(ticket: Ticket, events: list[Event], *, created: bool = False) -> None:
    tickets_changed([(ticket, events)], created=created)


def tickets_changed(changes: list[tuple[Ticket, list[Event]]], *, created: bool = False) -> None:
    """Queue outgoing mail and webhooks for many changed tickets with one read of the
    subscriptions, and broadcast each after commit."""
    from heedful.mail.outbound import queue_replies
    from heedful.webhooks.dispatch import queue_many

    # Before webhooks: an outgoing reply gets its Message-ID here, and the payloads carry it.
    queue_replies([event for _ticket, events in changes for event in events])

    announcements: list[tuple[str, dict[str, Any]]] = []
    broadcasts: list[tuple[int, int | None, str]] = []
    for ticket, events in changes:
        if created:
            announcements.append((TICKET_CREATED, {"ticket_id": ticket.pk}))
        elif events:
            announcements.append((TICKET_UPDATED, {"ticket_id": ticket.pk}))
        announcements += [(EVENT_ADDED, {"ticket_id": ticket.pk, "event_id": event.pk})
                          for event in events]
        broadcasts.append((ticket.pk, events[-1].pk if events else None,
                           events[-1].kind if events else "created"))
    queue_many(announcements)
    transaction.on_commit(lambda: _broadcast_all(broadcasts))


def _broadcast_all(broadcasts: list[tuple[int, int | None, str]]) -> None:
    for ticket_id, event_id, kind in broadcasts:
        _broadcast(ticket_id, event_id, kind)
