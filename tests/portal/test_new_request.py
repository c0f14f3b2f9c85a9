from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from heedful.people.models import Contact
from heedful.tickets.models import Attachment, Channel, CustomFieldDefinition, Ticket
from tests.factories import CustomFieldFactory, make_contact, make_ticket
from tests.portal.conftest import link_tokens, signed_in

pytestmark = pytest.mark.django_db


def test_anonymous_submission_with_attachment_creates_contact_ticket_and_sends_link(client):
    response = client.post("/portal/new/", {
        "name": "Dana Doe", "email": "dana@example.net", "subject": "Cannot log in",
        "message": "The login page spins forever.",
        "attachments": [SimpleUploadedFile("screen.png", b"\x89PNG...", "image/png"),
                        SimpleUploadedFile("log.txt", b"error 42", "text/plain")],
    })
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Check your e-mail to follow this request" in page.content.decode()

    contact = Contact.objects.get(identities__normalized="dana@example.net")
    assert contact.name == "Dana Doe"
    ticket = Ticket.objects.get(requester=contact)
    assert ticket.channel == Channel.PORTAL and ticket.subject == "Cannot log in"
    assert sorted(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == [
        "log.txt", "screen.png"]
    assert mail.outbox[0].to == ["dana@example.net"]
    # Submitting did not sign the visitor in; the link does, and leads to the ticket.
    assert "portal_contact_id" not in client.session
    (token,) = link_tokens()
    assert client.post(f"/portal/sign-in/{token}/")["Location"] == f"/portal/tickets/{ticket.number}/"


def test_anonymous_submission_from_known_address_joins_the_existing_contact(client, contact):
    client.post("/portal/new/", {"email": "Carol@Example.org", "subject": "Again", "message": "Hi"})
    assert Contact.objects.count() == 1
    assert Ticket.objects.get().requester == contact


def test_anonymous_submission_needs_an_email(client):
    response = client.post("/portal/new/", {"subject": "Hello", "message": "Text I typed"})
    assert response.status_code == 400
    assert "Text I typed" in response.content.decode()
    assert not Ticket.objects.exists() and not Contact.objects.exists()


def test_signed_in_submission_goes_straight_to_the_ticket(client, contact):
    response = signed_in(client, contact).post("/portal/new/", {"subject": "Help", "message": "Please"})
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/portal/tickets/{ticket.number}/"
    assert ticket.requester == contact and ticket.channel == Channel.PORTAL
    assert not mail.outbox


def test_signed_in_submission_with_typed_custom_fields(client, contact):
    CustomFieldFactory(key="order", label="Order number", type=CustomFieldDefinition.Type.INTEGER,
                       customer_editable=True, required=True)
    CustomFieldFactory(key="product", label="Product", type=CustomFieldDefinition.Type.CHOICE,
                       choices=["Router", "Modem"], customer_editable=True)
    CustomFieldFactory(key="internal_score", label="Internal score", customer_editable=False)
    signed_in(client, contact)
    form = client.get("/portal/new/").content.decode()
    assert 'type="number"' in form and "Order number" in form and "Modem" in form
    assert "Internal score" not in form

    client.post("/portal/new/", {"subject": "Broken", "message": "Dead", "cf_order": "1234",
                                 "cf_product": "Modem"})
    assert Ticket.objects.get().custom_fields == {"order": 1234, "product": "Modem"}


def test_missing_required_custom_field_is_a_400_with_message(client, contact):
    CustomFieldFactory(key="order", label="Order number", type=CustomFieldDefinition.Type.INTEGER,
                       customer_editable=True, required=True)
    response = signed_in(client, contact).post("/portal/new/", {"subject": "Broken", "message": "Kept text"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Kept text" in html
    assert not Ticket.objects.exists()


def test_wrongly_typed_custom_field_is_a_400(client, contact):
    CustomFieldFactory(key="order", label="Order number", type=CustomFieldDefinition.Type.INTEGER,
                       customer_editable=True)
    response = signed_in(client, contact).post(
        "/portal/new/", {"subject": "Broken", "message": "x", "cf_order": "twelve"})
    assert response.status_code == 400
    assert "Expected a whole number." in response.content.decode()


def test_oversized_upload_is_a_form_error_keeping_the_text(client, contact, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    response = signed_in(client, contact).post("/portal/new/", {
        "subject": "Big file", "message": "My carefully typed story",
        "attachments": [SimpleUploadedFile("huge.bin", b"x" * 11)],
    })
    assert response.status_code == 413
    html = response.content.decode()
    assert "larger than the limit" in html and "My carefully typed story" in html
    assert 'value="Big file"' in html
    assert not Ticket.objects.exists()


def test_follow_up_form_is_prefilled_with_the_reference(client, contact):
    ticket = make_ticket(requester=contact, subject="Printer")
    html = signed_in(client, contact).get(f"/portal/new/?follow_up={ticket.number}").content.decode()
    assert f"Follow-up to #{ticket.number}: Printer" in html


def test_follow_up_of_someone_elses_ticket_reveals_nothing(client, contact):
    other = make_ticket(requester=make_contact(), subject="Secret plans")
    html = signed_in(client, contact).get(f"/portal/new/?follow_up={other.number}").content.decode()
    assert "Secret plans" not in html


def test_bad_follow_up_reference_is_ignored(client):
    assert client.get("/portal/new/?follow_up=abc").status_code == 200
    assert client.get("/portal/new/?follow_up=" + "9" * 40).status_code == 200
