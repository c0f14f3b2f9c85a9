"""The ticket page's side form applies only what the agent changed, and refuses to overwrite what
someone else changed since the form was rendered."""

from __future__ import annotations

import pytest

from heedful.tickets.actions import update_ticket
from heedful.tickets.models import CustomFieldDefinition, Event
from tests.factories import CustomFieldFactory, make_agent
from tests.web.conftest import form_values, ticket_page

pytestmark = pytest.mark.django_db
PARTIAL = {"HTTP_X_HEEDFUL_PARTIAL": "1"}


def side_form(client, ticket):
    return form_values(ticket_page(client, ticket).content.decode(), "data-side-form")


def test_side_form_rendered_before_a_pending_reply_does_not_set_the_status_back(agent_client, ticket):
    stale = side_form(agent_client, ticket)
    reply = agent_client.post(f"/tickets/{ticket.number}/reply/",
                              {"body": "Waiting for your receipt", "status": "pending"}, **PARTIAL)
    assert reply.status_code == 201
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {**stale, "priority": "high"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("pending", "high")
    assert not ticket.events.filter(kind=Event.Kind.STATUS, data__to="open").exists()


def test_reply_over_fetch_answers_a_fresh_side_form(agent_client, ticket):
    reply = agent_client.post(f"/tickets/{ticket.number}/reply/",
                              {"body": "Waiting for you", "status": "pending"}, **PARTIAL)
    fresh = form_values(reply.json()["side_html"], "data-side-form")
    assert fresh["status"] == "pending"


def test_untouched_fields_are_not_written_even_when_the_ticket_moved_on(agent_client, agent, ticket):
    CustomFieldFactory(key="order", label="Order", type=CustomFieldDefinition.Type.INTEGER)
    stale = side_form(agent_client, ticket)
    update_ticket(ticket=ticket, actor=make_agent().user,
                  changes={"tags": "vip", "custom_fields": {"order": 7}, "team": None})
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {**stale, "priority": "low"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "low" and ticket.custom_fields == {"order": 7}
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]


def test_a_field_changed_meanwhile_by_someone_else_is_refused_not_overwritten(agent_client, ticket):
    stale = side_form(agent_client, ticket)
    update_ticket(ticket=ticket, actor=make_agent().user, changes={"priority": "urgent"})
    response = agent_client.post(f"/tickets/{ticket.number}/update/",
                                 {**stale, "priority": "low", "tags": "refund"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this ticket while you were editing it" in html
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and not ticket.tags.exists()
    shown = form_values(html, "data-side-form")
    assert shown["priority"] == "urgent" and shown["tags"] == "refund"
    again = agent_client.post(f"/tickets/{ticket.number}/update/", shown)
    assert again.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and list(ticket.tags.values_list("name", flat=True)) == ["refund"]


def test_a_refused_side_form_keeps_the_agents_changes_and_shows_the_rest_as_it_is_now(
        agent_client, agent, contact):
    from tests.factories import make_ticket

    owner = make_agent(name="Bob Owner")
    ticket = make_ticket(requester=contact, assignee=owner.user)
    stale = side_form(agent_client, ticket)
    update_ticket(ticket=ticket, actor=owner.user, changes={"status": "pending"})
    response = agent_client.post(f"/tickets/{ticket.number}/update/",
                                 {**stale, "assignee": str(agent.user_id)})
    assert response.status_code == 400  # a transfer needs a reason
    shown = form_values(response.content.decode(), "data-side-form")
    assert shown["assignee"] == str(agent.user_id) and shown["status"] == "pending"


def test_a_form_posted_with_broken_rendered_values_is_a_400(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/update/",
                                 {"rendered": "{not json", "priority": "high"})
    assert response.status_code == 400
    assert "This form is out of date" in response.content.decode()


@pytest.mark.parametrize("rendered", [
    '{"tags": 5}', '{"tags": [1, "vip"]}', '{"tags": ["vip", null]}', '{"priority": "normal"}',
    '{"tags": [], "status": "new", "priority": ["normal"], "assignee": null, "team": null}',
    '{"tags": [], "status": "new", "priority": "normal", "assignee": "7", "team": null}',
    '{"tags": [], "status": "new", "priority": "normal", "assignee": null, "team": null, '
    '"custom_fields": {"plan": {"a": 1}}}',
])
def test_a_form_posted_with_rendered_values_of_the_wrong_shape_is_a_400(agent_client, ticket,
                                                                        rendered):
    CustomFieldFactory(key="plan", type=CustomFieldDefinition.Type.MULTI_CHOICE,
                       choices=["basic", "pro"])
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {
        "rendered": rendered, "tags": "refund", "priority": "high", "status": "pending",
        "assignee": "none", "team": "none", "custom_fields_present": "1", "cf_plan": "pro"})
    assert response.status_code == 400
    assert "This form is out of date" in response.content.decode()
    assert ticket.events.count() == 1
