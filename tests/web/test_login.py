from __future__ import annotations

import pytest
from django.test import override_settings

from heedful.core.models import AuditLogEntry
from tests.factories import PASSWORD, User, make_agent

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post("/login/", {"email": email, "password": password})


def test_agent_signs_in_and_lands_on_the_queue(client, agent):
    response = sign_in(client, agent.user.email)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_with_a_message(client, agent):
    response = sign_in(client, agent.user.email, "not-the-password")
    assert response.status_code == 400
    assert "password is wrong" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_ATTEMPTS_LIMIT=3, LOGIN_LOCKOUT_SECONDS=300)
def test_account_is_paused_after_repeated_failures_even_with_the_right_password(client, agent):
    for _ in range(3):
        assert sign_in(client, agent.user.email, "nope").status_code == 400
    response = sign_in(client, agent.user.email)
    assert response.status_code == 429
    assert "Too many attempts, try again in 5 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_user_without_agent_profile_cannot_sign_in_to_the_desk(client):
    User.objects.create_user(username="cust@example.org", email="cust@example.org", password=PASSWORD)
    response = sign_in(client, "cust@example.org")
    assert response.status_code == 400
    assert "help portal" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_agent_cannot_sign_in(client):
    agent = make_agent(is_active=False)
    assert sign_in(client, agent.user.email).status_code == 400


def test_signed_in_non_agent_is_told_the_desk_is_for_agents(client):
    user = User.objects.create_user(username="c2@example.org", password=PASSWORD)
    client.force_login(user)
    assert client.get("/").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, ticket):
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_sign_in_never_redirects_off_site(client, agent):
    response = client.post("/login/?next=https://evil.example/", {
        "email": agent.user.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_logout_needs_post(agent_client):
    assert agent_client.get("/logout/").status_code == 405
    assert agent_client.post("/logout/").status_code == 302
    assert agent_client.get("/").status_code == 302


def sign_in_to_admin(client, username, password=PASSWORD):
    return client.post("/admin/login/?next=/admin/",
                       {"username": username, "password": password, "next": "/admin/"})


def audit_actions() -> list[str]:
    return list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True))


@override_settings(LOGIN_ATTEMPTS_LIMIT=3, LOGIN_LOCKOUT_SECONDS=300)
def test_admin_sign_in_is_paused_after_repeated_failures_even_with_the_right_password(
        client, admin_agent):
    for _ in range(3):
        assert sign_in_to_admin(client, admin_agent.user.username, "nope").status_code == 200
    response = sign_in_to_admin(client, admin_agent.user.username)
    assert "Too many attempts, try again in 5 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert audit_actions() == ["admin.login.failed"] * 3 + ["admin.login.locked"]


@override_settings(LOGIN_ATTEMPTS_LIMIT=3, LOGIN_LOCKOUT_SECONDS=300)
def test_failures_at_the_desk_sign_in_also_pause_the_admin_sign_in(client, admin_agent):
    for _ in range(3):
        sign_in(client, admin_agent.user.email, "nope")
    response = sign_in_to_admin(client, admin_agent.user.username)
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_is_audited(client, admin_agent):
    response = sign_in_to_admin(client, admin_agent.user.username)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    entry = AuditLogEntry.objects.get(action="admin.login")
    assert entry.actor == admin_agent.user and entry.ip_address == "127.0.0.1"
