"""After-change hooks: apps subscribe; in-transaction subscribers commit or roll back with the
change, after-commit ones run once it has committed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from heedful.tickets import hooks
from heedful.tickets.actions import TicketRequest, open_tickets, update_ticket
from heedful.tickets.models import Ticket
from tests.factories import agent_reply, make_contact, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls() -> Iterator[dict[str, list[Any]]]:
    seen: dict[str, list[Any]] = {"opened": [], "appended": [], "status": [], "after": []}
    hooks.subscribe(hooks.TICKET_OPENED, seen["opened"].append, after_commit=False, name="t.opened")
    hooks.subscribe(hooks.EVENTS_APPENDED, seen["appended"].append, after_commit=False, name="t.appended")
    hooks.subscribe(hooks.STATUS_CHANGED, seen["status"].append, after_commit=False, name="t.status")
    hooks.subscribe(hooks.EVENTS_APPENDED, seen["after"].append, after_commit=True, name="t.after")
    yield seen
    for hook, name in ((hooks.TICKET_OPENED, "t.opened"), (hooks.EVENTS_APPENDED, "t.appended"),
                       (hooks.STATUS_CHANGED, "t.status"), (hooks.EVENTS_APPENDED, "t.after")):
        hooks.unsubscribe(hook, name)


def test_a_batch_of_new_tickets_reaches_subscribers_in_one_call(calls):
    contact = make_contact()
    events = open_tickets([TicketRequest(requester=contact, subject=f"S{i}", body="b", channel="portal")
                           for i in range(3)])
    [opened] = calls["opened"]
    assert [change.ticket.pk for change in opened] == [e.ticket.pk for e in events]
    assert all(change.created for change in opened)


def test_status_changes_carry_before_and_after(calls, agent):
    ticket = make_ticket()
    agent_reply(ticket, agent, status=Ticket.Status.PENDING)
    changes = [change for batch in calls["status"] for change in batch]
    assert [(c.before, c.after) for c in changes] == [("new", "pending")]
    assert changes[0].event.kind == "status"


def test_after_commit_subscribers_wait_for_the_commit(calls, agent, django_capture_on_commit_callbacks):
    ticket = make_ticket()
    calls["after"].clear()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        update_ticket(ticket=ticket, actor=agent.user, changes={"priority": "high"})
    assert calls["after"] == []
    for callback in pending:
        callback()
    assert [e.kind for batch in calls["after"] for change in batch for e in change.events] == ["priority"]


def test_an_in_transaction_subscriber_that_fails_undoes_the_change(agent):
    ticket = make_ticket()

    def refuse(changes: list[hooks.Change]) -> None:
        raise RuntimeError("clock could not be written")

    hooks.subscribe(hooks.EVENTS_APPENDED, refuse, after_commit=False, name="t.refuse")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            update_ticket(ticket=ticket, actor=agent.user, changes={"priority": "urgent"})
    finally:
        hooks.unsubscribe(hooks.EVENTS_APPENDED, "t.refuse")
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and not ticket.events.filter(kind="priority").exists()


def test_an_after_commit_subscriber_that_fails_hides_nothing(
        agent, django_capture_on_commit_callbacks, caplog):
    ticket = make_ticket()

    def broken(changes: list[hooks.Change]) -> None:
        raise RuntimeError("side effect failed")

    hooks.subscribe(hooks.EVENTS_APPENDED, broken, after_commit=True, name="t.broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            update_ticket(ticket=ticket, actor=agent.user, changes={"priority": "high"})
    finally:
        hooks.unsubscribe(hooks.EVENTS_APPENDED, "t.broken")
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    assert "t.broken" in caplog.text


def test_webhooks_subscribe_through_the_hooks():
    assert "webhooks.announce" in {s.name for s in hooks.subscriptions(hooks.EVENTS_APPENDED)}


def test_an_unknown_hook_name_is_a_mistake():
    with pytest.raises(ValueError, match="unknown hook"):
        hooks.subscribe("ticket_exploded", print, after_commit=True)
