"""Contacts with identities, organizations, agents, teams and tags through the API."""

from __future__ import annotations

from typing import Any

from heedful.people.models import Contact, ContactMerge
from heedful.tickets.models import Ticket
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import OrganizationFactory, TeamFactory, make_agent, make_contact, make_ticket


def test_create_contact_with_identities(api: ApiClient) -> None:
    org = OrganizationFactory()
    response = api.post("/contacts", {
        "name": "Dana", "organization_id": org.pk, "plan": "pro", "lifetime_value": "1200.50",
        "timezone": "Asia/Vientiane", "language": "lo", "vip": True,
        "identities": [{"kind": "email", "value": "Dana@Example.org", "verified": True},
                       {"kind": "phone", "value": "+856 20 555 0101"}],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "Dana@Example.org"
    assert body["organization"] == org.pk
    assert body["lifetime_value"] == "1200.50"
    assert [(i["kind"], i["verified"]) for i in body["identities"]] == [("email", True), ("phone", False)]


def test_contact_with_an_identity_someone_has_is_409(api: ApiClient, contact: Any) -> None:
    body = {"name": "Copy", "identities": [{"kind": "email", "value": "carol@example.org"}]}
    assert_error(api.post("/contacts", body), 409, "duplicate_identity", "identities")


def test_contact_fields_are_validated(api: ApiClient) -> None:
    assert_error(api.post("/contacts", {"timezone": "Mars/Olympus"}), 400, field="timezone")
    assert_error(api.post("/contacts", {"currency": "euro"}), 400, field="currency")
    assert_error(api.post("/contacts", {"lifetime_value": "NaN"}), 400, field="lifetime_value")
    assert_error(api.post("/contacts", {"name": "x" * 201}), 400, field="name")
    assert_error(api.post("/contacts", {"organization_id": 999_999}), 400, field="organization_id")
    assert_error(api.post("/contacts", {"identities": [{"kind": "fax", "value": "1"}]}), 400,
                 field="identities.0.kind")
    assert_error(api.post("/contacts", {"identities": [{"kind": "email", "value": "nope"}]}), 400,
                 field="value")


def test_get_and_patch_contact(api: ApiClient, contact: Any) -> None:
    body = api.get(f"/contacts/{contact.pk}").json()
    assert body["identities"][0] == {"id": body["identities"][0]["id"], "kind": "email",
                                     "value": "carol@example.org", "verified": False}
    org = OrganizationFactory()
    patched = api.patch(f"/contacts/{contact.pk}", {"tier": "gold", "organization_id": org.pk}).json()
    assert (patched["tier"], patched["organization"], patched["name"]) == ("gold", org.pk, "Carol Customer")
    cleared = api.patch(f"/contacts/{contact.pk}", {"organization_id": None}).json()
    assert cleared["organization"] is None
    assert_error(api.patch(f"/contacts/{contact.pk}", {"vip": None}), 400, field="vip")
    assert_error(api.patch(f"/contacts/{contact.pk}", {"identities": []}), 400, "unknown_field", "identities")


def test_add_identity(api: ApiClient, contact: Any) -> None:
    response = api.post(f"/contacts/{contact.pk}/identities", {"kind": "social", "value": "@carol"})
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "social"
    assert len(api.get(f"/contacts/{contact.pk}").json()["identities"]) == 2
    other = make_contact(email="other@example.org")
    assert_error(api.post(f"/contacts/{other.pk}/identities", {"kind": "social", "value": "carol"}),
                 409, "duplicate_identity")


def test_merge_contacts_moves_identities_and_tickets(supervisor: Any, contact: Any) -> None:
    api = api_for(supervisor)
    duplicate = make_contact(email="carol.work@example.com", name="C. Customer")
    ticket = make_ticket(requester=duplicate)
    response = api.post(f"/contacts/{duplicate.pk}/merge", {"target_id": contact.pk})
    assert response.status_code == 200, response.content
    values = {i["value"] for i in response.json()["identities"]}
    assert values == {"carol@example.org", "carol.work@example.com"}
    assert Ticket.objects.get(pk=ticket.pk).requester_id == contact.pk
    assert api.get(f"/contacts/{duplicate.pk}").json()["merged_into"] == contact.pk
    assert ContactMerge.objects.filter(source=duplicate, target=contact).exists()
    assert_error(api.post(f"/contacts/{contact.pk}/merge", {"target_id": contact.pk}), 400, "invalid")
    assert_error(api.post(f"/contacts/{contact.pk}/merge", {"target_id": 999_999}), 400, field="target_id")


def test_merging_contacts_needs_a_supervisor(api: ApiClient, contact: Any) -> None:
    duplicate = make_contact()
    assert_error(api.post(f"/contacts/{duplicate.pk}/merge", {"target_id": contact.pk}), 403,
                 "permission_denied")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None


def test_naming_an_organization_manager_needs_a_supervisor(api: ApiClient, contact: Any) -> None:
    assert_error(api.patch(f"/contacts/{contact.pk}", {"is_organization_manager": True}), 403,
                 "permission_denied")
    assert api.patch(f"/contacts/{contact.pk}", {"plan": "Pro"}).status_code == 200


def test_contacts_list_pages_and_searches(api: ApiClient) -> None:
    made = [make_contact(name=f"Person {n}") for n in range(5)]
    seen: list[int] = []
    cursor = None
    for _page in range(3):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/contacts", params).json()
        seen += [c["id"] for c in body["results"]]
        cursor = body["next_cursor"]
    assert cursor is None
    assert seen == [c.pk for c in made]
    found = api.get("/contacts", {"q": made[2].primary_email}).json()["results"]
    assert [c["id"] for c in found] == [made[2].pk]
    assert [c["id"] for c in api.get("/contacts", {"q": "person 4"}).json()["results"]] == [made[4].pk]


def test_contacts_are_visible_to_restricted_agents(db: None, contact: Any) -> None:
    restricted = make_agent(teams=[TeamFactory()], restricted=True)
    assert api_for(restricted).get(f"/contacts/{contact.pk}").status_code == 200


def test_organizations_create_read_update(api: ApiClient) -> None:
    response = api.post("/organizations", {"name": "Acme", "domains": ["ACME.example", "@acme.test"]})
    assert response.status_code == 201, response.content
    org = response.json()
    assert org["domains"] == ["acme.example", "acme.test"]
    assert api.get(f"/organizations/{org['id']}").json()["name"] == "Acme"
    changes = {"notes": "Key account", "managers_see_tickets": False}
    patched = api.patch(f"/organizations/{org['id']}", changes)
    assert patched.json()["notes"] == "Key account"
    assert_error(api.post("/organizations", {"name": "acme"}), 409, "conflict", "name")
    assert_error(api.post("/organizations", {"name": "Beta", "domains": ["not a domain"]}), 400,
                 field="domains")
    assert_error(api.patch(f"/organizations/{org['id']}", {"name": None}), 400, field="name")
    [listed] = api.get("/organizations").json()["results"]
    assert listed["id"] == org["id"]


def test_new_contact_joins_organization_by_domain(api: ApiClient) -> None:
    org = api.post("/organizations", {"name": "Acme", "domains": ["acme.example"]}).json()
    ticket = api.post("/tickets", {"requester": {"email": "wile@acme.example"}, "subject": "s",
                                   "body": "b"}).json()
    assert ticket["organization"] == org["id"]
    assert Contact.objects.get(pk=ticket["requester"]["id"]).organization_id == org["id"]


def test_agents_teams_and_tags(api: ApiClient, agent: Any, contact: Any) -> None:
    team = TeamFactory(name="Billing")
    agent.teams.add(team)
    other = make_agent(role="supervisor")
    make_ticket(requester=contact, tags=["refund"])
    agents = api.get("/agents").json()["results"]
    assert [a["id"] for a in agents] == [agent.pk, other.pk]
    assert agents[0]["teams"] == [team.pk]
    assert api.get(f"/agents/{other.pk}").json()["role"] == "supervisor"
    assert api.get("/teams").json()["results"] == [{"id": team.pk, "name": "Billing", "description": ""}]
    assert [t["name"] for t in api.get("/tags").json()["results"]] == ["refund"]
    page = api.get("/agents", {"limit": 1}).json()
    assert page["next_cursor"]
    rest = api.get("/agents", {"cursor": page["next_cursor"]}).json()["results"]
    assert [a["id"] for a in rest] == [other.pk]


def test_openapi_document_lists_every_resource(api: ApiClient) -> None:
    document = api.client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    expected = {
        ("/api/v1/tickets", "get"), ("/api/v1/tickets", "post"), ("/api/v1/tickets/{id}", "get"),
        ("/api/v1/tickets/{id}", "patch"), ("/api/v1/tickets/{id}/events", "get"),
        ("/api/v1/tickets/{id}/events", "post"), ("/api/v1/tickets/{id}/merge", "post"),
        ("/api/v1/attachments/{id}", "get"), ("/api/v1/contacts", "get"), ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "get"), ("/api/v1/contacts/{id}", "patch"),
        ("/api/v1/contacts/{id}/identities", "post"), ("/api/v1/contacts/{id}/merge", "post"),
        ("/api/v1/organizations", "get"), ("/api/v1/organizations", "post"),
        ("/api/v1/organizations/{id}", "get"), ("/api/v1/organizations/{id}", "patch"),
        ("/api/v1/agents", "get"), ("/api/v1/agents/{id}", "get"), ("/api/v1/teams", "get"),
        ("/api/v1/tags", "get"),
    }
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert expected <= listed
    assert "bearer" in str(document["components"]["securitySchemes"]).lower()
