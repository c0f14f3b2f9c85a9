"""Reads for queues and ticket pages, with their joins set and the access policy applied.

Queue pages use keyset (cursor) pagination so that page 2,000 costs what page 1 costs, and a
fixed number of queries whatever the page size.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.people.models import Contact
from heedful.policy import Viewer, tickets_of_contact, visible_events, visible_tickets
from heedful.tickets.models import Channel, Event, SavedFilter, Tag, Ticket

QUEUES = ("mine", "unassigned", "my_teams", "all", "open", "spam")
SORTS = {
    "updated": ("updated_at", True), "-updated": ("updated_at", False),
    "created": ("created_at", True), "-created": ("created_at", False),
    "priority": ("priority_rank", True), "-priority": ("priority_rank", False),
}
FILTER_KEYS = {
    "status", "priority", "team", "assignee", "tag", "channel", "language", "requester",
    "organization", "q", "created_after", "created_before", "updated_after", "updated_before",
    "message_id",
}


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None
    filters: dict[str, Any] = field(default_factory=dict)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v) != ""]
    return [v for v in str(value).split(",") if v]


def _ids(name: str, value: Any) -> list[int | None]:
    result: list[int | None] = []
    for item in _as_list(value):
        if item in {"none", "null"}:
            result.append(None)
            continue
        if not (item.isascii() and item.isdigit() and len(item) <= 18):
            raise Invalid(_("Filter %(name)s takes ids.") % {"name": name},
                          fields={name: [_("Use numeric ids, or none.")]})
        result.append(int(item))
    return result


def _id_filter(column: str, ids: list[int | None]) -> Q:
    query = Q(**{f"{column}__in": [i for i in ids if i is not None]})
    if None in ids:
        query |= Q(**{f"{column}__isnull": True})
    return query


def _when(name: str, value: Any) -> datetime.datetime:
    parsed = parse_datetime(str(value)) if value else None
    if parsed is None:
        try:
            parsed = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise Invalid(_("Filter %(name)s takes a date or time.") % {"name": name},
                          fields={name: [_("Use ISO 8601, e.g. 2026-01-31 or 2026-01-31T09:00Z.")]}
                          ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def apply_filters(tickets: QuerySet[Ticket], filters: dict[str, Any]) -> QuerySet[Ticket]:
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise Invalid(_("Unknown filters."), fields={k: [_("Unknown filter.")] for k in sorted(unknown)})
    choices = {"status": Ticket.Status.values, "priority": Ticket.Priority.values,
               "channel": Channel.values}
    for name, allowed in choices.items():
        values = _as_list(filters.get(name))
        bad = [v for v in values if v not in allowed]
        if bad:
            raise Invalid(_("Unknown %(name)s.") % {"name": name},
                          fields={name: [_("Use one of: %(values)s.") % {"values": ", ".join(allowed)}]})
        if values:
            tickets = tickets.filter(**{f"{name}__in": values})
    for name, column in (("team", "team_id"), ("assignee", "assignee_id"),
                         ("requester", "requester_id"), ("organization", "organization_id")):
        if filters.get(name) not in (None, ""):
            tickets = tickets.filter(_id_filter(column, _ids(name, filters[name])))
    for tag in _as_list(filters.get("tag")):
        tickets = tickets.filter(tags__in=Tag.objects.filter(name=tag.lower()))
    if languages := _as_list(filters.get("language")):
        tickets = tickets.filter(language__in=languages)
    if text := str(filters.get("q") or "").strip():
        number = text.lstrip("#")
        # Only ASCII digits that fit a 64-bit column can be a ticket number.
        if number.isascii() and number.isdigit() and len(number) <= 18:
            tickets = tickets.filter(Q(number=int(text.lstrip("#"))) | Q(subject__icontains=text))
        else:
            tickets = tickets.filter(subject__icontains=text)
    for name, lookup in (("created_after", "created_at__gte"), ("created_before", "created_at__lt"),
                         ("updated_after", "updated_at__gte"), ("updated_before", "updated_at__lt")):
        if filters.get(name):
            tickets = tickets.filter(**{lookup: _when(name, filters[name])})
    if filters.get("message_id"):
        message_id = str(filters["message_id"]).strip().strip("<>")
        holders = Event.objects.filter(message_id__in=[message_id, f"<{message_id}>"])
        tickets = tickets.filter(id__in=holders.values("ticket_id"))
    return tickets


OPEN_STATUSES = [s for s in Ticket.Status.values if s not in {"solved", "closed"}]


def queue_counts(viewer: Viewer) -> dict[str, int | None]:
    """Sizes of the built-in queues: the open queues counted together over open tickets only
    (from the covering index ticket_queue_counts), and spam. "All" is not counted: at 100,000
    tickets that alone costs more than the rest of the page."""
    agent = viewer.agent
    visible = visible_tickets(viewer)
    open_tickets = visible.filter(status__in=OPEN_STATUSES, spam=False)
    # COUNT(status), not COUNT(id): status is in the index (and never NULL), id is not, and
    # counting id makes PostgreSQL visit every open ticket's row instead of the index alone.
    counts: dict[str, int | None] = open_tickets.aggregate(
        open=Count("status"),
        unassigned=Count("status", filter=Q(assignee__isnull=True)),
        mine=Count("status", filter=Q(assignee_id=agent.user_id if agent else None)),
        my_teams=Count("status", filter=Q(team_id__in=list(agent.teams.values_list("id", flat=True))
                                          if agent else [])),
    )
    counts["all"] = None
    counts["spam"] = visible.filter(spam=True).count()
    return counts


def queue_base(viewer: Viewer, queue: str, *, include_spam: bool = False) -> QuerySet[Ticket]:
    """The tickets of a named queue. Suspected spam shows only in the "spam" queue (or when a
    look-up asks for it, such as finding a ticket by Message-ID)."""
    tickets = visible_tickets(viewer)
    agent = viewer.agent
    if queue == "spam":
        return tickets.filter(spam=True)
    if not include_spam:
        tickets = tickets.filter(spam=False)
    if queue == "all":
        return tickets
    open_statuses = OPEN_STATUSES
    if queue == "open":
        return tickets.filter(status__in=open_statuses)
    if queue == "mine" and agent is not None:
        return tickets.filter(assignee_id=agent.user_id, status__in=open_statuses)
    if queue == "unassigned":
        return tickets.filter(assignee__isnull=True, status__in=open_statuses)
    if queue == "my_teams" and agent is not None:
        return tickets.filter(team__in=agent.teams.all(), status__in=open_statuses)
    saved_id = queue[6:] if queue.startswith("saved:") else ""
    # ASCII digits that fit the column: str.isdigit() alone takes "²", which int() refuses.
    if saved_id.isascii() and saved_id.isdigit() and len(saved_id) <= 18 and agent is not None:
        saved = SavedFilter.objects.filter(
            Q(owner=agent.user) | Q(shared=True), pk=int(saved_id)).first()
        if saved is None:
            raise Invalid(_("No such saved filter."), fields={"queue": [_("Unknown queue.")]})
        return apply_filters(tickets, {k: v for k, v in saved.params.items() if k != "sort"})
    raise Invalid(_("Unknown queue %(queue)s.") % {"queue": queue},
                  fields={"queue": [_("Use mine, unassigned, my_teams, open, all, spam or saved:<id>.")]})


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime.datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, is_time: bool) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or not 0 <= pk < 2**63:
            raise ValueError
        if is_time:
            value = datetime.datetime.fromisoformat(value)
        elif not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise Invalid(_("This page link is no longer valid."),
                      fields={"cursor": [_("Start again from the first page.")]}) from None
    return value, pk


# What a queue row shows (the agent UI's list); anything else would be loaded row by row.
QUEUE_ROW_FIELDS = (
    "number", "subject", "status", "priority", "priority_rank", "channel", "created_at",
    "updated_at", "spam", "language", "requester__name", "requester__vip",
    "requester__organization__name", "assignee__username", "assignee__agent__display_name",
    "assignee__agent__user_id", "team__name", "organization__name",
)


def ticket_queue(
    *, viewer: Viewer, queue: str = "all", filters: dict[str, Any] | None = None,
    sort: str = "-updated", cursor: str | None = None, limit: int = 50,
    row_fields: tuple[str, ...] | None = None,
) -> Page:
    """One page of a queue: tickets with requester, assignee, team and tags loaded in a fixed
    number of queries. `row_fields` (e.g. QUEUE_ROW_FIELDS) limits the columns loaded to what a
    list shows: building model instances, not SQL, is most of a page's cost."""
    if sort not in SORTS:
        raise Invalid(_("Unknown sort."), fields={"sort": [_("Use one of: %(values)s.") % {
            "values": ", ".join(SORTS)}]})
    limit = max(1, min(int(limit), 200))
    column, ascending = SORTS[sort]
    include_spam = bool((filters or {}).get("message_id"))
    tickets = apply_filters(queue_base(viewer, queue, include_spam=include_spam), filters or {})
    if cursor:
        value, pk = decode_cursor(cursor, is_time=column.endswith("_at"))
        op = "gt" if ascending else "lt"
        tickets = tickets.filter(Q(**{f"{column}__{op}": value})
                                 | Q(**{column: value, f"id__{op}": pk}))
    order = [column, "id"] if ascending else [f"-{column}", "-id"]
    tickets = (
        tickets.order_by(*order)
        .select_related("requester__organization", "assignee__agent", "team", "organization")
        .prefetch_related("tags")
    )
    if row_fields is not None:
        tickets = tickets.only(*row_fields)
    rows = list(tickets[: limit + 1])
    # A requester without a name is shown by address: load identities for those alone.
    nameless = [ticket.requester for ticket in rows if not ticket.requester.name]
    if nameless:
        prefetch_related_objects(nameless, "identities")
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, column), last.pk)
    return Page(items=rows, next_cursor=next_cursor, filters=filters or {})


