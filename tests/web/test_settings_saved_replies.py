"""Saved replies in settings: every agent keeps their own, supervisors keep the shared ones."""

from __future__ import annotations

import pytest

from heedful.core.models import AuditLogEntry
from heedful.tickets.macros import saved_replies_for
from heedful.tickets.models import SavedReply
from tests.factories import SavedReplyFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


def test_agent_adds_edits_and_deactivates_a_personal_saved_reply(agent_client, agent):
    response = agent_client.post("/settings/saved-replies/new/", {
        "title": "Reset steps", "body": "Hi {{ customer.first_name }}, hold the button.",
        "set_status": "pending", "add_tags": "Router, reset", "active": "on"})
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert (reply.owner, reply.team, reply.set_status, reply.add_tags) == (
        agent.user, None, "pending", ["router", "reset"])
    assert list(saved_replies_for(agent)) == [reply]

    form = agent_client.get(f"/settings/saved-replies/{reply.pk}/").content.decode()
    assert "hold the button" in form and 'value="router reset"' in form
    agent_client.post(f"/settings/saved-replies/{reply.pk}/", {
        "title": "Reset, step by step", "body": "Hold it ten seconds.", "set_status": "",
        "add_tags": "router", "active": "on"})
    reply.refresh_from_db()
    assert (reply.title, reply.body, reply.set_status, reply.add_tags) == (
        "Reset, step by step", "Hold it ten seconds.", "", ["router"])

    agent_client.post(f"/settings/saved-replies/{reply.pk}/active", {"active": "0"})
    reply.refresh_from_db()
    assert not reply.active and list(saved_replies_for(agent)) == []
    assert "Reset, step by step" in agent_client.get("/settings/saved-replies/").content.decode()


def test_personal_list_shows_only_my_own_replies(agent_client, agent):
    SavedReplyFactory(owner=agent.user, title="Mine")
    SavedReplyFactory(owner=make_agent().user, title="A colleague's")
    SavedReplyFactory(title="For everyone")
    html = agent_client.get("/settings/saved-replies/").content.decode()
    assert "Mine" in html and "colleague" not in html and "For everyone" not in html


def test_agent_cannot_open_or_change_a_colleagues_personal_reply(agent_client):
    theirs = SavedReplyFactory(owner=make_agent().user, title="Theirs")
    assert agent_client.get(f"/settings/saved-replies/{theirs.pk}/").status_code == 404
    response = agent_client.post(f"/settings/saved-replies/{theirs.pk}/active", {"active": "0"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active


def test_agent_cannot_change_a_shared_reply_through_the_personal_pages(agent_client):
    shared = SavedReplyFactory(title="For everyone")
    assert agent_client.get(f"/settings/saved-replies/{shared.pk}/").status_code == 404
    assert agent_client.get(f"/settings/shared-replies/{shared.pk}/").status_code == 403


def test_refused_reply_shows_each_problem_beside_its_field_and_keeps_what_was_typed(agent_client):
    response = agent_client.post("/settings/saved-replies/new/", {
        "title": "  ", "body": "Kept text", "set_status": "asleep", "add_tags": "!!!"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="f-title-error">Give the saved reply a title.' in html
    assert 'id="f-set_status-error">Choose a status from the list.' in html
    assert 'id="f-add_tags-error">' in html and "is not a usable tag" in html
    assert "Kept text" in html
    assert not SavedReply.objects.exists()


def test_supervisor_shares_a_reply_with_one_team(client, supervisor):
    billing = TeamFactory(name="Billing")
    client.force_login(supervisor.user)
    response = client.post("/settings/shared-replies/new/", {
        "title": "Refund policy", "body": "Refunds take five days.", "team": str(billing.pk),
        "active": "on"})
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert reply.owner is None and reply.team == billing
    assert list(saved_replies_for(make_agent(teams=[billing]))) == [reply]
    assert list(saved_replies_for(make_agent())) == []
    assert "Billing" in client.get("/settings/shared-replies/").content.decode()


def test_shared_reply_for_a_team_that_does_not_exist_is_refused_beside_the_team(client, supervisor):
    client.force_login(supervisor.user)
    response = client.post("/settings/shared-replies/new/", {
        "title": "Refund policy", "body": "Five days.", "team": "999999", "active": "on"})
    assert response.status_code == 400
    assert 'id="f-team-error">Choose a team from the list.' in response.content.decode()


def test_saved_reply_changes_are_audited(client, supervisor):
    client.force_login(supervisor.user)
    client.post("/settings/shared-replies/new/", {"title": "Hello", "body": "Hi there.",
                                                  "active": "on"})
    reply = SavedReply.objects.get()
    client.post(f"/settings/shared-replies/{reply.pk}/active", {"active": "0"})
    entries = list(AuditLogEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["saved_reply.create", "saved_reply.update"]
    assert all(e.actor == supervisor.user and e.target_id == str(reply.pk) for e in entries)
    assert entries[1].details["changes"] == {"active": {"before": True, "after": False}}


def test_saving_an_unchanged_reply_writes_no_audit_entry(agent_client, agent):
    reply = SavedReplyFactory(owner=agent.user, title="Same", body="Same body")
    agent_client.post(f"/settings/saved-replies/{reply.pk}/", {
        "title": "Same", "body": "Same body", "set_status": "", "add_tags": "", "active": "on"})
    assert not AuditLogEntry.objects.exists()
