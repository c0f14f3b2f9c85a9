"""After-change hooks: the core names what happened, apps that care subscribe.

Three hooks, each called with a list (a mail batch opens hundreds of tickets at once):
- TICKET_OPENED: new tickets with their first events;
- EVENTS_APPENDED: events added to tickets (new tickets included);
- STATUS_CHANGED: status events, with the status before and after.

A subscriber runs either inside the writing transaction (`after_commit=False`: rows that must
commit with the change, such as an SLA clock or a queued webhook) or once it has committed
(`after_commit=True`: side effects such as a realtime notice). An in-transaction subscriber
that raises undoes the change; an after-commit one that raises is logged and the others still
run. Apps subscribe in `AppConfig.ready()`; `tickets` never imports them.
See docs/decisions/0012-after-change-hooks.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from heedful.tickets.models import Event, Ticket

logger = logging.getLogger(__name__)

TICKET_OPENED = "ticket_opened"
EVENTS_APPENDED = "events_appended"
STATUS_CHANGED = "status_changed"
HOOKS = (TICKET_OPENED, EVENTS_APPENDED, STATUS_CHANGED)


@dataclass(frozen=True)
class Change:
    """One ticket and the events just appended to it."""

    ticket: Ticket
    events: list[Event]
    created: bool = False


@dataclass(frozen=True)
class StatusChange:
    ticket: Ticket
    event: Event
    before: str
    after: str


Subscriber = Callable[[list[Any]], None]


@dataclass(frozen=True)
class Subscription:
    hook: str
    name: str
    function: Subscriber
    after_commit: bool


_SUBSCRIPTIONS: dict[str, dict[str, Subscription]] = {hook: {} for hook in HOOKS}


def subscribe(hook: str, function: Subscriber, *, after_commit: bool, name: str | None = None) -> None:
    """Call `function(items)` whenever `hook` fires. The same name subscribed again replaces
    the earlier subscription (a reloaded module must not be called twice)."""
    if hook not in _SUBSCRIPTIONS:
        raise ValueError(f"unknown hook {hook!r}; known: {', '.join(HOOKS)}")
    key = name or f"{function.__module__}.{function.__qualname__}"
    _SUBSCRIPTIONS[hook][key] = Subscription(hook, key, function, after_commit)


def unsubscribe(hook: str, name: str) -> None:
    _SUBSCRIPTIONS[hook].pop(name, None)


def subscriptions(hook: str) -> list[Subscription]:
    return list(_SUBSCRIPTIONS[hook].values())


def fire(changes: list[Change]) -> None:
    """Run every hook for these changes. Must be called inside the writing transaction."""
    from heedful.tickets.models import Event

    opened = [change for change in changes if change.created]
    appended = [change for change in changes if change.events]
    statuses = [
        StatusChange(change.ticket, event, str(event.data.get("from", "")), str(event.data.get("to", "")))
        for change in changes for event in change.events if event.kind == Event.Kind.STATUS
    ]
    for hook, items in ((TICKET_OPENED, opened), (EVENTS_APPENDED, appended), (STATUS_CHANGED, statuses)):
        if items:
            _run(hook, items)


def _run(hook: str, items: list[Any]) -> None:
    for subscription in subscriptions(hook):
        if subscription.after_commit:
            transaction.on_commit(_guarded(subscription, items))
        else:
            subscription.function(items)


def _guarded(subscription: Subscription, items: list[Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            subscription.function(items)
        except Exception:  # a side effect's failure must never undo or hide a committed change
            logger.exception("after-commit subscriber %s of %s failed", subscription.name, subscription.hook)

    return run