# A merge chain deeper than this is not a support history but a loop or a script gone wrong;
# the timeline stops there rather than walking it forever.
MAX_MERGE_DEPTH = 50


def merged_ticket_ids(ticket: Ticket) -> list[int]:
    """Every ticket merged into this one, directly or through others (A into B, B into C: both
    for C), with one query per level of the tree however many tickets each level holds."""
    found: list[int] = []
    seen = {ticket.pk}
    level = [ticket.pk]
    for _depth in range(MAX_MERGE_DEPTH):
        # No ordering: sorting by the default order lets SQLite walk the wrong index (all NULLs).
        level = [pk for pk in Ticket.objects.filter(merged_into_id__in=level).order_by()
                 .values_list("id", flat=True) if pk not in seen]
        if not level:
            break
        seen.update(level)
        found += level
    return found


def timeline(viewer: Viewer, ticket: Ticket) -> QuerySet[Event]:
    """The ticket's events, plus those of every ticket merged into it (transitively), oldest
    first."""
    merged_ids = merged_ticket_ids(ticket)
    events = visible_events(viewer, ticket)
    if merged_ids:
        extra = Event.objects.filter(ticket_id__in=merged_ids)
        if viewer.agent is None:
            extra = extra.filter(public=True)
        events = events | extra
    return events.select_related(
        "author_user__agent", "author_contact__merged_into", "ticket"
    ).prefetch_related("attachments").order_by("created_at", "id")


