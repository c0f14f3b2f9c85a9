from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from heedful.core.models import SiteSettings
from heedful.people.models import Organization
from heedful.tickets.actions import update_ticket
from heedful.tickets.models import CustomFieldDefinition, Event, Ticket
from tests.factories import CustomFieldFactory, agent_reply, make_agent, make_contact, make_ticket, upload
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def page(client, ticket):
    return client.get(f"/portal/tickets/{ticket.number}/")


def test_customer_sees_the_public_conversation(customer_client, ticket, agent):
    agent_reply(ticket, agent, body="We replaced the toner.")
    html = page(customer_client, ticket).content.decode()
    assert "It is on fire, please help." in html and "We replaced the toner." in html
    assert "Alice Agent" in html
    assert agent.user.email not in html


def test_customer_cannot_see_internal_notes_or_handoffs(customer_client, ticket, agent):
    agent_reply(ticket, agent, body="Customer seems angry, be careful", public=False)
    other = make_agent(name="Bob Backline")
    update_ticket(ticket=ticket, actor=agent.user, changes={"assignee": agent.user})
    update_ticket(ticket=ticket, actor=agent.user, changes={
        "assignee": other.user, "transfer_reason": "needs hardware team",
        "handoff_note": "secret handoff detail"})
    html = page(customer_client, ticket).content.decode()
    assert "Customer seems angry" not in html
    assert "needs hardware team" not in html and "secret handoff detail" not in html
    assert "Bob Backline" not in html


def test_customer_cannot_read_another_customers_ticket(customer_client):
    other = make_ticket(requester=make_contact(), subject="Private matter")
    response = page(customer_client, other)
    assert response.status_code == 404
    assert "Private matter" not in response.content.decode()


def test_unknown_and_absurd_ticket_numbers_are_404(customer_client):
    assert customer_client.get("/portal/tickets/999999/").status_code == 404
    assert customer_client.get("/portal/tickets/" + "9" * 30 + "/").status_code == 404
    assert customer_client.get("/portal/attachments/" + "9" * 30 + "/").status_code == 404


