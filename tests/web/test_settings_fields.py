"""Custom fields in settings: add, edit, deactivate, with each problem beside its field."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.tickets.models import CustomFieldDefinition
from tests.factories import CustomFieldFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client(client: Any, supervisor: Any) -> Any:
    client.force_login(supervisor.user)
    return client


def new_field(**values: str) -> dict[str, str]:
    return {"key": "order_number", "label": "Order number", "type": "text", "choices": "",
            "position": "", "active": "on", **values}


def test_supervisor_adds_a_list_field_that_tickets_then_offer(supervisor_client):
    CustomFieldFactory(position=4)
    response = supervisor_client.post("/settings/fields/new/", new_field(
        key="device", label="Device", type="choice", choices="Router\n\n  Modem  \nPhone",
        required="on", customer_visible="on", customer_editable="on"))
    assert response.status_code == 302
    field = CustomFieldDefinition.objects.get(key="device")
    assert field.choices == ["Router", "Modem", "Phone"]
    assert (field.required, field.customer_visible, field.customer_editable, field.active) == (
        True, True, True, True)
    assert field.position == 5  # after the others when no position is given
    ticket = make_ticket(custom_fields={"device": "Router"})
    page = supervisor_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Device" in page and "Modem" in page


def test_duplicate_key_is_refused_beside_the_key(supervisor_client):
    CustomFieldFactory(key="order_number", label="Order", active=False)
    response = supervisor_client.post("/settings/fields/new/", new_field(label="Order no."))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="f-key-error">The key order_number is taken: choose another.' in html
    assert 'value="Order no."' in html
    assert CustomFieldDefinition.objects.count() == 1


def test_list_field_without_choices_is_refused_beside_the_choices(supervisor_client):
    response = supervisor_client.post("/settings/fields/new/", new_field(type="multi_choice",
                                                                         choices="\n \n"))
    assert response.status_code == 400
    assert 'id="f-choices-error">A list field needs at least one choice' in response.content.decode()
    assert not CustomFieldDefinition.objects.exists()


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"key": "Order Number"}, "key", "lower-case letters"),
    ({"key": ""}, "key", "Give the field a key"),
    ({"label": " "}, "label", "Give the field a label"),
    ({"type": "colour"}, "type", "Choose a type from the list."),
    ({"choices": "Red"}, "choices", "Only list fields have choices"),
    ({"type": "choice", "choices": "Red\nRed"}, "choices", "Each choice must appear once."),
    ({"position": "first"}, "position", "Use a whole number"),
])
def test_bad_values_are_refused_beside_their_field(supervisor_client, values, field, message):
    response = supervisor_client.post("/settings/fields/new/", new_field(**values))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="f-{field}-error">' in html and message in html
    assert not CustomFieldDefinition.objects.exists()


def test_edit_changes_label_choices_and_flags_but_never_the_key_or_type(supervisor_client):
    field = CustomFieldFactory(key="device", label="Device", type="choice", choices=["Router"])
    form = supervisor_client.get(f"/settings/fields/{field.pk}/").content.decode()
    assert 'name="key"' not in form and 'name="type"' not in form
    response = supervisor_client.post(f"/settings/fields/{field.pk}/", {
        "label": "Your device", "choices": "Router\nModem", "position": "3",
        "customer_visible": "on", "active": "on", "key": "renamed", "type": "text"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.type, field.label, field.choices, field.position) == (
        "device", "choice", "Your device", ["Router", "Modem"], 3)
    assert field.customer_visible and not field.customer_editable


def test_deactivated_field_leaves_tickets_values_and_is_audited(supervisor_client, supervisor):
    field = CustomFieldFactory(key="order_number", label="Order")
    ticket = make_ticket(custom_fields={"order_number": "A-1"})
    supervisor_client.post(f"/settings/fields/{field.pk}/active", {"active": "0"})
    field.refresh_from_db()
    ticket.refresh_from_db()
    assert not field.active and ticket.custom_fields == {"order_number": "A-1"}
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_id) == ("custom_field.update", supervisor.user,
                                                            str(field.pk))
    assert entry.details["changes"] == {"active": {"before": True, "after": False}}
    supervisor_client.post(f"/settings/fields/{field.pk}/active", {"active": "1"})
    field.refresh_from_db()
    assert field.active


def test_created_field_is_audited_with_its_definition(supervisor_client, supervisor):
    supervisor_client.post("/settings/fields/new/", new_field())
    entry = AuditLogEntry.objects.get()
    assert entry.action == "custom_field.create" and entry.actor == supervisor.user
    assert entry.details["key"] == "order_number" and entry.details["type"] == "text"
