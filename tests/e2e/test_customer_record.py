"""The customer record in a real browser: the contact page reached from a ticket, a ticket an
agent opens for a caller, and the settings pages a supervisor keeps."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from heedful.mail.models import OutboundMessage
from heedful.people.models import Agent, ContactIdentity
from heedful.tickets.models import Event, SavedReply, Ticket
from tests.e2e.helpers import sign_in
from tests.factories import customer_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_contact_page_from_ticket_shows_every_ticket_pages_to_oldest_and_adds_identity(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    carol = make_contact(name="Carol Customer", email="carol@example.org")
    oldest = make_ticket(requester=carol, subject="First order", body="Where is my first order?")
    billing = make_ticket(requester=carol, subject="Billing address", body="Please fix my address.")
    latest = make_ticket(requester=carol, subject="Broken lid", body="The lid arrived broken.")
    for n in range(16):  # more than one timeline page (30 events)
        customer_reply(billing, body=f"Billing detail {n}.")
        customer_reply(latest, body=f"Photo {n} of the lid.")
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/{latest.number}/")

    page.locator("[data-contact-link]").click()
    page.wait_for_url(re.compile(rf"/contacts/{carol.pk}/$"))
    timeline = page.locator("[data-contact-timeline]")
    expect(timeline).to_contain_text(f"#{latest.number} Broken lid")
    expect(timeline).to_contain_text(f"#{billing.number} Billing address")
    assert "Where is my first order?" not in timeline.inner_text()

    for _page in range(5):
        earlier = page.locator("[data-earlier]")
        if not earlier.count():
            break
        with page.expect_navigation():
            earlier.click()
    expect(page.locator("[data-earlier]")).to_have_count(0)
    last = page.locator("[data-contact-timeline] > li").last
    expect(last).to_contain_text(f"#{oldest.number} First order")
    expect(last).to_contain_text("Where is my first order?")

    identities = page.locator("#identities")
    identities.get_by_text("Add an address, number or handle").click()
    identities.get_by_label("Kind").select_option(ContactIdentity.Kind.EMAIL)
    identities.get_by_label("Address, number or handle").fill("carol.work@example.net")
    with page.expect_navigation():
        identities.get_by_role("button", name="Add", exact=True).click()
    added = page.locator("#identities li").filter(has_text="carol.work@example.net")
    expect(added).to_have_count(1)
    expect(added.get_by_text("verified")).to_have_count(0)
    assert not carol.identities.get(value="carol.work@example.net").verified


def test_agent_opens_phone_ticket_for_existing_contact_in_customers_words_sending_no_mail(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    carol = make_contact(name="Carol Customer", email="carol@example.org")
    make_contact(name="Dave Other", email="dave@example.org")
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/?queue=all")

    page.locator("[data-nav-new-ticket]").click()
    page.wait_for_url(re.compile(r"/tickets/new/"))
    page.get_by_label("Find the customer by name, e-mail or phone").fill("Carol")
    page.get_by_role("button", name="Search").click()
    candidates = page.locator("[data-candidates]")
    expect(candidates).not_to_contain_text("Dave Other")
    candidates.get_by_role("link", name=re.compile("Carol Customer")).click()
    expect(page.locator(f"[data-chosen-contact='{carol.pk}']")).to_be_visible()

    form = page.locator("[data-new-ticket-form]")
    form.get_by_label("Came in by").select_option("phone")
    form.get_by_label("Subject").fill("Heating stopped working")
    form.get_by_label("The customer's words, written down for them").check()
    form.get_by_label("Message", exact=True).fill("Carol called: the heating stopped last night.")
    with page.expect_navigation():
        form.get_by_role("button", name="Open ticket").click()

    ticket = Ticket.objects.get(subject="Heating stopped working")
    assert page.url.endswith(f"/tickets/{ticket.number}/")
    assert (ticket.requester_id, ticket.channel) == (carol.pk, "phone")
    message = page.locator("[data-timeline] article").filter(has_text="the heating stopped")
    expect(message.locator(".message-author")).to_have_text("Carol Customer")
    expect(message.locator(".chip-in")).to_have_text("Customer")
    first = Event.objects.get(ticket=ticket)
    assert (first.kind, first.author_contact_id) == (Event.Kind.MESSAGE_IN, carol.pk)
    assert not OutboundMessage.objects.exists()


def test_supervisor_creates_shared_saved_reply_from_settings_in_navigation(
        live_server: LiveServer, page: Page) -> None:
    supervisor = make_agent(name="Sam Supervisor", role=Agent.Role.SUPERVISOR)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/?queue=all")

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Shared saved replies").first.click()
    page.get_by_role("link", name="New saved reply").click()
    page.get_by_label("Title").fill("Parcel delayed")
    page.get_by_label("Text").fill("Hello {{ customer.first_name }}, your parcel is on its way.")
    page.get_by_label("Available to").select_option(label="Everyone")
    page.get_by_label("Then set status").select_option("pending")
    with page.expect_navigation():
        page.get_by_role("button", name="Add saved reply").click()

    assert page.url.endswith("/settings/shared-replies/")
    expect(page.locator(".settings-table")).to_contain_text("Parcel delayed")
    reply = SavedReply.objects.get(title="Parcel delayed")
    assert (reply.owner_id, reply.team_id, reply.set_status) == (None, None, "pending")


def test_ordinary_agent_sees_no_shared_settings_and_gets_403_page_for_their_url(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/settings/")

    cards = page.locator(".settings-cards")
    expect(cards).to_contain_text("My saved replies")
    for shared in ("Shared saved replies", "Custom fields", "Teams", "Mailboxes", "Contact options"):
        expect(cards).not_to_contain_text(shared)

    response = page.goto(f"{live_server.url}/settings/shared-replies/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This page is not available to you")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the queues").first).to_be_visible()
