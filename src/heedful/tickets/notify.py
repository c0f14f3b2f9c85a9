"""Telling the world after a ticket changed: delivery of replies and the hooks other apps
subscribe to (webhooks among them), in the same transaction, and realtime updates for agents'
open pages (sent only after commit)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction

from heedful.tickets import delivery, hooks
from heedful.tickets.models import Event, Ticket

logger = logging.getLogger(__name__)

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
    """After an action wrote tickets and events (inside its transaction): hand public replies
    to their delivery backends, run the hooks apps subscribed to, and broadcast each ticket to
    open pages after commit."""
    delivery.queue([event for _ticket, events in changes for event in events])
    hooks.fire([hooks.Change(ticket, events, created=created) for ticket, events in changes])
    broadcasts = [(ticket.pk, events[-1].pk if events else None, events[-1].kind if events else "created")
                  for ticket, events in changes]
    transaction.on_commit(lambda: _broadcast_all(broadcasts))


def _broadcast_all(broadcasts: list[tuple[int, int | None, str]]) -> None:
    for ticket_id, event_id, kind in broadcasts:
        _broadcast(ticket_id, event_id, kind)
