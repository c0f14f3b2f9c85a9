from __future__ import annotations

import json

import pytest

from heedful.tickets.models import CustomFieldDefinition, Event, Ticket
from tests.factories import (
    CustomFieldFactory,
    SavedReplyFactory,
    TeamFactory,
    agent_reply,
    customer_reply,
    make_agent,
    make_contact,
    make_ticket,
)

pytestmark = pytest.mark.django_db
PARTIAL = {"HTTP_X_HEEDFUL_PARTIAL": "1"}


def page(client, ticket):
    return client.get(f"/tickets/{ticket.number}/")


def test_ticket_page_shows_header_timeline_and_customer_profile(agent_client, agent):
    carol = make_contact(name="Carol Vip", plan="Business", tier="Gold", vip=True, currency="EUR",
                         expectations="Hates being asked twice", timezone="Asia/Vientiane")
    ticket = make_ticket(requester=carol, subject="Invoice doubled", channel="email")
    earlier = make_ticket(requester=carol, subject="Old chat question", channel="chat")
    agent_reply(ticket, agent, body="Looking into it <script>alert(1)</script>")
    html = page(agent_client, ticket).content.decode()
    for text in ["Invoice doubled", f"#{ticket.number}", "Carol Vip", "Business", "Gold", "EUR", "VIP",
                 "Hates being asked twice", "Asia/Vientiane", earlier.subject, "Live chat",
                 "Looking into it"]:
        assert text in html, text
    assert "alert(1)</script>" not in html
    assert "<time datetime=" in html


def test_reply_appears_in_the_timeline_as_a_public_message(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "We refunded you.", "mode": "reply"})
    assert response.status_code == 302
    event = ticket.events.get(kind=Event.Kind.MESSAGE_OUT)
    assert event.public and event.body_text == "We refunded you."
    assert "We refunded you." in page(agent_client, ticket).content.decode()


def test_reply_over_fetch_returns_the_rendered_event(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "Partial hello", "mode": "reply", "status": "pending"}, **PARTIAL)
    assert response.status_code == 201
    data = response.json()
    assert "Partial hello" in data["html"] and 'id="event-' in data["html"]
    assert data["status"] == "pending"


def test_note_is_internal_and_marked_as_such(agent_client, ticket):
    agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "Only for us", "mode": "note"})
    note = ticket.events.get(kind=Event.Kind.NOTE)
    assert note.public is False
    assert "message-note" in page(agent_client, ticket).content.decode()


def test_empty_reply_is_refused_and_nothing_is_added(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "  "})
    assert response.status_code == 400
    assert "The message is empty" in response.content.decode()
    assert ticket.events.count() == 1
    fetched = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": ""}, **PARTIAL)
    assert fetched.status_code == 400 and fetched.json()["error"]["code"] == "invalid"