def customer_history(viewer: Viewer, contact: Contact, *, exclude: Ticket | None = None,
                     limit: int = 20) -> list[Ticket]:
    """Every earlier ticket of the customer, on every channel, newest first."""
    tickets = visible_tickets(viewer).filter(tickets_of_contact(contact.pk))
    if exclude is not None:
        tickets = tickets.exclude(pk=exclude.pk)
    return list(tickets.order_by("-created_at")[:limit])


def contact_with_identities(contact_id: int) -> Contact | None:
    return (Contact.objects.select_related("organization")
            .prefetch_related(Prefetch("identities")).filter(pk=contact_id).first())


@dataclass
class EventPage:
    items: list[Event]
    next_cursor: str | None


def contact_timeline(viewer: Viewer, contact: Contact, cursor: str | None = None, limit: int = 50,
                     *, messages_only: bool = False) -> EventPage:
    """Every event of every ticket the contact requested or is copied on, across channels,
    newest first, that the viewer may see (a customer sees only public events).

    Keyset-paginated on (created_at, id), so an old page costs what the first does, in a fixed
    number of queries whatever the page size. Tickets moved by a contact merge bring their
    history along: events are found by ticket, never by author."""
    limit = max(1, min(int(limit), 200))
    tickets = visible_tickets(viewer).filter(tickets_of_contact(contact.pk)).order_by().values("id")
    events = Event.objects.filter(ticket_id__in=tickets)
    if viewer.agent is None:
        events = events.filter(public=True)
    if messages_only:
        from heedful.tickets.kinds import registered_kinds

        events = events.filter(kind__in=[kind.name for kind in registered_kinds() if kind.message])
    if cursor:
        value, pk = decode_cursor(cursor, is_time=True)
        events = events.filter(Q(created_at__lt=value) | Q(created_at=value, id__lt=pk))
    rows = list(events.select_related("ticket", "author_user__agent", "author_contact__merged_into")
                .order_by("-created_at", "-id")[: limit + 1])
    if len(rows) <= limit:
        return EventPage(rows, None)
    rows = rows[:limit]
    return EventPage(rows, encode_cursor(rows[-1].created_at, rows[-1].pk))
