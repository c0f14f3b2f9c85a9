from __future__ import annotations

import pytest

from heedful.core.errors import HeedfulError
from heedful.core.models import SiteSettings
from heedful.policy import Viewer, can_view_ticket, get_attachment_for, get_ticket_for, visible_tickets
from heedful.tickets.actions import reply_to_ticket, update_ticket
from tests.factories import OrganizationFactory, TeamFactory, make_agent, make_contact, make_ticket, upload

pytestmark = pytest.mark.django_db


def test_customer_sees_own_ticket_but_not_anothers():
    alice, bob = make_contact(), make_contact()
    mine, theirs = make_ticket(requester=alice), make_ticket(requester=bob)
    viewer = Viewer.for_contact(alice)
    assert list(visible_tickets(viewer)) == [mine]
    with pytest.raises(HeedfulError):
        get_ticket_for(viewer, theirs.pk)


def test_cc_participant_sees_the_ticket_once():
    cc = make_contact()
    ticket = make_ticket(cc=[cc])
    assert list(visible_tickets(Viewer.for_contact(cc))) == [ticket]


def test_organization_manager_sees_org_tickets_only_when_both_switches_allow():
    org = OrganizationFactory()
    manager = make_contact(organization=org, is_organization_manager=True)
    colleague_ticket = make_ticket(requester=make_contact(organization=org))
    viewer = Viewer.for_contact(manager)
    assert can_view_ticket(viewer, colleague_ticket)
    org.managers_see_tickets = False
    org.save()
    manager.refresh_from_db()
    assert not can_view_ticket(Viewer.for_contact(manager), colleague_ticket)
    org.managers_see_tickets = True
    org.save()
    site = SiteSettings.current()
    site.organization_managers_see_tickets = False
    site.save()
    manager.refresh_from_db()
    assert not can_view_ticket(Viewer.for_contact(manager), colleague_ticket)


def test_plain_colleague_does_not_see_org_tickets():
    org = OrganizationFactory()
    colleague = make_contact(organization=org)
    ticket = make_ticket(requester=make_contact(organization=org))
    assert not can_view_ticket(Viewer.for_contact(colleague), ticket)


def test_team_restricted_agent_sees_only_team_or_own_tickets():
    billing, tech = TeamFactory(), TeamFactory()
    restricted = make_agent(teams=[billing], restricted=True)
    theirs = make_ticket(team=billing)
    other = make_ticket(team=tech)
    mine = make_ticket(team=tech, assignee=restricted.user)
    assert set(visible_tickets(Viewer.for_user(restricted.user))) == {theirs, mine}
    assert not can_view_ticket(Viewer.for_user(restricted.user), other)


def test_customer_cannot_fetch_internal_note_attachment():
    agent = make_agent()
    ticket = make_ticket()
    note = reply_to_ticket(ticket=ticket, body="internal", author_user=agent.user, public=False,
                           attachments=[upload("secret.txt")])
    attachment = note.attachments.get()
    assert get_attachment_for(Viewer.for_user(agent.user), attachment.pk) == attachment
    with pytest.raises(HeedfulError):
        get_attachment_for(Viewer.for_contact(ticket.requester), attachment.pk)


def test_customer_cannot_fetch_another_customers_attachment():
    ticket = make_ticket(attachments=[upload()])
    attachment = ticket.attachments.get()
    with pytest.raises(HeedfulError):
        get_attachment_for(Viewer.for_contact(make_contact()), attachment.pk)


def test_inactive_agent_sees_nothing():
    agent = make_agent()
    make_ticket()
    agent.is_active = False
    agent.save()
    assert not visible_tickets(Viewer.for_user(agent.user)).exists()


def test_update_is_attributed_to_actor():
    agent = make_agent()
    ticket = make_ticket()
    (event, *_rest) = update_ticket(ticket=ticket, actor=agent.user, changes={"priority": "high"})
    assert event.author_user == agent.user