def test_customer_downloads_own_attachment(customer_client, contact):
    ticket = make_ticket(requester=contact, attachments=[upload("notes.txt", b"my notes")])
    attachment = ticket.attachments.get()
    assert f"/portal/attachments/{attachment.pk}/" in page(customer_client, ticket).content.decode()
    response = customer_client.get(f"/portal/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"my notes"
    assert response["Content-Disposition"].startswith("attachment")


def test_customer_cannot_download_another_customers_attachment(customer_client):
    other = make_ticket(requester=make_contact(), attachments=[upload("secret.txt", b"secret")])
    assert customer_client.get(f"/portal/attachments/{other.attachments.get().pk}/").status_code == 404


def test_customer_cannot_download_an_internal_note_attachment(customer_client, ticket, agent):
    agent_reply(ticket, agent, body="internal", public=False, attachments=[upload("int.txt", b"x")])
    attachment = ticket.attachments.get(filename="int.txt")
    assert customer_client.get(f"/portal/attachments/{attachment.pk}/").status_code == 404


def test_cc_participant_can_read_and_reply(client, ticket):
    cc = make_contact(name="Colin CC")
    ticket.participants.add(cc)
    signed_in(client, cc)
    assert page(client, ticket).status_code == 200
    assert client.post(f"/portal/tickets/{ticket.number}/", {"message": "Me too"}).status_code == 302
    assert ticket.events.filter(author_contact=cc, kind=Event.Kind.MESSAGE_IN).exists()


@pytest.mark.parametrize(("site_allows", "org_allows", "sees"), [
    (True, True, True), (True, False, False), (False, True, False),
])
def test_organization_manager_sees_org_tickets_only_when_both_flags_allow(
    client, site_allows, org_allows, sees
):
    org = Organization.objects.create(name="Acme", managers_see_tickets=org_allows)
    SiteSettings.objects.update_or_create(pk=1, defaults={"organization_managers_see_tickets": site_allows})
    manager = make_contact(name="Mona Manager", organization=org, is_organization_manager=True)
    colleague = make_contact(name="Carl Colleague", organization=org)
    ticket = make_ticket(requester=colleague, subject="Colleague's request")
    signed_in(client, manager)
    assert (page(client, ticket).status_code == 200) is sees
    assert ("Colleague&#x27;s request" in client.get("/portal/").content.decode()) is sees


def test_plain_organization_member_does_not_see_colleagues_tickets(client):
    org = Organization.objects.create(name="Acme")
    member = make_contact(organization=org)
    ticket = make_ticket(requester=make_contact(organization=org))
    assert page(signed_in(client, member), ticket).status_code == 404


def test_reply_with_attachment(customer_client, ticket):
    response = customer_client.post(f"/portal/tickets/{ticket.number}/", {
        "message": "Here is the log", "attachments": [SimpleUploadedFile("log.txt", b"boom")]})
    assert response.status_code == 302
    event = ticket.events.filter(kind=Event.Kind.MESSAGE_IN).last()
    assert event.body_text == "Here is the log" and event.channel == "portal"
    assert event.attachments.get().filename == "log.txt"


def test_empty_reply_is_a_400(customer_client, ticket):
    response = customer_client.post(f"/portal/tickets/{ticket.number}/", {"message": " "})
    assert response.status_code == 400


def test_oversized_reply_attachment_keeps_the_text(customer_client, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 5
    response = customer_client.post(f"/portal/tickets/{ticket.number}/", {
        "message": "Words I typed", "attachments": [SimpleUploadedFile("big.bin", b"123456")]})
    assert response.status_code == 413
    assert "Words I typed" in response.content.decode()


def test_reply_reopens_a_solved_ticket(customer_client, ticket, agent):
    agent_reply(ticket, agent, status=Ticket.Status.SOLVED)
    customer_client.post(f"/portal/tickets/{ticket.number}/", {"message": "Still broken"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.reopen_count == 1


def test_reopen_button_on_a_solved_ticket(customer_client, ticket, agent):
    agent_reply(ticket, agent, status=Ticket.Status.SOLVED)
    assert "Reopen this request" in page(customer_client, ticket).content.decode()
    response = customer_client.post(f"/portal/tickets/{ticket.number}/reopen/", {"message": "Not fixed"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_reopening_an_open_ticket_is_refused_politely(customer_client, ticket):
    response = customer_client.post(f"/portal/tickets/{ticket.number}/reopen/", {"message": "x"})
    assert response.status_code == 400
    assert "Only a solved ticket can be reopened." in response.content.decode()


def test_closed_ticket_reply_is_refused_with_a_friendly_message(customer_client, ticket, agent):
    agent_reply(ticket, agent, status=Ticket.Status.CLOSED)
    html = page(customer_client, ticket).content.decode()
    assert "Open a follow-up request" in html and f"follow_up={ticket.number}" in html
    response = customer_client.post(f"/portal/tickets/{ticket.number}/", {"message": "One more thing"})
    assert response.status_code == 400
    assert "This ticket is closed" in response.content.decode()
    assert not ticket.events.filter(body_text="One more thing").exists()


def test_only_customer_visible_custom_fields_are_shown(customer_client, contact):
    CustomFieldFactory(key="order", label="Order number", type=CustomFieldDefinition.Type.INTEGER,
                       customer_visible=True)
    CustomFieldFactory(key="churn_risk", label="Churn risk", customer_visible=False)
    ticket = make_ticket(requester=contact, custom_fields={"order": 77, "churn_risk": "high"})
    html = page(customer_client, ticket).content.decode()
    assert "Order number" in html and "77" in html
    assert "Churn risk" not in html


def test_ticket_page_needs_sign_in(client, ticket):
    response = page(client, ticket)
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]
