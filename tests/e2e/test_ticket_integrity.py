"""The ticket page and the queue in a real browser: the side form after a reply over fetch,
"Send by" in the composer, merge with a preview, and a refused bulk change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from heedful.mail.models import OutboundMessage
from heedful.tickets.models import Event, Ticket
from tests.e2e.helpers import mark_page, sign_in, still_same_page
from tests.factories import agent_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def reply_pending(page: Page, text: str) -> None:
    """Send a public reply with "Submit as: Pending" through the composer (fetch, no reload)."""
    mark_page(page)
    page.locator("#composer-body").fill(text)
    page.locator("#composer-status").select_option("pending")
    page.get_by_role("button", name=re.compile("send reply", re.I)).click()
    page.locator("[data-timeline]").get_by_text(text).wait_for()
    expect(page.locator("[data-status-pill]")).to_have_text("Pending")
    assert still_same_page(page), "the reply should go over fetch, without a page load"


def save_side_form(page: Page) -> None:
    with page.expect_navigation():
        page.locator("[data-side-form]").get_by_role("button", name="Save changes").click()


def test_side_form_shows_pending_after_fetch_reply_and_saving_priority_keeps_it(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    ticket = make_ticket(subject="Refund not received", assignee=agent.user)  # open
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    reply_pending(page, "We have asked the bank; we will write again when they answer.")
    expect(page.locator("#side-status")).to_have_value("pending")
    assert still_same_page(page)

    page.locator("#side-priority").select_option("high")
    save_side_form(page)
    page.reload()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.PENDING, Ticket.Priority.HIGH)
    expect(page.locator("[data-status-pill]")).to_have_text("Pending")
    expect(page.locator("#side-status")).to_have_value("pending")
    expect(page.locator("#side-priority")).to_have_value("high")


def test_side_form_edited_before_fetch_reply_saves_only_the_priority_not_the_old_status(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    ticket = make_ticket(subject="Refund not received", assignee=agent.user)  # open
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    expect(page.locator("#side-status")).to_have_value("open")

    # Touched first, so the page keeps the agent's form (with the status it showed) as it is.
    page.locator("#side-priority").select_option("urgent")
    reply_pending(page, "Thanks for waiting, we are checking the transfer.")
    expect(page.locator("#side-status")).to_have_value("open")

    save_side_form(page)
    page.reload()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.PENDING, Ticket.Priority.URGENT)
    expect(page.locator("[data-status-pill]")).to_have_text("Pending")


def test_reply_on_phone_ticket_preselects_email_and_goes_out_by_email(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    carol = make_contact(name="Carol Customer", email="carol@example.org")
    ticket = make_ticket(requester=carol, channel="phone", subject="Called about her order",
                         body="Carol phoned: the parcel has not arrived.")
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    send_by = page.locator("#composer-channel")
    expect(page.get_by_label("Send by")).to_be_visible()
    expect(send_by).to_have_value("email")
    expect(send_by.locator("option:checked")).to_have_text("E-mail")

    page.locator("#composer-body").fill("As promised on the phone: the parcel left today.")
    page.get_by_role("button", name=re.compile("send reply", re.I)).click()
    sent = page.locator("[data-timeline] article").filter(has_text="the parcel left today")
    expect(sent.locator("[data-delivery]")).to_have_text("sent by E-mail")

    reply = Event.objects.get(ticket=ticket, kind=Event.Kind.MESSAGE_OUT)
    assert reply.delivery_channel == "email"
    assert OutboundMessage.objects.get(event=reply).recipients == ["carol@example.org"]


def test_merge_shows_what_moves_and_merges_only_after_confirmation(
        live_server: LiveServer, page: Page) -> None:
    agent = make_agent(name="Alice Agent")
    carol = make_contact(name="Carol Customer")
    source = make_ticket(requester=carol, subject="Login fails again", body="Still no login.")
    agent_reply(source, agent, body="Which browser do you use?")
    target = make_ticket(requester=carol, subject="Cannot log in", body="The login page hangs.")
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/{source.number}/")

    page.get_by_label("Merge this ticket into ticket number").fill(str(target.number))
    page.locator(".merge-form").get_by_role("button", name="Merge").click()
    preview = page.locator("[data-merge-preview]")
    expect(preview.get_by_role("heading", level=1)).to_have_text(
        f"Merge #{source.number} into #{target.number}?")
    expect(preview.locator("[data-merge-messages]")).to_contain_text(
        f"2 messages of #{source.number} will show on the timeline of #{target.number}")
    expect(preview.locator("[data-merge-closes]")).to_contain_text("closed as a duplicate")
    source.refresh_from_db()
    assert source.merged_into_id is None and source.status != Ticket.Status.CLOSED

    preview.get_by_role("button", name=f"Merge into #{target.number}").click()
    page.wait_for_url(re.compile(rf"/tickets/{target.number}/$"))
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    timeline = page.locator("[data-timeline]")
    expect(timeline).to_contain_text("Which browser do you use?")
    expect(timeline).to_contain_text("The login page hangs.")


def test_bulk_transfer_without_reason_keeps_tickets_checked_and_change_chosen(
        live_server: LiveServer, page: Page) -> None:
    alice = make_agent(name="Alice Agent")
    bob = make_agent(name="Bob Agent")
    chosen = [make_ticket(subject=f"Chosen ticket {n}", assignee=alice.user) for n in (1, 2)]
    other = make_ticket(subject="Left alone", assignee=alice.user)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/?queue=all")

    for ticket in chosen:
        page.locator(f"#sel-{ticket.pk}").check()
    page.locator("#b-assignee").select_option(str(bob.user_id))
    expect(page.locator("#b-reason")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to selected").click()

    expect(page.get_by_role("alert")).to_contain_text("Say why the ticket moves")
    for ticket in chosen:
        expect(page.locator(f"#sel-{ticket.pk}")).to_be_checked()
    expect(page.locator(f"#sel-{other.pk}")).not_to_be_checked()
    expect(page.locator("#b-assignee")).to_have_value(str(bob.user_id))
    expect(page.locator("#b-reason")).to_be_visible()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {alice.user_id}

    page.locator("#b-reason").fill("Bob looks after refunds")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to selected").click()
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[t.pk for t in chosen])} == {bob.user_id}
    assert Ticket.objects.get(pk=other.pk).assignee_id == alice.user_id
