"""Agents open tickets in the agent UI for a phone call, a visit or a letter."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from heedful.mail.models import OutboundMessage
from heedful.people.models import Contact, ContactIdentity
from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.models import Channel, Event, Ticket
from tests.factories import CustomFieldFactory, TeamFactory, make_agent, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def form(**values: Any) -> dict[str, Any]:
    return {"channel": Channel.PHONE, "subject": "Card declined", "mode": "customer",
            "body": "Customer called: their card is declined at checkout.", "priority": "normal",
            "team": "", "assignee": "", "tags": "", **values}


def opened(response: Any) -> Ticket:
    assert response.status_code == 302, response.content.decode()[:2000]
    return Ticket.objects.get(number=int(response["Location"].strip("/").rsplit("/", 1)[-1]))


def test_the_top_bar_and_the_contact_page_offer_a_new_ticket(agent_client, contact):
    assert 'href="/tickets/new/" data-nav-new-ticket' in agent_client.get("/").content.decode()
    html = agent_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f'href="/tickets/new/?contact={contact.pk}"' in html


def test_the_form_comes_with_the_chosen_customer(agent_client, contact):
    response = agent_client.get("/tickets/new/", {"contact": contact.pk})
    assert response.status_code == 200
    assert response.context["contact"] == contact
    assert f'data-chosen-contact="{contact.pk}"' in response.content.decode()


def test_searching_lists_customers_by_name_email_or_phone(agent_client, contact):
    make_contact(name="Someone Else")
    by_mail = agent_client.get("/tickets/new/", {"q": "carol@"}).context["candidates"]
    assert [c.pk for c in by_mail] == [contact.pk]


def test_customer_words_written_down_by_an_agent(agent_client, agent, contact):
    ticket = opened(agent_client.post("/tickets/new/", form(contact=contact.pk)))

    first = ticket.events.get()
    assert (ticket.requester, ticket.channel, ticket.status) == (contact, "phone", "new")
    assert (first.kind, first.public, first.author_contact, first.channel) == (
        "message_in", True, contact, "phone")
    assert first.author_user is None
    assert first.data == {"entered_by": agent.user.pk}
    assert ticket.last_customer_message_at is not None


def test_internal_note_as_the_first_message_is_never_sent(agent_client, agent, contact):
    ticket = opened(agent_client.post("/tickets/new/", form(contact=contact.pk, mode="note",
                                                             channel=Channel.EMAIL)))

    first = ticket.events.get()
    assert (first.kind, first.public, first.author_user) == ("note", False, agent.user)
    assert not OutboundMessage.objects.exists()


def test_new_customer_is_created_with_one_unverified_identity(agent_client):
    ticket = opened(agent_client.post("/tickets/new/", form(
        contact_name="Walk-in Wanda", identity_kind="phone", identity_value="+1 555 0199",
        channel=Channel.AGENT)))

    wanda = ticket.requester
    assert wanda.name == "Walk-in Wanda"
    assert [(i.kind, i.normalized, i.verified) for i in wanda.identities.all()] == [
        ("phone", "+15550199", False)]
    assert ticket.channel == "agent"


def test_an_address_someone_has_offers_that_customer_instead(agent_client, contact):
    response = agent_client.post("/tickets/new/", form(
        contact_name="Carol again", identity_kind="email", identity_value="CAROL@example.org"))

    assert response.status_code == 409
    assert f'href="/tickets/new/?contact={contact.pk}" data-choose-existing' in response.content.decode()
    assert not Ticket.objects.exists()
    assert Contact.objects.count() == 1


def test_a_failed_ticket_leaves_no_new_customer_behind(agent_client):
    response = agent_client.post("/tickets/new/", form(
        contact_name="Nobody", identity_kind="email", identity_value="nobody@example.org",
        priority="whenever"))
    assert response.status_code == 400
    assert not ContactIdentity.objects.filter(normalized="nobody@example.org").exists()


def test_without_a_customer_the_form_says_what_is_missing(agent_client):
    response = agent_client.post("/tickets/new/", form())
    assert response.status_code == 400
    assert response.context["form"].errors["identity_value"]
    assert not Ticket.objects.exists()


def test_a_bad_identity_is_shown_beside_its_field(agent_client):
    response = agent_client.post("/tickets/new/", form(identity_kind="email", identity_value="not-mail"))
    assert response.status_code == 400
    assert response.context["form"].errors["identity_value"]


def test_team_assignee_priority_tags_and_attachments_are_applied(agent_client, agent, contact):
    team = TeamFactory(name="Billing")
    colleague = make_agent(name="Bea")
    upload = SimpleUploadedFile("letter.txt", b"Dear support", content_type="text/plain")

    ticket = opened(agent_client.post("/tickets/new/", {
        **form(contact=contact.pk, team=str(team.pk), assignee=str(colleague.user_id),
               priority="high", tags="card, Billing"), "attachments": upload}))

    assert (ticket.team, ticket.assignee, ticket.priority, ticket.status) == (
        team, colleague.user, "high", "open")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "card"]
    assert [a.filename for a in ticket.attachments.all()] == ["letter.txt"]


def test_an_unknown_team_is_a_form_error(agent_client, contact):
    response = agent_client.post("/tickets/new/", form(contact=contact.pk, team="999999"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_required_custom_field_is_asked_for(agent_client, contact):
    CustomFieldFactory(key="order", label="Order number", required=True)
    missing = agent_client.post("/tickets/new/", {**form(contact=contact.pk), "custom_fields_present": "1"})
    assert missing.status_code == 400
    ticket = opened(agent_client.post("/tickets/new/", {
        **form(contact=contact.pk), "custom_fields_present": "1", "cf_order": "A-17"}))
    assert ticket.custom_fields == {"order": "A-17"}


def test_a_ticket_for_a_merged_customer_goes_to_the_one_they_became(agent_client, supervisor, contact):
    old = make_contact()
    merge_contacts(source=old, target=contact, actor=supervisor.user)
    ticket = opened(agent_client.post("/tickets/new/", form(contact=old.pk)))
    assert ticket.requester == contact


def test_a_customer_the_form_names_that_does_not_exist_is_refused(agent_client):
    response = agent_client.post("/tickets/new/", form(contact="999999"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_ticket_for_a_team_the_agent_cannot_see_lands_on_the_queue(client, contact):
    own, other = TeamFactory(), TeamFactory()
    restricted = make_agent(teams=[own], restricted=True)
    client.force_login(restricted.user)
    response = client.post("/tickets/new/", form(contact=contact.pk, team=str(other.pk)))
    assert response.status_code == 302 and response["Location"] == "/"
    assert Ticket.objects.get().team == other
    assert Event.objects.get().kind == "message_in"


@pytest.mark.parametrize("agents", [1, 15])
def test_the_form_costs_the_same_queries_however_many_agents(agent_client, contact, agents,
                                                              django_assert_max_num_queries):
    for _n in range(agents):
        make_agent()
    with django_assert_max_num_queries(13):
        agent_client.get("/tickets/new/", {"contact": contact.pk})
