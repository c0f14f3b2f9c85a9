"""Appending facts to a ticket's timeline. Every Event row is written here."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from heedful.core.html import sanitize_html, text_to_html
from heedful.people.models import Contact
from heedful.tickets.kinds import check_new_event
from heedful.tickets.models import Channel, Event, Ticket


def append_event(**fields: Any) -> Event:
    """Write one Event now; the keyword arguments are build_event's."""
    event = build_event(**fields)
    event.save()
    return event


def build_event(
    *,
    ticket: Ticket,
    kind: str,
    author_user: Any = None,
    author_contact: Contact | None = None,
    channel: str = Channel.AGENT,
    public: bool = False,
    body_text: str = "",
    body_html: str = "",
    full_text: str = "",
    language: str = "",
    message_id: str = "",
    flags: list[str] | None = None,
    data: dict[str, Any] | None = None,
    delivery_channel: str = "",
    at: datetime.datetime | None = None,
) -> Event:
    """An unsaved Event, for callers that write many at once with bulk_create. The kind must be
    registered (tickets/kinds.py) and `data` in its shape."""
    check_new_event(kind, public=public, data=data or {})
    if body_text and not body_html:
        body_html = text_to_html(body_text)
    return Event(
        ticket=ticket, kind=kind, author_user=author_user, author_contact=author_contact,
        channel=channel, public=public, body_text=body_text,
        body_html=sanitize_html(body_html) if body_html else "",
        full_text=full_text if full_text != body_text else "", language=language,
        message_id=message_id[:255], flags=flags or [], data=data or {},
        delivery_channel=delivery_channel, created_at=at or timezone.now(),
    )


def change_event(
    *, ticket: Ticket, kind: str, actor: Any, before: Any, after: Any, **extra: Any
) -> Event:
    """A field-change fact: who changed what from what to what."""
    return append_event(
        ticket=ticket, kind=kind, author_user=actor, channel=Channel.AGENT, public=False,
        data={"from": before, "to": after, **extra},
    )
