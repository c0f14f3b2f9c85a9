from __future__ import annotations

from typing import Any

import pytest

from heedful.tickets.models import Attachment, Event, SavedFilter, Ticket
from tests.factories import agent_reply, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Any, admin_agent: Any) -> Any:
    client.force_login(admin_agent.user)
    return client


@pytest.fixture
def ticket_with_history(ticket: Ticket, agent: Any) -> Ticket:
    agent_reply(ticket, agent, attachments=[upload()])
    return ticket


def history(ticket: Ticket) -> tuple[int, int]:
    return Event.objects.filter(ticket=ticket).count(), Attachment.objects.filter(ticket=ticket).count()


def test_ticket_cannot_be_deleted_in_the_admin(admin_client, ticket_with_history):
    ticket = ticket_with_history
    before = history(ticket)
    url = f"/admin/tickets/ticket/{ticket.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert history(ticket) == before


def test_tickets_cannot_be_deleted_with_the_admins_bulk_action(admin_client, ticket_with_history):
    ticket = ticket_with_history
    before = history(ticket)
    changelist = admin_client.get("/admin/tickets/ticket/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    admin_client.post("/admin/tickets/ticket/", {
        "action": "delete_selected", "_selected_action": [ticket.pk], "post": "yes"})
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert history(ticket) == before


def test_ticket_stays_read_only_in_the_admin(admin_client, ticket_with_history):
    ticket = ticket_with_history
    assert admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", {"subject": "Rewritten"})
    ticket.refresh_from_db()
    assert ticket.subject == "Printer on fire"
    assert admin_client.get("/admin/tickets/ticket/add/").status_code == 403


def test_saved_filters_are_not_written_in_the_admin_only_seen_and_deleted(admin_client, agent):
    saved = SavedFilter.objects.create(name="Mine", owner=agent.user, params={"priority": "low"})
    url = f"/admin/tickets/savedfilter/{saved.pk}/change/"
    assert admin_client.get("/admin/tickets/savedfilter/add/").status_code == 403
    admin_client.post(url, {"name": "Changed", "owner": agent.user.pk, "params": '{"bogus": 1}'})
    saved.refresh_from_db()
    assert saved.name == "Mine" and saved.params == {"priority": "low"}
    assert admin_client.post(f"/admin/tickets/savedfilter/{saved.pk}/delete/",
                             {"post": "yes"}).status_code == 302
    assert not SavedFilter.objects.exists()
