"""Small template helpers for the agent UI: times in the viewer's zone, labels, lookups."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from heedful.tickets.display import html_with_inline_images
from heedful.tickets.models import Channel, Event, Ticket
from heedful.web.queue_rows import TimeLabels, avatar_hue, initials, queue_rows

register = template.Library()


@register.simple_tag
def when(value: datetime.datetime | None, relative: bool = False) -> SafeString | str:
    """A <time> tag: machine-readable UTC, readable in the viewer's time zone (set per request)."""
    return TimeLabels().tag(value, relative)


@register.simple_tag
def ticket_rows(tickets: Iterable[Ticket]) -> SafeString:
    return queue_rows(tickets)


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)) if not isinstance(key, str) else None)


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Ticket.Status(value).label)
    except ValueError:
        return str(value)


@register.filter
def priority_label(value: str) -> str:
    try:
        return str(Ticket.Priority(value).label)
    except ValueError:
        return str(value)


@register.filter
def channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return str(value)


@register.filter
def message_html(event: Event) -> SafeString:
    """The message's HTML with inline images pointing at their attachments."""
    return html_with_inline_images(
        event.body_html, event.attachments.all(),
        lambda a: reverse("web:attachment", args=[a.pk]) + "?inline=1")


@register.filter
def event_kind_label(value: str) -> str:
    try:
        return str(Event.Kind(value).label)
    except ValueError:
        return str(value)


register.filter("initials", initials)
register.filter("avatar_hue", avatar_hue)


@register.filter
def as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value in (None, "") else [value]


@register.filter
def file_ext(filename: Any) -> str:
    name = str(filename or "")
    return name.rsplit(".", 1)[-1][:4].upper() if "." in name else "FILE"
