"""Contact merge keeps its promises: chains end at a live contact, moved tickets follow the
target's organization and say so on their timeline, and history is never rewritten."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedful.core.errors import HeedfulError
from heedful.people.models import Contact
from heedful.people.selectors import live_contact
from heedful.policy import Viewer
from heedful.tickets.contact_merge import merge_contacts, plan_contact_merge
from heedful.tickets.models import Event, Ticket
from heedful.tickets.selectors import contact_timeline
from tests.factories import (
    OrganizationFactory,
    customer_reply,
    make_agent,
    make_contact,
    make_ticket,
)

pytestmark = pytest.mark.django_db


def _merge(source: Contact, target: Contact) -> Contact:
    return merge_contacts(source=source, target=target, actor=make_agent(role="supervisor").user)


def test_merging_into_a_merged_contact_lands_on_the_live_end_of_the_chain():
    first, middle, live = make_contact(), make_contact(), make_contact()
    _merge(middle, live)
    middle.refresh_from_db()

    survivor = _merge(first, middle)

    first.refresh_from_db()
    assert survivor == live
    assert first.merged_into_id == live.pk


def test_merging_a_contact_into_one_merged_into_it_is_refused():
    source, target = make_contact(), make_contact()
    _merge(target, source)  # target now points at source
    target.refresh_from_db()
    with pytest.raises(HeedfulError):
        _merge(source, target)


def test_contacts_merged_into_the_source_then_point_at_the_new_target():
    old, source, target = make_contact(), make_contact(), make_contact()
    _merge(old, source)
    source.refresh_from_db()

    _merge(source, target)

    old.refresh_from_db()
    assert old.merged_into_id == target.pk


def test_live_contact_follows_a_chain_of_any_length():
    a, b, c = make_contact(), make_contact(), make_contact()
    # A chain left by earlier versions, which did not repoint older merges.
    Contact.objects.filter(pk=a.pk).update(merged_into=b)
    Contact.objects.filter(pk=b.pk).update(merged_into=c)
    a.refresh_from_db()
    assert live_contact(a) == c


def test_ticket_for_a_contact_at_the_start_of_a_chain_goes_to_the_live_contact():
    a, b, c = make_contact(), make_contact(), make_contact()
    Contact.objects.filter(pk=a.pk).update(merged_into=b)
    Contact.objects.filter(pk=b.pk).update(merged_into=c)
    a.refresh_from_db()
    assert make_ticket(requester=a).requester == c


def test_moved_tickets_take_the_organization_of_the_target():
    org = OrganizationFactory()
    target = make_contact(organization=org)
    source = make_contact(organization=OrganizationFactory())
    ticket = make_ticket(requester=source)

    _merge(source, target)

    assert Ticket.objects.get(pk=ticket.pk).organization == org
    event = Event.objects.get(ticket=ticket, kind=Event.Kind.REQUESTER)
    assert (event.data["from_organization"], event.data["to_organization"]) == (
        source.organization_id, org.pk)


def test_each_moved_ticket_gets_a_requester_event_naming_the_merge():
    target, source = make_contact(), make_contact()
    tickets = [make_ticket(requester=source) for _ in range(3)]

    _merge(source, target)

    events = Event.objects.filter(ticket__in=tickets, kind=Event.Kind.REQUESTER)
    assert events.count() == 3
    assert [(e.data["from"], e.data["to"], e.data["reason"]) for e in events] == [
        (source.pk, target.pk, "contact merge")] * 3
    assert all(not e.public for e in events)


def test_merge_leaves_the_authors_of_messages_as_they_were():
    target, source = make_contact(), make_contact()
    ticket = make_ticket(requester=source)
    message = customer_reply(ticket, contact=source, body="Second message")

    _merge(source, target)

    message.refresh_from_db()
    assert message.author_contact_id == source.pk


def test_merge_issues_no_update_on_events():
    target, source = make_contact(), make_contact()
    ticket = make_ticket(requester=source)
    customer_reply(ticket, contact=source)
    make_ticket(requester=make_contact(), cc=[source])
    actor = make_agent(role="supervisor").user

    with CaptureQueriesContext(connection) as queries:
        merge_contacts(source=source, target=target, actor=actor)

    table = Event._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries
                if q["sql"].lstrip().upper().startswith("UPDATE") and table in q["sql"]]


def test_contact_timeline_of_the_target_holds_the_source_messages():
    target, source = make_contact(), make_contact()
    ticket = make_ticket(requester=source, body="From the old address")

    _merge(source, target)

    page = contact_timeline(Viewer(agent=make_agent()), target)
    assert [e.body_text for e in page.items if e.ticket_id == ticket.pk][-1] == "From the old address"


def test_cc_moves_to_the_target_without_doubling_and_is_recorded():
    target, source = make_contact(), make_contact()
    both = make_ticket(requester=make_contact(), cc=[source, target])
    only_source = make_ticket(requester=make_contact(), cc=[source])

    _merge(source, target)

    assert list(both.participants.values_list("id", flat=True)) == [target.pk]
    assert list(only_source.participants.values_list("id", flat=True)) == [target.pk]
    change = Event.objects.get(ticket=only_source, kind=Event.Kind.PARTICIPANTS)
    assert change.data == {"from": [source.pk], "to": [target.pk], "reason": "contact merge"}


def test_target_copied_on_a_moved_ticket_is_no_longer_its_own_cc():
    target, source = make_contact(), make_contact()
    ticket = make_ticket(requester=source, cc=[target])

    _merge(source, target)

    assert Ticket.objects.get(pk=ticket.pk).requester == target
    assert not ticket.participants.exists()


def test_lifetime_values_in_different_currencies_are_not_added():
    target = make_contact(lifetime_value=Decimal("100"), currency="EUR")
    source = make_contact(lifetime_value=Decimal("50"), currency="USD")

    _merge(source, target)

    target.refresh_from_db()
    assert (target.lifetime_value, target.currency) == (Decimal("100"), "EUR")


def test_lifetime_value_is_taken_with_its_currency_when_the_target_has_none():
    target = make_contact(currency="USD")
    source = make_contact(lifetime_value=Decimal("70"), currency="EUR")

    _merge(source, target)

    target.refresh_from_db()
    assert (target.lifetime_value, target.currency) == (Decimal("70"), "EUR")


def test_plan_shows_what_will_move_and_what_will_be_filled():
    target = make_contact(name="Main", plan="")
    source = make_contact(name="Alias", plan="Pro", tier="Gold")
    own = make_ticket(requester=source)
    copied = make_ticket(requester=make_contact(), cc=[source])

    plan = plan_contact_merge(source=source, target=target)

    assert plan.target == target
    assert plan.ticket_ids == [own.pk]
    assert plan.cc_ticket_ids == [copied.pk]
    assert [i.value for i in plan.identities] == [source.primary_email]
    assert plan.filled == {"plan": "Pro", "tier": "Gold"}
    # Planning writes nothing.
    assert Ticket.objects.get(pk=own.pk).requester == source
