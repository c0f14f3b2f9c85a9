"""Mailboxes in settings: addresses, IMAP polling and acknowledgements; the password is stored
encrypted and never goes back to the browser."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.mail.crypto import decrypt_secret, encrypt_secret
from heedful.mail.models import Mailbox
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

SECRET = "hunter2-Very-Secret"


@pytest.fixture
def supervisor_client(client: Any, supervisor: Any) -> Any:
    client.force_login(supervisor.user)
    return client


def mailbox_form(**values: str) -> dict[str, str]:
    return {"name": "Support", "address": "help@example.com", "from_name": "Example Support",
            "team": "", "auto_acknowledge": "on", "active": "on", "imap_host": "imap.example.com",
            "imap_port": "993", "imap_ssl": "on", "imap_username": "help@example.com",
            "imap_folder": "INBOX", "after_import": "flag", "move_to_folder": "", **values}


def test_supervisor_adds_a_mailbox_with_an_encrypted_password(supervisor_client):
    billing = TeamFactory(name="Billing")
    response = supervisor_client.post("/settings/mailboxes/new/", mailbox_form(
        team=str(billing.pk), imap_password=SECRET, auto_acknowledge=""))
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.team, mailbox.auto_acknowledge, mailbox.imap_port) == (
        "help@example.com", billing, False, 993)
    assert SECRET not in mailbox.imap_password_encrypted
    assert decrypt_secret(mailbox.imap_password_encrypted) == SECRET


def test_stored_password_is_never_rendered_back(supervisor_client):
    supervisor_client.post("/settings/mailboxes/new/", mailbox_form(imap_password=SECRET))
    mailbox = Mailbox.objects.get()
    for url in ["/settings/mailboxes/", f"/settings/mailboxes/{mailbox.pk}/"]:
        html = supervisor_client.get(url).content.decode()
        assert SECRET not in html and mailbox.imap_password_encrypted not in html
    form = supervisor_client.get(f"/settings/mailboxes/{mailbox.pk}/").content.decode()
    assert "A password is stored (encrypted)" in form
    for entry in AuditLogEntry.objects.all():
        assert SECRET not in str(entry.details)
        assert mailbox.imap_password_encrypted not in str(entry.details)


def test_refused_form_keeps_what_was_typed_except_the_password(supervisor_client):
    response = supervisor_client.post("/settings/mailboxes/new/", mailbox_form(
        imap_port="99999", imap_password=SECRET, name="Kept name"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="f-imap_port-error">Use a port number from 1 to 65535' in html
    assert 'value="Kept name"' in html and SECRET not in html
    assert not Mailbox.objects.exists()


def test_empty_password_keeps_the_stored_one_and_remove_clears_it(supervisor_client):
    mailbox = Mailbox.objects.create(name="Support", address="help@example.com",
                                     imap_host="imap.example.com", imap_username="help",
                                     imap_password_encrypted=encrypt_secret(SECRET))
    supervisor_client.post(f"/settings/mailboxes/{mailbox.pk}/", mailbox_form(
        name="Helpdesk", imap_password=""))
    mailbox.refresh_from_db()
    assert mailbox.name == "Helpdesk" and decrypt_secret(mailbox.imap_password_encrypted) == SECRET
    supervisor_client.post(f"/settings/mailboxes/{mailbox.pk}/", mailbox_form(
        name="Helpdesk", clear_imap_password="on"))
    mailbox.refresh_from_db()
    assert mailbox.imap_password_encrypted == ""
    changes = AuditLogEntry.objects.filter(action="mailbox.update").order_by("id").last().details
    assert changes == {"changes": {"imap_password": {"after": "removed"}}}


def test_new_password_replaces_the_stored_one_and_the_audit_says_only_that(supervisor_client):
    mailbox = Mailbox.objects.create(name="Support", address="help@example.com",
                                     imap_host="imap.example.com", imap_username="help@example.com",
                                     imap_password_encrypted=encrypt_secret("old-one"))
    supervisor_client.post(f"/settings/mailboxes/{mailbox.pk}/", mailbox_form(imap_password=SECRET))
    mailbox.refresh_from_db()
    assert decrypt_secret(mailbox.imap_password_encrypted) == SECRET
    entry = AuditLogEntry.objects.get(action="mailbox.update")
    assert entry.details["changes"]["imap_password"] == {"after": "changed"}


def test_address_another_mailbox_receives_is_refused_beside_the_address(supervisor_client):
    Mailbox.objects.create(name="Sales", address="Help@Example.com")
    response = supervisor_client.post("/settings/mailboxes/new/", mailbox_form())
    assert response.status_code == 400
    assert 'id="f-address-error">Another mailbox already receives mail for this address.' in (
        response.content.decode())
    assert Mailbox.objects.count() == 1


@pytest.mark.parametrize(("values", "field"), [
    ({"address": "not an address"}, "address"),
    ({"name": ""}, "name"),
    ({"after_import": "move", "move_to_folder": ""}, "move_to_folder"),
    ({"imap_host": "imaps://imap.example.com:993"}, "imap_host"),
    ({"imap_username": ""}, "imap_username"),
    ({"team": "424242"}, "team"),
])
def test_bad_values_are_refused_beside_their_field(supervisor_client, values, field):
    response = supervisor_client.post("/settings/mailboxes/new/", mailbox_form(**values))
    assert response.status_code == 400
    assert f'id="f-{field}-error">' in response.content.decode()
    assert not Mailbox.objects.exists()


def test_deactivating_a_mailbox_stops_it_and_is_audited(supervisor_client, supervisor):
    mailbox = Mailbox.objects.create(name="Support", address="help@example.com")
    supervisor_client.post(f"/settings/mailboxes/{mailbox.pk}/active", {"active": "0"})
    mailbox.refresh_from_db()
    assert not mailbox.active
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.details["changes"]) == (
        "mailbox.update", supervisor.user, {"active": {"before": True, "after": False}})
