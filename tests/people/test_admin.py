from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.people.models import Contact, ContactIdentity, ContactMerge
from heedful.tickets.contact_merge import merge_contacts
from tests.admin_forms import add_inline_rows, admin_form_data
from tests.factories import make_contact, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Any, admin_agent: Any) -> Any:
    client.force_login(admin_agent.user)
    return client


def add_identities(client: Any, contact: Any, *rows: dict[str, str]) -> Any:
    url = f"/admin/people/contact/{contact.pk}/change/"
    data = add_inline_rows(admin_form_data(client.get(url)), "identities", list(rows))
    return client.post(url, data)


def test_identity_added_in_the_admin_is_stored_normalised_and_audited(admin_client, admin_agent):
    contact = make_contact(email="first@example.org")
    response = add_identities(admin_client, contact, {"kind": "email", "value": " Second@Example.ORG "})
    assert response.status_code == 302
    identity = contact.identities.get(kind="email", value="Second@Example.ORG")
    assert identity.normalized == "second@example.org"
    entry = AuditLogEntry.objects.get(action="contact.identity.add")
    assert entry.actor == admin_agent.user and entry.target_id == str(contact.pk)


def test_identities_added_in_the_admin_to_two_contacts_both_save(admin_client):
    first, second = make_contact(), make_contact()
    assert add_identities(admin_client, first, {"kind": "phone", "value": "+1 555 0100"}).status_code == 302
    assert add_identities(admin_client, second, {"kind": "phone", "value": "+1 555 0199"}).status_code == 302
    assert first.identities.filter(kind="phone").get().normalized != ""
    assert second.identities.filter(kind="phone").get().normalized != ""


def test_identity_another_contact_has_is_a_form_error_in_the_admin(admin_client):
    make_contact(email="taken@example.org")
    contact = make_contact()
    response = add_identities(admin_client, contact, {"kind": "email", "value": "TAKEN@example.org"})
    assert response.status_code == 200
    assert "Another contact already has" in response.content.decode()
    assert not contact.identities.filter(normalized="taken@example.org").exists()


def test_the_same_identity_typed_twice_in_the_admin_is_a_form_error(admin_client):
    contact = make_contact()
    response = add_identities(admin_client, contact, {"kind": "email", "value": "twice@example.org"},
                              {"kind": "email", "value": "Twice@example.org"})
    assert response.status_code == 200
    assert "listed twice" in response.content.decode()


def test_identity_that_is_no_address_is_a_form_error_in_the_admin(admin_client):
    contact = make_contact()
    response = add_identities(admin_client, contact, {"kind": "email", "value": "not an address"})
    assert response.status_code == 200
    assert "is not an e-mail address" in response.content.decode()
    assert ContactIdentity.objects.filter(contact=contact).count() == 1


def test_removing_the_only_identity_in_the_admin_is_a_form_error(admin_client):
    contact = make_contact(email="only@example.org")
    url = f"/admin/people/contact/{contact.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data["identities-0-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "only address or number" in response.content.decode()
    assert contact.identities.count() == 1


def test_identity_removed_in_the_admin_goes_through_the_action(admin_client):
    contact = make_contact(email="old@example.org")
    url = f"/admin/people/contact/{contact.pk}/change/"
    data = add_inline_rows(admin_form_data(admin_client.get(url)), "identities",
                           [{"kind": "email", "value": "new@example.org"}])
    data["identities-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    assert list(contact.identities.values_list("normalized", flat=True)) == ["new@example.org"]
    assert AuditLogEntry.objects.filter(action="contact.identity.remove").count() == 1


def test_contact_created_in_the_admin_gets_its_identity_through_the_action(admin_client):
    data = add_inline_rows(admin_form_data(admin_client.get("/admin/people/contact/add/")),
                           "identities", [{"kind": "email", "value": "New.Person@Example.org"}])
    data["name"] = "New Person"
    response = admin_client.post("/admin/people/contact/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    identity = ContactIdentity.objects.get(contact__name="New Person")
    assert identity.normalized == "new.person@example.org"


def delete_in_the_admin(client: Any, contact: Any) -> Any:
    return client.post(f"/admin/people/contact/{contact.pk}/delete/", {"post": "yes"})


def test_contact_who_requested_a_ticket_cannot_be_deleted_in_the_admin(admin_client, ticket):
    response = delete_in_the_admin(admin_client, ticket.requester)
    assert response.status_code == 200 and "Cannot delete contact" in response.content.decode()
    assert Contact.objects.filter(pk=ticket.requester_id).exists()


def test_contact_cc_on_a_ticket_cannot_be_deleted_in_the_admin(admin_client):
    cc = make_contact(name="Cecil CC")
    ticket = make_ticket(cc=[cc])
    response = delete_in_the_admin(admin_client, cc)
    assert response.status_code == 200
    assert f"is CC on ticket #{ticket.number}" in response.content.decode()
    assert ticket.participants.filter(pk=cc.pk).exists()


def test_contacts_cc_on_a_ticket_cannot_be_deleted_with_the_bulk_action(admin_client):
    cc = make_contact()
    make_ticket(cc=[cc])
    admin_client.post("/admin/people/contact/", {
        "action": "delete_selected", "_selected_action": [cc.pk], "post": "yes"})
    assert Contact.objects.filter(pk=cc.pk).exists()


def test_merged_contact_cannot_be_deleted_in_the_admin_so_the_merge_record_stays(
        admin_client, supervisor):
    source, target = make_contact(name="Old Record"), make_contact(name="Kept Record")
    merge_contacts(source=source, target=target, actor=supervisor.user)
    page = admin_client.get(f"/admin/people/contact/{source.pk}/delete/")
    assert "Cannot delete contact" in page.content.decode()
    assert delete_in_the_admin(admin_client, source).status_code == 403
    assert ContactMerge.objects.count() == 1 and Contact.objects.filter(pk=source.pk).exists()


def test_contact_without_history_can_be_deleted_in_the_admin(admin_client):
    contact = make_contact()
    assert delete_in_the_admin(admin_client, contact).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contact_merge_records_are_read_only_in_the_admin(admin_client, supervisor):
    source, target = make_contact(), make_contact()
    merge_contacts(source=source, target=target, actor=supervisor.user)
    merge = ContactMerge.objects.get()
    assert admin_client.get(f"/admin/people/contactmerge/{merge.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/people/contactmerge/{merge.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/people/contactmerge/add/").status_code == 403
    assert ContactMerge.objects.filter(pk=merge.pk).exists()


def test_api_tokens_are_not_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/people/apitoken/add/").status_code == 403



def test_the_admin_cannot_fake_a_merge_by_setting_merged_into(admin_client):
    contact, other = make_contact(), make_contact()
    url = f"/admin/people/contact/{contact.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data["merged_into"] = other.pk
    assert admin_client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.merged_into_id is None
