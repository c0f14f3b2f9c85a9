"""Small template helpers for the agent UI: times in the viewer's zone, labels, lookups."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from heedful.tickets.display import html_with_inline_images
from heedful.tickets.kinds import get_kind
from heedful.tickets.models import Channel, Event, Ticket
from heedful.web.queue_rows import TimeLabels, avatar_hue, initials, queue_rows

register = template.Library()


@register.simple_tag
def when(value: datetime.datetime | None, relative: bool = False) -> SafeString | str:
    """A <time> tag: machine-readable UTC, readable in the viewer's time zone (set per request)."""
    return TimeLabels().tag(value, relative)


@register.simple_tag(takes_context=True)
def render_event(context: template.Context, event: Event) -> SafeString:
    """One timeline event, through the template its kind registered (tickets/kinds.py)."""
    kind = get_kind(event.kind)
    # Read once per page render: the outermost dict of the context lives as long as the render.
    page = context.dicts[0]
    events = context.get("events") or [event]
    if page.get("_event_facts_for") is not events:
        page["_event_facts_for"], page["_event_facts"] = events, timeline_facts(events)
    assert context.template is not None
    with context.push(kind=kind, d=event.data or {}, event=event, event_facts=page["_event_facts"]):
        rendered = context.template.engine.get_template(kind.template).render(context)
    return SafeString(rendered)


def timeline_facts(events: Iterable[Event]) -> dict[str, dict[int, str]]:
    """What later events say about earlier ones, read once per page: a held message's review,
    a reply that was not delivered."""
    from heedful.mail.actions import held_decisions, undelivered

    events = list(events)
    return {"held": held_decisions(events), "undelivered": undelivered(events)}


@register.simple_tag
def ticket_rows(tickets: Iterable[Ticket], selected: Collection[int] | None = None) -> SafeString:
    return queue_rows(tickets, selected or frozenset())


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
