"""Contact options in settings: what customers see on every portal page."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry, SiteSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client(client: Any, supervisor: Any) -> Any:
    client.force_login(supervisor.user)
    return client


def options(**values: str) -> dict[str, str]:
    return {"name": "Acme Help", "support_email": "help@acme.example",
            "support_phone": "+1 (555) 0100", "phone_hours": "Mon–Fri 9–17",
            "portal_passwords_enabled": "on", "organization_managers_see_tickets": "on", **values}


def test_supervisor_changes_contact_options_and_the_portal_shows_them(supervisor_client, client):
    response = supervisor_client.post("/settings/contact-options/", options())
    assert response.status_code == 302
    site = SiteSettings.current()
    assert (site.name, site.support_phone, site.chat_enabled) == ("Acme Help", "+1 (555) 0100", False)
    client.logout()
    portal = client.get("/portal/").content.decode()
    assert 'href="tel:+15550100"' in portal and "help@acme.example" in portal


def test_bad_email_phone_and_empty_name_are_refused_beside_their_fields(supervisor_client):
    before = SiteSettings.current().name
    response = supervisor_client.post("/settings/contact-options/", options(
        name=" ", support_email="help at acme", support_phone="call us"))
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("name", "support_email", "support_phone"):
        assert f'id="f-{field}-error">' in html
    assert 'value="help at acme"' in html
    assert SiteSettings.current().name == before


def test_contact_option_changes_are_audited_with_before_and_after(supervisor_client, supervisor):
    SiteSettings.objects.update_or_create(pk=1, defaults={"support_phone": "+1 555 0199"})
    supervisor_client.post("/settings/contact-options/", options(
        name=SiteSettings.current().name, support_email="", phone_hours="", chat_enabled="on",
        support_phone="+1 555 0100"))
    entry = AuditLogEntry.objects.get()
    assert entry.action == "site_settings.update" and entry.actor == supervisor.user
    changes = entry.details["changes"]
    assert changes["support_phone"] == {"before": "+1 555 0199", "after": "+1 555 0100"}
    assert changes["chat_enabled"] == {"before": False, "after": True}


def test_agent_cannot_change_contact_options(agent_client):
    response = agent_client.post("/settings/contact-options/", options(name="Hijacked"))
    assert response.status_code == 403
    assert SiteSettings.current().name != "Hijacked"
