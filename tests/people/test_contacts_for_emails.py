"""contacts_for_emails: the contacts behind many (address, name) pairs, found or created with one
read and one insert, keyed by normalised address."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedful.people.actions import contacts_for_emails, email_key
from heedful.people.models import Contact, ContactIdentity
from tests.factories import OrganizationFactory, make_contact

pytestmark = pytest.mark.django_db


def test_email_key_lowercases_the_address_and_refuses_non_addresses():
    assert email_key("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert email_key("not an address") is None
    assert email_key("") is None


def test_existing_contacts_are_found_whatever_the_case_of_the_address():
    jane = make_contact(email="Jane.Doe@Example.COM")
    bob = make_contact(email="bob@example.org")
    before = Contact.objects.count()

    found = contacts_for_emails([("JANE.DOE@example.com", "Someone Else"), ("Bob@EXAMPLE.org", "")])

    assert found == {"jane.doe@example.com": jane, "bob@example.org": bob}
    assert Contact.objects.count() == before
    jane.refresh_from_db()
    assert jane.name != "Someone Else"  # finding a contact does not rename it


def test_missing_contacts_are_created_with_their_name_address_and_organization_from_the_domain():
    acme = OrganizationFactory(name="Acme", domains=["acme.test"])
    found = contacts_for_emails([("Wile.E@ACME.test", "  Wile E. Coyote "), ("road@runner.test", "")])

    wile, road = found["wile.e@acme.test"], found["road@runner.test"]
    assert wile.pk is not None and road.pk is not None and wile.pk != road.pk
    wile = Contact.objects.get(pk=wile.pk)
    assert wile.name == "Wile E. Coyote" and wile.organization == acme
    assert wile.primary_email == "Wile.E@ACME.test"
    identity = ContactIdentity.objects.get(contact=wile)
    assert identity.kind == ContactIdentity.Kind.EMAIL and identity.normalized == "wile.e@acme.test"
    road = Contact.objects.get(pk=road.pk)
    assert road.name == "" and road.organization is None


def test_found_and_created_contacts_come_back_together():
    jane = make_contact(email="jane@example.org")
    found = contacts_for_emails([("jane@example.org", ""), ("new@example.org", "New Person")])
    assert found["jane@example.org"] == jane
    assert found["new@example.org"].name == "New Person"
    assert Contact.objects.count() == 2


def test_strings_that_are_no_address_are_left_out():
    before = Contact.objects.count()
    found = contacts_for_emails([("not an address", "Nobody"), ("", ""), ("@example.org", ""),
                                 ("ok@example.org", "Okay")])
    assert list(found) == ["ok@example.org"]
    assert Contact.objects.count() == before + 1


def test_nothing_asked_reads_and_writes_nothing():
    with CaptureQueriesContext(connection) as captured:
        assert contacts_for_emails([]) == {}
        assert contacts_for_emails([("nope", "")]) == {}
    assert captured.captured_queries == []


def test_the_same_address_twice_creates_one_contact_named_by_whichever_pair_has_a_name():
    found = contacts_for_emails([("twice@example.org", ""), ("TWICE@example.org", "Tess Twice"),
                                 ("twice@EXAMPLE.ORG", "")])
    assert list(found) == ["twice@example.org"]
    assert Contact.objects.count() == 1
    assert ContactIdentity.objects.filter(normalized="twice@example.org").count() == 1
    assert Contact.objects.get().name == "Tess Twice"


def _queries(addresses: list[tuple[str, str]]) -> int:
    with CaptureQueriesContext(connection) as captured:
        found = contacts_for_emails(addresses)
    assert len(found) == len(addresses)
    return len(captured.captured_queries)


def test_creating_2_or_20_contacts_costs_the_same_number_of_queries():
    OrganizationFactory(domains=["acme.test"])
    two = _queries([(f"two{i}@acme.test", f"Two {i}") for i in range(2)])
    twenty = _queries([(f"twenty{i}@acme.test", f"Twenty {i}") for i in range(20)])
    assert two == twenty
    assert Contact.objects.count() == 22


def test_finding_2_or_20_existing_contacts_costs_the_same_number_of_queries():
    for i in range(20):
        make_contact(email=f"known{i}@example.org")
    two = _queries([(f"known{i}@example.org", "") for i in range(2)])
    twenty = _queries([(f"KNOWN{i}@example.org", "") for i in range(20)])
    assert two == twenty == 1


def test_a_mix_of_2_or_20_found_and_missing_costs_the_same_number_of_queries():
    for i in range(20):
        make_contact(email=f"known{i}@example.org")
    two = _queries([("known0@example.org", ""), ("fresh0@example.org", "")])
    twenty = _queries([(f"known{i}@example.org", "") for i in range(1, 11)]
                      + [(f"fresh{i}@example.org", "") for i in range(1, 11)])
    assert two == twenty
