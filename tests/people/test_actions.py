from __future__ import annotations

from decimal import Decimal

import pytest

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.core.models import AuditLogEntry
from heedful.people.actions import (
    IdentityInput,
    add_identity,
    create_contact,
    find_contact_by_identity,
    get_or_create_contact_for_email,
)
from heedful.people.models import ContactIdentity, ContactMerge
from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.models import Ticket
from tests.concurrency import wait_until_blocked
from tests.factories import OrganizationFactory, customer_reply, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db
EMAIL = ContactIdentity.Kind.EMAIL
PHONE = ContactIdentity.Kind.PHONE


def test_email_identity_is_found_whatever_the_case_of_the_domain():
    contact = make_contact(email="Jane.Doe@Example.COM")
    assert find_contact_by_identity(EMAIL, "Jane.Doe@example.com") == contact


def test_phone_identity_ignores_spaces_dashes_and_00_prefix():
    contact = create_contact(name="P", identities=[IdentityInput(PHONE, "+44 20 7946-0958")])
    assert find_contact_by_identity(PHONE, "0044 (20) 79460958") == contact


def test_same_identity_cannot_belong_to_two_contacts():
    make_contact(email="one@example.org")
    with pytest.raises(HeedfulError) as refused:
        make_contact(email="ONE@example.org")
    assert refused.value.code == ErrorCode.DUPLICATE_IDENTITY


def test_invalid_email_identity_names_the_field():
    with pytest.raises(HeedfulError) as refused:
        create_contact(name="x", identities=[IdentityInput(EMAIL, "not-an-address")])
    assert "value" in refused.value.fields


def test_unknown_contact_field_is_refused():
    with pytest.raises(HeedfulError) as refused:
        create_contact(name="x", shoe_size=42)
    assert refused.value.code == ErrorCode.UNKNOWN_FIELD


def test_contact_joins_organization_by_email_domain():
    org = OrganizationFactory(domains=["acme.test"])
    assert make_contact(email="bob@acme.test").organization == org


def test_get_or_create_contact_for_email_reuses_the_contact():
    first = get_or_create_contact_for_email("new@example.org", name="New")
    assert get_or_create_contact_for_email("NEW@example.org") == first


def test_merge_moves_identities_tickets_ccs_and_messages_and_keeps_audit():
    actor = make_agent(role="supervisor")
    target = make_contact(email="main@example.org", lifetime_value=Decimal("100"))
    source = make_contact(email="alias@example.org", plan="Pro", lifetime_value=Decimal("50"))
    add_identity(contact=source, kind=PHONE, value="+15550123")
    own = make_ticket(requester=source)
    other = make_ticket(requester=make_contact(), cc=[source])
    message = customer_reply(other, contact=source)

    merge_contacts(source=source, target=target, actor=actor.user)

    target.refresh_from_db()
    source.refresh_from_db()
    assert source.merged_into == target
    assert set(target.identities.values_list("normalized", flat=True)) == {
        "main@example.org", "alias@example.org", "+15550123"}
    assert Ticket.objects.get(pk=own.pk).requester == target
    assert list(other.participants.all()) == [target]
    message.refresh_from_db()
    assert message.author_contact == source  # history keeps its author; the page shows the target
    assert target.plan == "Pro" and target.lifetime_value == Decimal("150")
    assert ContactMerge.objects.get(source=source).moved["tickets"] == [own.pk]
    assert AuditLogEntry.objects.filter(action="contact.merge", target_id=str(target.pk)).exists()


def test_contact_cannot_be_merged_into_itself():
    contact = make_contact()
    with pytest.raises(HeedfulError):
        merge_contacts(source=contact, target=contact, actor=None)


def test_ticket_opened_for_merged_contact_goes_to_the_survivor():
    target, source = make_contact(), make_contact()
    merge_contacts(source=source, target=target, actor=None)
    source.refresh_from_db()
    assert make_ticket(requester=source).requester == target


# --------------------------------------------------------------- two role changes at once


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    import threading

    from django.db import connection, transaction

    from heedful.people.actions import change_agent_role
    from heedful.people.models import Agent

    if connection.vendor != "postgresql":
        pytest.skip("SQLite write transactions run one at a time: a check inside one cannot be raced")
    ada, bea = make_agent(role=Agent.Role.ADMIN), make_agent(role=Agent.Role.ADMIN)
    demoted, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def ada_demotes_bea() -> None:
        try:
            with transaction.atomic():  # Bea's demotion stays uncommitted until released
                change_agent_role(agent=bea, role=Agent.Role.AGENT, actor=ada.user)
                demoted.set()
                release.wait(timeout=30)
            outcome["ada"] = "done"
        finally:
            demoted.set()
            connection.close()

    def bea_demotes_ada() -> None:
        try:
            change_agent_role(agent=Agent.objects.get(pk=ada.pk), role=Agent.Role.AGENT,
                              actor=bea.user)
            outcome["bea"] = "done"
        except HeedfulError as refused:
            outcome["bea"] = refused.code
        finally:
            connection.close()

    first = threading.Thread(target=ada_demotes_bea)
    first.start()
    assert demoted.wait(timeout=30)
    second = threading.Thread(target=bea_demotes_ada)
    second.start()
    wait_until_blocked(second, attempts=100)  # Bea's change must wait for Ada's, not read around it
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert outcome == {"ada": "done", "bea": ErrorCode.CONFLICT}
    assert Agent.objects.filter(role=Agent.Role.ADMIN, is_active=True).count() == 1
