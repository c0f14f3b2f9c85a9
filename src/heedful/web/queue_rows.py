"""The rows of an agent queue, written in Python.

A queue page shows 50 rows of about twenty values each; through the template engine that was
more than half of the page's server time (measured by bench/pages.py). The markup is the same
as before, so styles, scripts and tests do not change; every value is escaped by format_html,
labels are translated once per page, and times are formatted the way the `when` tag does.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from functools import lru_cache

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from heedful.tickets.models import Channel, Ticket

_ROW = (
    '<tr class="queue-row" data-row data-href="{url}">'
    '<td class="col-check"><input type="checkbox" name="tickets" value="{pk}" id="sel-{pk}" '
    'data-row-check{checked}><label class="visually-hidden" for="sel-{pk}">{select}</label></td>'
    '<td class="col-main"><a class="ticket-link" href="{url}" data-row-link>'
    '<span class="ticket-number">#{number}</span> {subject}</a>'
    '<div class="row-meta"><span>{requester}</span>{meta}</div></td>'
    '<td class="col-status"><span class="pill status-{status}">{status_label}</span></td>'
    '<td class="col-priority"><span class="prio prio-{priority}">{priority_label}</span></td>'
    '<td class="col-assignee">{assignee}</td>'
    '<td class="col-time">{time}</td></tr>\n'
)
_URL_PLACEHOLDER = 987654321


class _Format:
    """A date format string split once into literal text and format characters, then applied
    to many values (django.utils.dateformat splits it again for every value)."""

    def __init__(self, pattern: str) -> None:
        self.pieces = [(index % 2 == 1, piece if index % 2 else re_escaped.sub(r"\1", piece))
                       for index, piece in enumerate(re_formatchars.split(pattern)) if piece]

    def __call__(self, value: datetime.datetime) -> str:
        formatter = DateFormat(value)
        return "".join(str(getattr(formatter, piece)()) if code else piece
                       for code, piece in self.pieces)


@lru_cache(maxsize=64)
def _format(pattern: str) -> _Format:
    return _Format(pattern)


class TimeLabels:
    """`<time>` tags for many datetimes, with the formats (of the active language) split once
    per process; the `when` tag makes one per value, a queue page one for all its rows."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.today = timezone.localtime(self.now).date()
        self.full = _format(formats.get_format("DATETIME_FORMAT"))
        self.clock = _format(formats.get_format("TIME_FORMAT"))
        self.day = _format(formats.get_format("MONTH_DAY_FORMAT"))

    def tag(self, value: datetime.datetime | None, relative: bool = False) -> SafeString | str:
        if value is None:
            return ""
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        full = self.full(local)
        shown = full
        if relative:
            delta = self.now - value
            shown = (self.clock(local)
                     if delta < datetime.timedelta(hours=20) and local.date() == self.today
                     else self.day(local))
            if delta < datetime.timedelta(minutes=1):
                shown = _("just now")
            elif delta < datetime.timedelta(hours=1):
                shown = _("%(time)s ago") % {"time": timesince(value, self.now).split(",")[0]}
        return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), full, shown)


def initials(name: object) -> str:
    parts = [p for p in str(name or "").replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def avatar_hue(name: object) -> int:
    """One of eight stable avatar colours (CSS classes avatar-0 … avatar-7)."""
    return sum(map(ord, str(name or ""))) % 8


def queue_rows(tickets: Iterable[Ticket], selected: Collection[int] = frozenset()) -> SafeString:
    """Table rows for tickets loaded with selectors.QUEUE_ROW_FIELDS (requester, organization,
    team, assignee and tags already fetched); `selected` tickets come checked."""
    url_pattern = reverse("web:ticket", args=[_URL_PLACEHOLDER])
    times = TimeLabels()
    statuses = {value: str(label) for value, label in Ticket.Status.choices}
    priorities = {value: str(label) for value, label in Ticket.Priority.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    select = _("Select ticket #%(number)s")
    vip, unassigned = _("VIP"), _("Unassigned")
    rows = []
    for ticket in tickets:
        requester = ticket.requester
        meta = [format_html(' <span class="chip chip-vip">{}</span>', vip) if requester.vip else "",
                format_html(' <span class="muted">· {}</span>', requester.organization)
                if requester.organization_id else "",
                format_html(' <span class="muted">· {}</span>', channels.get(ticket.channel, ticket.channel)),
                format_html(' <span class="muted">· {}</span>', ticket.team) if ticket.team_id else "",
                format_html_join("", ' <span class="chip">{}</span>',
                                 ((tag.name,) for tag in ticket.tags.all()))]
        agent = ticket.assignee.agent if ticket.assignee_id else None  # type: ignore[union-attr]
        assignee = (format_html(
            '<span class="avatar avatar-small avatar-{}" aria-hidden="true">{}</span> '
            '<span class="assignee-name">{}</span>', avatar_hue(agent), initials(agent), agent)
            if agent is not None else format_html('<span class="muted">{}</span>', unassigned))
        rows.append(format_html(
            _ROW, url=url_pattern.replace(str(_URL_PLACEHOLDER), str(ticket.number)), pk=ticket.pk,
            select=select % {"number": ticket.number}, number=ticket.number, subject=ticket.subject,
            requester=requester, meta=mark_safe("".join(meta)),  # noqa: S308 (parts escaped above)
            status=ticket.status, status_label=statuses.get(ticket.status, ticket.status),
            priority=ticket.priority,
            priority_label=priorities.get(ticket.priority, ticket.priority),
            assignee=assignee, time=times.tag(ticket.updated_at, relative=True),
            checked=" checked" if ticket.pk in selected else "",
        ))
    return mark_safe("".join(rows))  # noqa: S308 (each row built by format_html)
