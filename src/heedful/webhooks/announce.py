"""What webhooks announce about tickets, subscribed to the tickets app's hooks."""

from __future__ import annotations

from typing import Any

from heedful.tickets.hooks import Change
from heedful.webhooks.dispatch import queue_many

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
EVENT_ADDED = "event.added"


def announce_changes(changes: list[Change]) -> None:
    """One announcement per ticket (created or updated) and per event, queued in the writing
    transaction with one read of the subscriptions."""
    announcements: list[tuple[str, dict[str, Any]]] = []
    for change in changes:
        kind = TICKET_CREATED if change.created else TICKET_UPDATED
        announcements.append((kind, {"ticket_id": change.ticket.pk}))
        announcements += [(EVENT_ADDED, {"ticket_id": change.ticket.pk, "event_id": event.pk})
                          for event in change.events]
    queue_many(announcements)
