"""Small template helpers for the agent UI: times in the viewer's zone, labels, lookups."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from heedful.tickets.display import html_with_inline_images
from heedful.tickets.models import Channel, Event, Ticket

register = template.Library()


@register.simple_tag
def when(value: datetime.datetime | None, relative: bool = False) -> SafeString | str:
    """A <time> tag: machine-readable UTC, readable in the viewer's time zone (set per request)."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    full = formats.date_format(local, "DATETIME_FORMAT")
    shown = full
    if relative:
        delta = timezone.now() - value
        shown = (formats.time_format(local, "TIME_FORMAT") if delta < datetime.timedelta(hours=20)
                 and local.date() == timezone.localtime().date()
                 else formats.date_format(local, "M j"))
        if delta < datetime.timedelta(minutes=1):
            shown = _("just now")
        elif delta < datetime.timedelta(hours=1):
            shown = _("%(time)s ago") % {"time": timesince(value).split(",")[0]}
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), full, shown)


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


@register.filter
def initials(name: Any) -> str:
    parts = [p for p in str(name or "").replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def avatar_hue(name: Any) -> int:
    """One of eight stable avatar colours (CSS classes avatar-0 … avatar-7)."""
    return sum(map(ord, str(name or ""))) % 8


@register.filter
def as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value in (None, "") else [value]


@register.filter
def file_ext(filename: Any) -> str:
    name = str(filename or "")
    return name.rsplit(".", 1)[-1][:4].upper() if "." in name else "FILE"
