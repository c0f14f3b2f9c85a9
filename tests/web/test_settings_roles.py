"""Roles mapped to permissions, visible to supervisors; admins change an agent's role there."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from heedful import policy
from heedful.core.models import AuditLogEntry
from heedful.people.models import Agent
from heedful.policy import Permission, Viewer
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def test_roles_page_shows_every_permission_per_role_and_who_has_each_role(client, supervisor):
    make_agent(name="Agnes Agent")
    client.force_login(supervisor.user)
    response = client.get("/settings/roles/")
    html = response.content.decode()
    for label in policy.PERMISSION_LABELS.values():
        assert escape(str(label)) in html
    matrix = {str(row["label"]): row["granted"] for row in response.context["matrix"]}
    roles = [role["value"] for role in response.context["roles"]]
    for permission in Permission:
        label = str(policy.PERMISSION_LABELS[permission])
        assert matrix[label] == [permission in policy.ROLE_PERMISSIONS[r] for r in roles]
    by_role = {role["value"]: [str(a) for a in role["agents"]] for role in response.context["roles"]}
    assert by_role["supervisor"] == ["Sam Supervisor"] and by_role["agent"] == ["Agnes Agent"]


def test_supervisor_sees_roles_but_cannot_change_them(client, supervisor):
    agnes = make_agent(name="Agnes Agent")
    client.force_login(supervisor.user)
    assert 'name="role"' not in client.get("/settings/roles/").content.decode()
    response = client.post(f"/settings/roles/agents/{agnes.pk}/", {"role": "admin"})
    assert response.status_code == 403
    agnes.refresh_from_db()
    assert agnes.role == Agent.Role.AGENT


def test_admin_makes_an_agent_supervisor_and_the_policy_follows_at_once(client, admin_agent):
    agnes = make_agent(name="Agnes Agent")
    assert not policy.can(Viewer(agent=agnes), Permission.SETTINGS_MANAGE)
    client.force_login(admin_agent.user)
    response = client.post(f"/settings/roles/agents/{agnes.pk}/", {"role": "supervisor"})
    assert response.status_code == 302
    agnes.refresh_from_db()
    assert agnes.role == Agent.Role.SUPERVISOR
    assert policy.can(Viewer(agent=agnes), Permission.SETTINGS_MANAGE)
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_id, entry.details) == (
        "agent.role", admin_agent.user, str(agnes.pk), {"before": "agent", "after": "supervisor"})


def test_admin_role_brings_the_admin_site_and_losing_it_takes_it_away(client, admin_agent):
    agnes = make_agent()
    client.force_login(admin_agent.user)
    client.post(f"/settings/roles/agents/{agnes.pk}/", {"role": "admin"})
    agnes.user.refresh_from_db()
    assert agnes.user.is_staff and agnes.user.is_superuser
    client.post(f"/settings/roles/agents/{agnes.pk}/", {"role": "agent"})
    agnes.user.refresh_from_db()
    assert not agnes.user.is_staff and not agnes.user.is_superuser


def test_the_last_active_admin_keeps_the_role(client, admin_agent):
    client.force_login(admin_agent.user)
    response = client.post(f"/settings/roles/agents/{admin_agent.pk}/", {"role": "agent"})
    assert response.status_code == 409
    assert "Make another agent admin before changing this role." in response.content.decode()
    admin_agent.refresh_from_db()
    assert admin_agent.role == Agent.Role.ADMIN
    assert not AuditLogEntry.objects.exists()


def test_unknown_role_is_refused_beside_the_agent(client, admin_agent):
    agnes = make_agent()
    client.force_login(admin_agent.user)
    response = client.post(f"/settings/roles/agents/{agnes.pk}/", {"role": "overlord"})
    assert response.status_code == 400
    assert f'id="role-error-{agnes.pk}">Use admin, supervisor or agent.' in response.content.decode()


def test_agent_cannot_see_the_roles_page(agent_client):
    assert agent_client.get("/settings/roles/").status_code == 403
