from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from heedful.core.models import AuditLogEntry
from heedful.people.models import Agent
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def createadmin(email: str, password: str) -> str:
    out = StringIO()
    call_command("createadmin", "--email", email, "--password", password, stdout=out)
    return out.getvalue()


def test_createadmin_creates_an_admin_who_can_sign_in():
    assert "Created admin boss@example.com" in createadmin("boss@example.com", "s3cret-Pass!")
    agent = Agent.objects.get(user__username="boss@example.com")
    assert agent.role == Agent.Role.ADMIN and agent.user.is_superuser
    assert authenticate(username="boss@example.com", password="s3cret-Pass!") == agent.user


def test_createadmin_twice_resets_the_password():
    createadmin("boss@example.com", "first-Pass!1")
    assert "Updated admin" in createadmin("boss@example.com", "second-Pass!2")
    assert authenticate(username="boss@example.com", password="second-Pass!2") is not None


def test_createadmin_refuses_a_weak_password_and_names_each_problem():
    with pytest.raises(CommandError) as refused:
        createadmin("boss@example.com", "1234")
    assert "too short" in str(refused.value) and "entirely numeric" in str(refused.value)
    assert not Agent.objects.exists()


def test_createadmin_refuses_a_weak_password_when_resetting_and_keeps_the_old_one():
    createadmin("boss@example.com", "first-Pass!1")
    with pytest.raises(CommandError, match="too common"):
        createadmin("boss@example.com", "password")
    assert authenticate(username="boss@example.com", password="first-Pass!1") is not None


def test_createadmin_audits_the_creation_and_each_password_reset_without_the_password():
    createadmin("boss@example.com", "first-Pass!1")
    createadmin("boss@example.com", "second-Pass!2")
    agent = Agent.objects.get(user__username="boss@example.com")
    entries = list(AuditLogEntry.objects.order_by("pk"))
    assert [entry.action for entry in entries] == ["agent.create", "agent.password_reset"]
    assert {entry.target_id for entry in entries} == {str(agent.pk)}
    assert not any("Pass!" in str(entry.details) for entry in entries)


def test_createadmin_on_an_agent_makes_them_admin_and_records_the_role_they_had():
    agent = make_agent(email="sam@example.com", role=Agent.Role.SUPERVISOR)
    createadmin("Sam@Example.com", "second-Pass!2")
    agent.refresh_from_db()
    assert agent.role == Agent.Role.ADMIN and agent.user.is_staff and agent.user.is_superuser
    entry = AuditLogEntry.objects.get(action="agent.password_reset")
    assert entry.details == {"role_before": "supervisor", "role": "admin"}