def test_transfer_without_reason_shows_the_error_and_changes_nothing(agent_client, contact):
    owner = make_agent(name="Bob Owner")
    ticket = make_ticket(requester=contact, assignee=owner.user)
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {"assignee": "me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nobody gets the runaround" in html and "This is required for a transfer." in html
    ticket.refresh_from_db()
    assert ticket.assignee_id == owner.user_id
    assert not ticket.events.filter(kind=Event.Kind.TRANSFER).exists()


def test_transfer_with_reason_and_handoff_note_is_recorded(agent_client, agent, contact):
    owner = make_agent(name="Bob Owner")
    team = TeamFactory(name="Escalations")
    ticket = make_ticket(requester=contact, assignee=owner.user)
    agent_client.post(f"/tickets/{ticket.number}/update/", {
        "assignee": str(agent.user_id), "team": str(team.pk), "transfer_reason": "Needs billing rights",
        "handoff_note": "Customer confirmed the card"})
    event = ticket.events.get(kind=Event.Kind.TRANSFER)
    assert event.data["reason"] == "Needs billing rights"
    html = page(agent_client, ticket).content.decode()
    assert "Needs billing rights" in html and "Customer confirmed the card" in html and "Escalations" in html


def test_side_form_changes_status_priority_tags_and_custom_fields(agent_client, ticket):
    CustomFieldFactory(key="order", label="Order", type=CustomFieldDefinition.Type.INTEGER)
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {
        "assignee": "none", "team": "none", "status": "pending", "priority": "high",
        "tags": "refund, billing", "custom_fields_present": "1", "cf_order": "42"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.custom_fields) == ("pending", "high", {"order": 42})
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refund"]


def test_bad_custom_field_value_is_a_400_on_the_form(agent_client, ticket):
    CustomFieldFactory(key="order", label="Order", type=CustomFieldDefinition.Type.INTEGER)
    response = agent_client.post(f"/tickets/{ticket.number}/update/",
                                 {"custom_fields_present": "1", "cf_order": "forty"})
    assert response.status_code == 400
    assert "Expected a whole number." in response.content.decode()


def test_impossible_status_change_is_a_409(agent_client, ticket):
    ticket.status = Ticket.Status.CLOSED
    ticket.save()
    assert agent_client.post(f"/tickets/{ticket.number}/update/", {"status": "open"}).status_code == 409


def test_merge_first_previews_what_moves_and_changes_nothing(agent_client, contact):
    dan = make_contact(name="Dan Colleague")
    target = make_ticket(requester=contact, subject="Login fails", tags=["login"])
    source = make_ticket(requester=make_contact(name="Eve Duplicate"), cc=[dan], tags=["login", "sso"])
    customer_reply(source, body="still broken")
    response = agent_client.post(f"/tickets/{source.number}/merge/", {"target": f"#{target.number}"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in [f"#{target.number}", "Login fails", "Carol Customer", "2 messages", "Eve Duplicate",
                 "Dan Colleague", "sso", f"#{source.number} will be closed", 'name="confirm" value="1"']:
        assert text in html, text
    assert ">login<" not in html  # already on the target: nothing new
    source.refresh_from_db()
    assert source.merged_into_id is None and source.status != "closed"
    assert not target.participants.exists()


def test_merge_closes_the_source_and_sends_the_agent_to_the_target(agent_client, contact):
    source, target = make_ticket(requester=contact), make_ticket(requester=contact)
    response = agent_client.post(f"/tickets/{source.number}/merge/",
                                 {"target": f"#{target.number}", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{target.number}/"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and source.status == "closed"
    assert f"merged #{source.number} into this ticket" in page(agent_client, target).content.decode()


def test_merge_into_unknown_or_same_ticket_is_refused(agent_client, ticket):
    assert agent_client.post(f"/tickets/{ticket.number}/merge/", {"target": "999999"}).status_code == 404
    assert agent_client.post(f"/tickets/{ticket.number}/merge/", {"target": "abc"}).status_code == 400
    assert agent_client.post(f"/tickets/{ticket.number}/merge/", {"target": ticket.number}).status_code == 400


def test_split_starts_a_new_ticket_from_a_customer_message(agent_client, ticket):
    message = customer_reply(ticket, body="Also my login is broken")
    assert f'name="event" value="{message.pk}"' in page(agent_client, ticket).content.decode()
    response = agent_client.post(f"/tickets/{ticket.number}/split/", {"event": message.pk})
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == f"/tickets/{new.number}/"
    assert new.events.get().body_text == "Also my login is broken"


def test_split_of_an_agent_reply_or_foreign_event_is_refused(agent_client, agent, ticket, contact):
    reply = agent_reply(ticket, agent)
    assert agent_client.post(f"/tickets/{ticket.number}/split/", {"event": reply.pk}).status_code == 400
    other = make_ticket(requester=contact)
    foreign = other.events.get()
    assert agent_client.post(f"/tickets/{ticket.number}/split/", {"event": foreign.pk}).status_code == 404


def test_saved_reply_is_rendered_with_the_customer_and_ticket(agent_client, agent, ticket):
    reply = SavedReplyFactory(
        body="Hi {{ customer.first_name }}, about #{{ ticket.number }}. {{ agent.name }}",
        set_status="solved")
    assert reply.title in page(agent_client, ticket).content.decode()
    data = agent_client.get(f"/tickets/{ticket.number}/saved-replies/{reply.pk}/").json()
    assert data["text"] == f"Hi Carol, about #{ticket.number}. Alice Agent"
    assert data["set_status"] == "solved"


def test_someone_elses_personal_saved_reply_is_not_found(agent_client, ticket):
    reply = SavedReplyFactory(owner=make_agent().user)
    response = agent_client.get(f"/tickets/{ticket.number}/saved-replies/{reply.pk}/")
    assert response.status_code == 404 and json.loads(response.content)["error"]["code"] == "not_found"


def test_restricted_agent_gets_404_on_another_teams_ticket(client, contact):
    ours, theirs = TeamFactory(), TeamFactory()
    agent = make_agent(teams=[ours], restricted=True)
    ticket = make_ticket(requester=contact, team=theirs)
    client.force_login(agent.user)
    assert page(client, ticket).status_code == 404
    assert client.post(f"/tickets/{ticket.number}/reply/", {"body": "x"}).status_code == 404
    assert client.post(f"/tickets/{ticket.number}/update/", {"status": "solved"}).status_code == 404
    assert ticket.events.count() == 1


def test_merge_target_the_agent_may_not_see_is_not_found(client, contact):
    ours, theirs = TeamFactory(), TeamFactory()
    agent = make_agent(teams=[ours], restricted=True)
    mine, hidden = make_ticket(requester=contact, team=ours), make_ticket(requester=contact, team=theirs)
    client.force_login(agent.user)
    assert client.post(f"/tickets/{mine.number}/merge/", {"target": hidden.number}).status_code == 404
    hidden.refresh_from_db()
    assert not hidden.merged_from.exists()


@pytest.mark.parametrize("extra_events", [5, 30])
def test_ticket_page_query_count_is_flat(agent_client, agent, contact, extra_events,
                                         django_assert_max_num_queries):
    CustomFieldFactory()
    SavedReplyFactory()
    ticket = make_ticket(requester=contact, team=TeamFactory())
    make_ticket(requester=contact)
    for n in range(extra_events):
        if n % 2:
            agent_reply(ticket, make_agent() if n % 3 else agent, body=f"reply {n}")
        else:
            customer_reply(ticket, body=f"message {n}")
    # The composer asks the delivery backends who can be reached (a few queries, not per event).
    with django_assert_max_num_queries(24):
        response = page(agent_client, ticket)
    assert len(response.context["events"]) > extra_events


def test_reply_from_a_saved_reply_sets_its_status_and_adds_its_tags(agent_client, ticket):
    saved = SavedReplyFactory(body="Refund on its way", set_status="pending", add_tags=["refund", "billing"])
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "Refund on its way", "mode": "reply", "status": "",
                                  "saved_reply": str(saved.pk)}, **PARTIAL)
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refund"]
    reply = ticket.events.get(kind=Event.Kind.MESSAGE_OUT)
    assert reply.data["saved_reply"] == saved.pk
    tags = ticket.events.get(kind=Event.Kind.TAGS)
    assert tags.data["to"] == ["billing", "refund"] and tags.data["saved_reply"] == saved.pk
    assert ticket.events.get(kind=Event.Kind.STATUS).data["to"] == "pending"
    assert "refund" in response.json()["side_html"]


def test_the_agents_own_status_choice_wins_over_the_saved_replys(agent_client, ticket):
    saved = SavedReplyFactory(set_status="pending", add_tags=["refund"])
    agent_client.post(f"/tickets/{ticket.number}/reply/",
                      {"body": "Done", "status": "solved", "saved_reply": str(saved.pk)})
    ticket.refresh_from_db()
    assert ticket.status == "solved" and list(ticket.tags.values_list("name", flat=True)) == ["refund"]


def test_reply_naming_a_saved_reply_the_agent_may_not_use_is_refused(agent_client, ticket):
    personal = SavedReplyFactory(owner=make_agent().user, add_tags=["secret"])
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "Hi", "saved_reply": str(personal.pk)}, **PARTIAL)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["saved_reply"]
    assert ticket.events.count() == 1 and not ticket.tags.exists()


def test_saved_reply_lookup_answers_the_tags_it_will_add(agent_client, ticket):
    saved = SavedReplyFactory(add_tags=["refund"])
    data = agent_client.get(f"/tickets/{ticket.number}/saved-replies/{saved.pk}/").json()
    assert data["add_tags"] == ["refund"]


@pytest.fixture
def agents_cannot_change_tickets(monkeypatch):
    """An agent role without the ticket permissions (as an admin could define one)."""
    from heedful import policy
    from heedful.people.models import Agent

    monkeypatch.setitem(policy.ROLE_PERMISSIONS, Agent.Role.AGENT, frozenset())


def test_an_agent_without_the_permission_to_change_tickets_gets_a_403_page(
        agent_client, ticket, agents_cannot_change_tickets):
    update = agent_client.post(f"/tickets/{ticket.number}/update/", {"priority": "high"})
    reply = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "Hi"})
    fetched = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "Hi"}, **PARTIAL)
    assert update.status_code == reply.status_code == fetched.status_code == 403
    assert "You do not have permission to do this." in update.content.decode()
    assert fetched.json()["error"]["code"] == "permission_denied"
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and ticket.events.count() == 1


def test_an_agent_without_the_permission_to_merge_gets_a_403_on_merge_and_split(
        agent_client, contact, agents_cannot_change_tickets):
    source, target = make_ticket(requester=contact), make_ticket(requester=contact)
    message = customer_reply(source, body="another problem")
    merge = agent_client.post(f"/tickets/{source.number}/merge/", {"target": target.number, "confirm": "1"})
    split = agent_client.post(f"/tickets/{source.number}/split/", {"event": message.pk})
    assert merge.status_code == split.status_code == 403
    assert Ticket.objects.count() == 2 and not target.merged_from.exists()
