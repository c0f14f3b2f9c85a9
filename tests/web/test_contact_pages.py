"""The customer record in the agent UI: one page per contact with profile, identities,
organization and one timeline of every ticket and message; editing through actions; merge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.people.actions import add_identity
from heedful.people.models import Contact, ContactIdentity
from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.models import Channel, Event, Ticket
from tests.factories import (
    OrganizationFactory,
    TeamFactory,
    agent_reply,
    customer_reply,
    make_agent,
    make_contact,
    make_ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Agents are made with passwords that these tests never check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(client: Any, contact: Contact, **params: Any) -> Any:
    return client.get(f"/contacts/{contact.pk}/", params)


def test_contact_page_shows_profile_identities_and_organization(agent_client, contact):
    org = OrganizationFactory(name="Acme Rockets")
    Contact.objects.filter(pk=contact.pk).update(
        organization=org, plan="Pro", tier="Gold", lifetime_value=Decimal("1234.50"), currency="EUR",
        expertise="expert", language="lo", timezone="Asia/Vientiane", expectations="Call mornings",
        vip=True)
    add_identity(contact=contact, kind=ContactIdentity.Kind.PHONE, value="+856 20 5555 1234")

    response = page(agent_client, contact)

    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Acme Rockets", "Pro", "Gold", "1,234.50 EUR", "Expert", "lo", "Asia/Vientiane",
                 "Call mornings", "VIP", "carol@example.org", "+856 20 5555 1234"):
        assert text in html, text
    assert f'href="/organizations/{org.pk}/"' in html
    assert f'href="/tickets/new/?contact={contact.pk}"' in html


def test_timeline_holds_every_ticket_and_channel_newest_first(agent_client, agent, contact):
    mail = make_ticket(requester=contact, channel=Channel.EMAIL, body="Mail words")
    phone = make_ticket(requester=contact, channel=Channel.PHONE, body="Phone words")
    agent_reply(mail, agent, body="Our answer")
    copied = make_ticket(requester=make_contact(), cc=[contact], body="Copied words")

    events = page(agent_client, contact).context["timeline"].items

    assert {e.ticket_id for e in events} == {mail.pk, phone.pk, copied.pk}
    keys = [(e.created_at, e.pk) for e in events]
    assert keys == sorted(keys, reverse=True)


def test_earlier_links_reach_the_oldest_event(agent_client, contact):
    ticket = make_ticket(requester=contact, body="The very first words")
    for n in range(70):
        customer_reply(ticket, body=f"message {n}")
    seen: list[int] = []
    cursor = None
    for _page in range(10):
        response = page(agent_client, contact, **({"cursor": cursor} if cursor else {}))
        timeline = response.context["timeline"]
        seen += [e.pk for e in timeline.items]
        cursor = timeline.next_cursor
        if cursor is None:
            break
        assert 'data-earlier' in response.content.decode()
    assert len(seen) == len(set(seen)) == Event.objects.filter(ticket=ticket).count()
    assert Event.objects.get(pk=seen[-1]).body_text == "The very first words"


def test_bad_cursor_is_a_clear_error_not_a_500(agent_client, contact):
    response = page(agent_client, contact, cursor="garbage")
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()


def test_messages_only_leaves_out_status_changes(agent_client, agent, contact):
    ticket = make_ticket(requester=contact)
    agent_reply(ticket, agent, status=Ticket.Status.SOLVED)
    kinds = {e.kind for e in page(agent_client, contact, show="messages").context["timeline"].items}
    assert kinds == {"message_in", "message_out"}


@pytest.mark.parametrize("tickets", [2, 12])
def test_contact_page_query_count_is_flat(agent_client, agent, contact, tickets,
                                          django_assert_max_num_queries):
    add_identity(contact=contact, kind=ContactIdentity.Kind.PHONE, value="+15550100")
    for n in range(tickets):
        ticket = make_ticket(requester=contact, team=TeamFactory(), body=f"ticket {n}")
        agent_reply(ticket, make_agent(), body=f"reply {n}")
    with django_assert_max_num_queries(16):
        response = page(agent_client, contact)
    assert len(response.context["timeline"].items) >= min(2 * tickets, 30)


def test_editing_the_profile_writes_what_changed_and_is_audited(agent_client, agent, contact):
    org = OrganizationFactory(name="Globex")
    response = agent_client.post(f"/contacts/{contact.pk}/edit/", {
        "name": "Carol C. Customer", "organization": "globex", "plan": "Enterprise", "tier": "",
        "lifetime_value": "99.90", "currency": "eur", "expertise": "novice", "language": "bn",
        "timezone": "Asia/Dhaka", "expectations": "", "vip": "on"})

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.organization, contact.plan, contact.lifetime_value, contact.currency,
            contact.vip) == ("Carol C. Customer", org, "Enterprise", Decimal("99.90"), "EUR", True)
    entry = AuditLogEntry.objects.get(action="contact.change", target_id=str(contact.pk))
    assert entry.actor == agent.user
    assert entry.details["changes"]["plan"] == ["", "Enterprise"]
    assert "tier" not in entry.details["changes"]


def _profile(contact: Contact, **changes: Any) -> dict[str, Any]:
    values = {"name": contact.name, "organization": "", "plan": contact.plan, "tier": contact.tier,
              "lifetime_value": str(contact.lifetime_value), "currency": contact.currency,
              "expertise": contact.expertise, "language": contact.language,
              "timezone": contact.timezone, "expectations": contact.expectations}
    return {**values, **changes}


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus"), ("currency", "E1"), ("lifetime_value", "lots"),
    ("organization", "Nobody Inc"), ("expertise", "wizard"),
])
def test_bad_profile_values_are_form_errors(agent_client, contact, field, value):
    response = agent_client.post(f"/contacts/{contact.pk}/edit/", _profile(contact, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors.get(field)
    assert not AuditLogEntry.objects.filter(action="contact.change").exists()


def test_agent_cannot_name_an_organization_manager(agent_client, contact):
    agent_client.post(f"/contacts/{contact.pk}/edit/", _profile(contact, is_organization_manager="on"))
    contact.refresh_from_db()
    assert not contact.is_organization_manager


def test_supervisor_can_name_an_organization_manager(client, supervisor, contact):
    client.force_login(supervisor.user)
    client.post(f"/contacts/{contact.pk}/edit/", _profile(contact, is_organization_manager="on"))
    contact.refresh_from_db()
    assert contact.is_organization_manager


def test_restricted_agent_cannot_change_a_contact_of_other_teams(client, contact):
    team = TeamFactory()
    make_ticket(requester=contact, team=TeamFactory(), body="Not yours")
    restricted = make_agent(teams=[team], restricted=True)
    client.force_login(restricted.user)

    assert client.post(f"/contacts/{contact.pk}/edit/", _profile(contact, plan="Hacked")).status_code == 403
    assert client.post(f"/contacts/{contact.pk}/identities/",
                       {"kind": "phone", "value": "+15550199"}).status_code == 403
    response = page(client, contact)
    assert response.context["timeline"].items == []
    assert "data-contact-form" not in response.content.decode()
    contact.refresh_from_db()
    assert contact.plan == ""


def test_unknown_contact_is_404(agent_client):
    assert agent_client.get("/contacts/999999/").status_code == 404
    assert agent_client.post("/contacts/999999/edit/", {}).status_code == 404


def test_identity_added_by_staff_is_not_verified_and_is_audited(agent_client, agent, contact):
    response = agent_client.post(f"/contacts/{contact.pk}/identities/",
                                 {"kind": "phone", "value": "+44 20 7946 0958", "verified": "on"})
    assert response.status_code == 302
    identity = ContactIdentity.objects.get(contact=contact, kind="phone")
    assert identity.normalized == "+442079460958"
    assert identity.verified is False
    assert AuditLogEntry.objects.filter(action="contact.identity.add", actor=agent.user).exists()


def test_identity_of_someone_else_is_refused_on_the_form(agent_client, contact):
    make_contact(email="taken@example.org")
    response = agent_client.post(f"/contacts/{contact.pk}/identities/",
                                 {"kind": "email", "value": "TAKEN@example.org"})
    assert response.status_code == 409
    assert "Another contact already has" in response.content.decode()


def test_invalid_identity_is_a_form_error(agent_client, contact):
    response = agent_client.post(f"/contacts/{contact.pk}/identities/", {"kind": "email", "value": "nope"})
    assert response.status_code == 400
    assert response.context["identity_form"].errors["value"]


def test_identity_is_removed_and_audited_but_the_last_one_stays(agent_client, agent, contact):
    phone = add_identity(contact=contact, kind=ContactIdentity.Kind.PHONE, value="+15550123")
    email = contact.identities.get(kind="email")

    assert agent_client.post(f"/contacts/{contact.pk}/identities/{phone.pk}/remove/").status_code == 302
    assert agent_client.post(f"/contacts/{contact.pk}/identities/{email.pk}/remove/").status_code == 409

    assert list(contact.identities.values_list("kind", flat=True)) == ["email"]
    assert AuditLogEntry.objects.filter(action="contact.identity.remove").count() == 1


def test_identity_of_another_contact_cannot_be_removed_through_this_one(agent_client, contact):
    other = make_contact()
    identity = other.identities.get()
    assert agent_client.post(f"/contacts/{contact.pk}/identities/{identity.pk}/remove/").status_code == 404


def test_contact_list_finds_by_name_and_by_identity(agent_client, contact):
    make_contact(name="Somebody Else", email="else@example.org")
    add_identity(contact=contact, kind=ContactIdentity.Kind.PHONE, value="+1 555 0142")

    by_name = agent_client.get("/contacts/", {"q": "carol"}).context["page"].items
    by_phone = agent_client.get("/contacts/", {"q": "5550142"}).context["page"].items
    by_mail = agent_client.get("/contacts/", {"q": "else@"}).context["page"].items

    assert [c.pk for c in by_name] == [contact.pk]
    assert [c.pk for c in by_phone] == [contact.pk]
    assert [c.name for c in by_mail] == ["Somebody Else"]


def test_contact_list_pages_and_costs_the_same(agent_client, django_assert_max_num_queries):
    for n in range(60):
        make_contact(name=f"Person {n:02d}")
    with django_assert_max_num_queries(10):
        first = agent_client.get("/contacts/")
    second = agent_client.get("/contacts/", {"cursor": first.context["page"].next_cursor})
    names = [c.name for c in first.context["page"].items + second.context["page"].items]
    assert len(names) == len(set(names)) == 60
    assert second.context["page"].next_cursor is None



def test_merged_contact_page_points_to_the_live_contact(agent_client, supervisor, contact):
    old = make_contact(name="Old Address")
    ticket = make_ticket(requester=old, body="Written long ago")
    merge_contacts(source=old, target=contact, actor=supervisor.user)

    old_page = page(agent_client, old).content.decode()
    assert "data-merged-notice" in old_page and f'href="/contacts/{contact.pk}/"' in old_page

    live_page = page(agent_client, contact)
    html = live_page.content.decode()
    assert ticket.pk in {e.ticket_id for e in live_page.context["timeline"].items}
    # The message keeps its author; it is shown as the contact it became, with a hint.
    assert "Written long ago" in html and "merged contact" in html
    assert "Old Address" in html  # "Merged into this contact:" and the hint


def test_ticket_page_links_to_the_customer_page(agent_client, contact):
    ticket = make_ticket(requester=contact)
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'href="/contacts/{contact.pk}/" data-whole-history' in html
    assert 'data-contact-link' in html


def test_merge_preview_shows_what_moves_and_changes_nothing(client, supervisor, contact):
    client.force_login(supervisor.user)
    duplicate = make_contact(name="C. Customer", plan="Pro")
    moving = make_ticket(requester=duplicate, subject="Old problem")

    response = client.get(f"/contacts/{duplicate.pk}/merge/", {"target": contact.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-confirm-merge" in html and "Old problem" in html and "Pro" in html
    assert Ticket.objects.get(pk=moving.pk).requester == duplicate
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None


def test_merge_is_done_on_confirmation(client, supervisor, contact):
    client.force_login(supervisor.user)
    duplicate = make_contact(name="C. Customer")
    moving = make_ticket(requester=duplicate)

    response = client.post(f"/contacts/{duplicate.pk}/merge/", {"target": contact.pk, "confirm": "1"})

    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    assert Ticket.objects.get(pk=moving.pk).requester == contact
    duplicate.refresh_from_db()
    assert duplicate.merged_into == contact


def test_merge_search_lists_candidates(client, supervisor, contact):
    client.force_login(supervisor.user)
    duplicate = make_contact(name="Carol Work")
    response = client.get(f"/contacts/{duplicate.pk}/merge/", {"q": "carol"})
    assert [c.pk for c in response.context["candidates"]] == [contact.pk]


def test_merge_into_a_merged_contact_is_shown_as_going_to_the_live_one(client, supervisor, contact):
    client.force_login(supervisor.user)
    middle, duplicate = make_contact(), make_contact()
    merge_contacts(source=middle, target=contact, actor=supervisor.user)

    response = client.get(f"/contacts/{duplicate.pk}/merge/", {"target": middle.pk})

    assert response.context["plan"].target == contact
    assert "data-merge-redirected" in response.content.decode()


def test_agent_without_the_merge_permission_is_refused(agent_client, contact):
    duplicate = make_contact()
    assert agent_client.get(f"/contacts/{duplicate.pk}/merge/").status_code == 403
    response = agent_client.post(f"/contacts/{duplicate.pk}/merge/", {"target": contact.pk, "confirm": "1"})
    assert response.status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert "Merge into another contact" not in page(agent_client, duplicate).content.decode()


def test_merge_with_a_bad_target_is_a_clear_error(client, supervisor, contact):
    client.force_login(supervisor.user)
    assert client.get(f"/contacts/{contact.pk}/merge/", {"target": contact.pk}).status_code == 400
    assert client.get(f"/contacts/{contact.pk}/merge/", {"target": "x"}).status_code == 400
    assert client.get(f"/contacts/{contact.pk}/merge/", {"target": "999999"}).status_code == 400


def test_ticket_page_shows_a_merged_author_as_the_contact_they_became(
        agent_client, supervisor, contact, django_assert_max_num_queries):
    old = make_contact(name="Old Name")
    ticket = make_ticket(requester=old, body="From before the merge")
    for n in range(5):
        customer_reply(ticket, contact=old, body=f"more {n}")
    merge_contacts(source=old, target=contact, actor=supervisor.user)

    # What any ticket page costs (with site settings created on first use): no read per author.
    with django_assert_max_num_queries(23):
        html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()

    author = html.split('class="message-author"', 1)[1].split("</span>", 2)[0]
    assert "Carol Customer" in author and "merged contact" in author
    assert Event.objects.filter(ticket=ticket, author_contact=old).count() == 6  # history unchanged


def test_portal_shows_the_customers_own_old_messages_under_their_name(client, supervisor, contact):
    from tests.portal.conftest import signed_in

    old = make_contact(name="Old Name")
    ticket = make_ticket(requester=old, body="From before the merge")
    merge_contacts(source=old, target=contact, actor=supervisor.user)

    html = signed_in(client, contact).get(f"/portal/tickets/{ticket.number}/").content.decode()

    assert "From before the merge" in html
    assert "Carol Customer" in html and "Old Name" not in html


def test_ticket_moved_by_a_merge_says_why_in_words(agent_client, supervisor, contact):
    old = make_contact()
    ticket = make_ticket(requester=old)
    merge_contacts(source=old, target=contact, actor=supervisor.user)
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "changed the requester" in html
    assert "two records of this customer were merged into one" in html
