"""Organization pages: details (editable, audited), contacts and tickets, each paginated."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.core.models import AuditLogEntry
from heedful.people.models import Organization
from tests.factories import OrganizationFactory, TeamFactory, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme(db: None) -> Organization:
    return OrganizationFactory(name="Acme Rockets", domains=["acme.test"], notes="Pays yearly")


def test_organization_page_lists_its_contacts_and_tickets(agent_client, acme):
    member = make_contact(email="wile@acme.test", name="Wile E.")
    ticket = make_ticket(requester=member, subject="Rocket skates broke")
    make_ticket(requester=make_contact(), subject="Someone else's")

    response = agent_client.get(f"/organizations/{acme.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert [c.pk for c in response.context["contacts"].items] == [member.pk]
    assert [t.pk for t in response.context["tickets"].items] == [ticket.pk]
    assert "Rocket skates broke" in html and "Someone else" not in html
    assert "acme.test" in html and "Pays yearly" in html


def test_contacts_and_tickets_page_separately_to_the_last(agent_client, acme):
    people = [make_contact(email=f"p{n}@acme.test", name=f"Person {n:02d}") for n in range(30)]
    for person in people[:28]:
        make_ticket(requester=person)

    first = agent_client.get(f"/organizations/{acme.pk}/")
    contacts_next = first.context["contacts"].next_cursor
    tickets_next = first.context["tickets"].next_cursor
    more_contacts = agent_client.get(f"/organizations/{acme.pk}/", {"contacts": contacts_next})
    more_tickets = agent_client.get(f"/organizations/{acme.pk}/", {"tickets": tickets_next})

    contact_ids = [c.pk for c in first.context["contacts"].items + more_contacts.context["contacts"].items]
    ticket_ids = [t.pk for t in first.context["tickets"].items + more_tickets.context["tickets"].items]
    assert sorted(contact_ids) == sorted(p.pk for p in people)
    assert len(ticket_ids) == len(set(ticket_ids)) == 28
    assert more_contacts.context["contacts"].next_cursor is None
    assert more_tickets.context["tickets"].next_cursor is None


@pytest.mark.parametrize("members", [2, 20])
def test_organization_page_query_count_is_flat(agent_client, acme, members, django_assert_max_num_queries):
    for n in range(members):
        make_ticket(requester=make_contact(email=f"m{n}@acme.test"), team=TeamFactory())
    with django_assert_max_num_queries(14):
        response = agent_client.get(f"/organizations/{acme.pk}/")
    assert len(response.context["tickets"].items) == members


def test_restricted_agent_sees_only_the_tickets_of_their_teams(client, acme):
    team = TeamFactory()
    mine = make_ticket(requester=make_contact(email="a@acme.test"), team=team)
    make_ticket(requester=make_contact(email="b@acme.test"), team=TeamFactory())
    client.force_login(make_agent(teams=[team], restricted=True).user)

    response = client.get(f"/organizations/{acme.pk}/")

    assert [t.pk for t in response.context["tickets"].items] == [mine.pk]


def test_editing_an_organization_is_audited(agent_client, agent, acme):
    response = agent_client.post(f"/organizations/{acme.pk}/edit/", {
        "name": "Acme Rockets Ltd", "domains": "acme.test, @ACME.example", "notes": "Pays yearly",
        "managers_see_tickets": ""})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.domains, acme.managers_see_tickets) == (
        "Acme Rockets Ltd", ["acme.test", "acme.example"], False)
    entry = AuditLogEntry.objects.get(action="organization.change")
    assert entry.actor == agent.user and set(entry.details["changes"]) == {
        "name", "domains", "managers_see_tickets"}


def test_a_name_another_organization_has_is_a_form_error(agent_client, acme):
    OrganizationFactory(name="Globex")
    response = agent_client.post(f"/organizations/{acme.pk}/edit/", {"name": "globex", "domains": ""})
    assert response.status_code == 409
    assert response.context["form"].errors["name"]


def test_a_bad_domain_is_a_form_error(agent_client, acme):
    response = agent_client.post(f"/organizations/{acme.pk}/edit/",
                                 {"name": "Acme", "domains": "not a@domain"})
    assert response.status_code == 400
    acme.refresh_from_db()
    assert acme.name == "Acme Rockets"


def test_unknown_organization_is_404(agent_client):
    assert agent_client.get("/organizations/999999/").status_code == 404
    assert agent_client.post("/organizations/999999/edit/", {"name": "x"}).status_code == 404


def test_bad_page_link_is_a_clear_error(agent_client, acme):
    response = agent_client.get(f"/organizations/{acme.pk}/", {"contacts": "nonsense"})
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()


def test_organization_list_finds_by_name_and_domain(agent_client, acme):
    OrganizationFactory(name="Globex", domains=["globex.test"])
    by_name = agent_client.get("/organizations/", {"q": "rocket"}).context["organizations"]
    by_domain = agent_client.get("/organizations/", {"q": "globex.test"}).context["organizations"]
    assert [o.name for o in by_name] == ["Acme Rockets"]
    assert [o.name for o in by_domain] == ["Globex"]
