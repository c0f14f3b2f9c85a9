"""How a public reply reaches the customer: one contract, a backend per channel.

Writing a reply (authorship) and sending it (delivery) are separate. A reply goes out on the
channel chosen for it, by default the channel of the conversation it answers, through the
backend registered for that channel (`mail` registers e-mail; chat, SMS and messaging apps
register theirs). A reply on a channel with no backend, or to a customer who cannot be reached
on it, is refused before anything is written: it is never mailed by accident.
See docs/decisions/0009-delivery-is-separate-from-authorship.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid

if TYPE_CHECKING:
    from heedful.tickets.models import Event, Ticket


class DeliveryBackend:
    """What a channel's backend fills in. Every method takes many items (a mail batch answers
    hundreds at once) and must not query per item."""

    #: The delivery channel's key, as stored in Event.delivery_channel.
    channel: str = ""
    label: str | Promise = ""
    #: The conversation channels (Ticket/Event.channel) this backend answers by default.
    answers: frozenset[str] = frozenset()

    def reachable(self, tickets: list[Ticket]) -> dict[int, bool]:
        """Per ticket id: can its customer be reached on this channel at all?"""
        raise NotImplementedError

    def prepare(self, events: list[Event]) -> None:
        """Fill in what must be on the event when it is inserted (a Message-ID, say); the
        events are not saved yet."""

    def queue(self, events: list[Event]) -> None:
        """Queue the saved events for sending, inside the transaction that wrote them (so
        that a rolled-back reply is never sent and a committed one always is)."""
        raise NotImplementedError


_BACKENDS: dict[str, DeliveryBackend] = {}


def register_backend(backend: DeliveryBackend) -> DeliveryBackend:
    if not backend.channel:
        raise ValueError("a delivery backend needs a channel")
    existing = _BACKENDS.get(backend.channel)
    if existing is not None and type(existing) is not type(backend):
        raise ValueError(f"a delivery backend for {backend.channel!r} is already registered")
    _BACKENDS[backend.channel] = backend
    return backend


def unregister_backend(channel: str) -> None:
    _BACKENDS.pop(channel, None)


def backend_for(channel: str) -> DeliveryBackend | None:
    return _BACKENDS.get(channel)


def delivery_channels() -> list[DeliveryBackend]:
    return sorted(_BACKENDS.values(), key=lambda backend: backend.channel)


def backend_answering(conversation_channel: str) -> DeliveryBackend | None:
    """The backend that answers a conversation on this channel by default, if any."""
    direct = _BACKENDS.get(conversation_channel)
    if direct is not None:
        return direct
    for backend in delivery_channels():
        if conversation_channel in backend.answers:
            return backend
    return None


def conversation_channels(tickets: list[Ticket]) -> dict[int, str]:
    """Per ticket id: the channel of the conversation, i.e. of the customer's latest message
    that was not only recorded (held, auto-reply), else the channel the ticket came in on."""
    from django.db.models import Max

    from heedful.tickets.models import Event

    result = {ticket.pk: ticket.channel for ticket in tickets}
    latest = (Event.objects.filter(ticket_id__in=list(result), kind=Event.Kind.MESSAGE_IN, public=True)
              .values("ticket_id").annotate(last=Max("id")).values_list("last", flat=True))
    for ticket_id, channel in Event.objects.filter(pk__in=list(latest)).values_list("ticket_id", "channel"):
        result[ticket_id] = channel
    return result


def default_channels(tickets: list[Ticket]) -> dict[int, str | None]:
    """Per ticket id: the delivery channel a reply takes when none is asked for, or None when
    no backend answers that conversation."""
    found: dict[int, str | None] = {}
    for ticket_id, channel in conversation_channels(tickets).items():
        backend = backend_answering(channel)
        found[ticket_id] = backend.channel if backend else None
    return found


def choices_for(
    ticket: Ticket, timeline: list[Event] | None = None,
) -> tuple[list[DeliveryBackend], str | None]:
    """For the composer: the channels this ticket's customer can be reached on, and the one to
    preselect (the conversation's when reachable, else the first reachable one). A page that
    has loaded the timeline passes it, saving the look-up of the conversation's channel."""
    reachable = [backend for backend in delivery_channels() if backend.reachable([ticket]).get(ticket.pk)]
    if timeline is None:
        default = default_channels([ticket])[ticket.pk]
    else:
        inbound = [e for e in timeline if e.kind == "message_in" and e.public and e.ticket_id == ticket.pk]
        backend = backend_answering(inbound[-1].channel if inbound else ticket.channel)
        default = backend.channel if backend else None
    if default not in {backend.channel for backend in reachable}:
        default = reachable[0].channel if reachable else None
    return reachable, default


def resolve(planned: Iterable[tuple[Ticket, str | None]]) -> list[str]:
    """The delivery channel of each planned public reply (ticket, asked channel or None), in
    order; raises Invalid, with the `channel` field named, for any that cannot go out."""
    planned = list(planned)
    if not planned:
        return []
    tickets = list({ticket.pk: ticket for ticket, _asked in planned}.values())
    defaults = default_channels(tickets) if any(asked is None for _t, asked in planned) else {}
    chosen = [asked if asked is not None else defaults[ticket.pk] for ticket, asked in planned]
    for (ticket, _asked), channel in zip(planned, chosen, strict=True):
        if channel is None:
            conversation = conversation_channels([ticket])[ticket.pk]
            raise Invalid(
                _("Replies on this conversation (%(channel)s) cannot be sent: choose a channel "
                  "the customer can be reached on.") % {"channel": conversation},
                fields={"channel": [_("Choose how the reply goes out.")]},
            )
        if backend_for(channel) is None:
            raise Invalid(
                _("Replies cannot be sent by %(channel)s.") % {"channel": channel},
                fields={"channel": [_("Use one of: %(values)s.") % {
                    "values": ", ".join(b.channel for b in delivery_channels()) or "-"}]},
            )
    by_channel: dict[str, list[Ticket]] = {}
    for (ticket, _asked), channel in zip(planned, chosen, strict=True):
        by_channel.setdefault(str(channel), []).append(ticket)
    for channel, channel_tickets in by_channel.items():
        backend = backend_for(channel)
        assert backend is not None
        reach = backend.reachable(list({t.pk: t for t in channel_tickets}.values()))
        for ticket in channel_tickets:
            if not reach.get(ticket.pk):
                raise Invalid(
                    _("The customer has no %(channel)s we could send this reply to.") % {
                        "channel": backend.label},
                    fields={"channel": [_("Choose a channel the customer can be reached on.")]},
                )
    return [str(channel) for channel in chosen]


def prepare(events: list[Event]) -> None:
    for channel, group in _by_channel(events).items():
        backend = backend_for(channel)
        if backend is not None:
            backend.prepare(group)


def queue(events: list[Event]) -> None:
    """Hand each saved event with a delivery channel to its backend."""
    for channel, group in _by_channel(events).items():
        backend = backend_for(channel)
        if backend is not None:
            backend.queue(group)


def _by_channel(events: list[Event]) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = {}
    for event in events:
        if event.delivery_channel:
            groups.setdefault(event.delivery_channel, []).append(event)
    return groups
