"""Teams in settings: add with members, rename, change who belongs; duplicates refused."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.people.models import Team
from heedful.policy import Viewer, visible_tickets
from tests.factories import TeamFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client(client: Any, supervisor: Any) -> Any:
    client.force_login(supervisor.user)
    return client


def test_supervisor_adds_a_team_and_its_members_see_its_tickets(supervisor_client, supervisor):
    mei = make_agent(name="Mei", restricted=True)
    response = supervisor_client.post("/settings/teams/new/", {
        "name": "  Billing   desk ", "description": "Invoices and refunds.", "members": [str(mei.pk)]})
    assert response.status_code == 302
    team = Team.objects.get()
    assert team.name == "Billing desk" and list(team.agents.all()) == [mei]
    ticket = make_ticket(team=team)
    assert list(visible_tickets(Viewer(agent=mei))) == [ticket]
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.details["members"]) == ("team.create", supervisor.user,
                                                                     [mei.pk])
    assert "Mei" in supervisor_client.get("/settings/teams/").content.decode()


def test_duplicate_team_name_is_refused_beside_the_name_whatever_the_case(supervisor_client):
    TeamFactory(name="Billing")
    response = supervisor_client.post("/settings/teams/new/", {"name": "billing"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="f-name-error">Another team is called billing: choose another name.' in html
    assert Team.objects.count() == 1


def test_renaming_into_another_teams_name_is_refused(supervisor_client):
    TeamFactory(name="Billing")
    tech = TeamFactory(name="Tech")
    response = supervisor_client.post(f"/settings/teams/{tech.pk}/", {"name": "BILLING"})
    assert response.status_code == 409
    tech.refresh_from_db()
    assert tech.name == "Tech"


def test_empty_name_and_inactive_member_are_refused_beside_their_fields(supervisor_client):
    gone = make_agent(is_active=False)
    response = supervisor_client.post("/settings/teams/new/", {"name": "", "members": [str(gone.pk)]})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="f-name-error">Give the team a name.' in html
    assert 'id="f-members-error">Choose members among the active agents.' in html
    assert not Team.objects.exists()


def test_edit_renames_and_changes_members_with_before_and_after_in_the_audit_log(supervisor_client):
    ana, bo = make_agent(name="Ana"), make_agent(name="Bo")
    team = TeamFactory(name="Tech")
    team.agents.set([ana])
    form = supervisor_client.get(f"/settings/teams/{team.pk}/").content.decode()
    assert f'value="{ana.pk}" checked' in form and f'value="{bo.pk}" checked' not in form
    supervisor_client.post(f"/settings/teams/{team.pk}/", {
        "name": "Technical support", "description": "", "members": [str(bo.pk)]})
    team.refresh_from_db()
    assert team.name == "Technical support" and list(team.agents.all()) == [bo]
    changes = AuditLogEntry.objects.get(action="team.update").details["changes"]
    assert changes == {"name": {"before": "Tech", "after": "Technical support"},
                       "members": {"before": [ana.pk], "after": [bo.pk]}}
