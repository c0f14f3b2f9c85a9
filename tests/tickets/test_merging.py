from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedful.core.errors import HeedfulError
from heedful.policy import Viewer, can_view_ticket
from heedful.tickets.merging import merge_tickets, preview_merge, split_message
from heedful.tickets.models import Event, Ticket
from heedful.tickets.selectors import timeline
from heedful.webhooks.models import Webhook, WebhookDelivery
from tests.factories import (
    OrganizationFactory,
    agent_reply,
    customer_reply,
    make_agent,
    make_contact,
    make_ticket,
    upload,
)

pytestmark = pytest.mark.django_db


def test_merge_closes_source_and_shows_its_messages_on_target():
    agent = make_agent()
    target = make_ticket(subject="Login fails")
    source = make_ticket(subject="Cannot log in", requester=make_contact())
    merge_tickets(source=source, target=target, actor=agent.user)
    source.refresh_from_db()
    assert source.status == Ticket.Status.CLOSED and source.merged_into == target
    bodies = [e.body_text for e in timeline(Viewer.for_user(agent.user), target) if e.is_message]
    assert len(bodies) == 2
    assert source.requester in target.participants.all()
    assert target.events.filter(kind=Event.Kind.MERGE).exists()


def test_merged_source_requester_can_read_target():
    target, source = make_ticket(), make_ticket(requester=make_contact())
    merge_tickets(source=source, target=target, actor=make_agent().user)
    assert can_view_ticket(Viewer.for_contact(source.requester), target)


def test_merge_into_itself_or_twice_is_refused():
    agent = make_agent()
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    with pytest.raises(HeedfulError):
        merge_tickets(source=a, target=a, actor=agent.user)
    merge_tickets(source=a, target=b, actor=agent.user)
    a.refresh_from_db()
    with pytest.raises(HeedfulError):
        merge_tickets(source=a, target=c, actor=agent.user)


def test_split_copies_message_and_attachments_into_new_ticket():
    agent = make_agent()
    ticket = make_ticket()
    message = customer_reply(ticket, body="Also, my invoice is wrong", attachments=[upload("inv.pdf")])
    new = split_message(event=message, actor=agent.user, subject="Invoice is wrong")
    first = new.events.get()
    assert new.subject == "Invoice is wrong" and new.requester == ticket.requester
    assert first.body_text == "Also, my invoice is wrong"
    assert first.attachments.get().filename == "inv.pdf"
    assert ticket.events.filter(kind=Event.Kind.SPLIT, data__new_ticket=new.pk).exists()


def test_only_customer_messages_can_be_split():
    agent = make_agent()
    ticket = make_ticket()
    note = ticket.events.create(kind=Event.Kind.NOTE, channel="agent", created_at=ticket.created_at)
    with pytest.raises(HeedfulError):
        split_message(event=note, actor=agent.user)


def _messages(viewer, ticket):
    return [e.body_text for e in timeline(viewer, ticket) if e.is_message]


def test_a_merge_chain_keeps_every_message_on_the_last_ticket():
    agent = make_agent()
    a, b, c = make_ticket(body="first A"), make_ticket(body="first B"), make_ticket(body="first C")
    customer_reply(a, body="more from A")
    merge_tickets(source=a, target=b, actor=agent.user)
    merge_tickets(source=b, target=c, actor=agent.user)
    bodies = _messages(Viewer.for_user(agent.user), c)
    assert sorted(bodies) == ["first A", "first B", "first C", "more from A"]


def test_a_merge_chain_shows_the_customer_only_public_messages_of_every_ticket(client):
    agent = make_agent()
    carol = make_contact(name="Carol")
    a, b, c = make_ticket(requester=carol, body="from A"), make_ticket(body="from B"), make_ticket()
    agent_reply(a, agent, body="an internal word on A", public=False)
    merge_tickets(source=a, target=b, actor=agent.user)
    merge_tickets(source=b, target=c, actor=agent.user)
    assert "from A" in _messages(Viewer.for_contact(carol), c)
    session = client.session
    session["portal_contact_id"] = carol.pk
    session.save()
    html = client.get(f"/portal/tickets/{c.number}/").content.decode()
    assert "from A" in html and "from B" in html
    assert "an internal word on A" not in html


def test_timeline_reads_a_merge_tree_with_one_query_per_level_not_per_ticket():
    agent = make_agent()
    viewer = Viewer.for_user(agent.user)
    single = make_ticket()
    merge_tickets(source=make_ticket(), target=single, actor=agent.user)
    tree = make_ticket()
    for _n in range(4):
        middle = make_ticket()
        for _m in range(3):
            merge_tickets(source=make_ticket(), target=middle, actor=agent.user)
        merge_tickets(source=middle, target=tree, actor=agent.user)
    with CaptureQueriesContext(connection) as one_level:
        list(timeline(viewer, single))
    with CaptureQueriesContext(connection) as two_levels:
        assert len(_messages(viewer, tree)) == 1 + 4 + 4 * 3
    assert len(two_levels.captured_queries) == len(one_level.captured_queries) + 1


def test_merge_preview_says_what_moves_and_writes_nothing():
    dan = make_contact(name="Dan CC")
    target = make_ticket(subject="Login fails", tags=["login"])
    source = make_ticket(requester=make_contact(name="Eve"), tags=["login", "urgent-ish"], cc=[dan])
    customer_reply(source, body="still broken")
    preview = preview_merge(source=source, target=target)
    assert preview.messages == 2 and preview.new_tags == ["urgent-ish"] and preview.closes_source
    assert sorted(c.name for c in preview.newcomers) == ["Dan CC", "Eve"]
    source.refresh_from_db()
    assert source.merged_into_id is None and not target.participants.exists()


def test_split_opens_its_ticket_through_the_ticket_action_for_the_messages_author():
    agent = make_agent()
    other_org = OrganizationFactory(name="Elsewhere Ltd")
    cc = make_contact(name="Colleague")
    cc.organization = other_org
    cc.save()
    ticket = make_ticket(cc=[cc])
    message = customer_reply(ticket, contact=cc, body="A different problem")
    Webhook.objects.create(name="CRM", url="https://crm.example.com/hooks",
                           event_types=["ticket.created"])
    new = split_message(event=message, actor=agent.user)
    assert new.requester == cc and new.organization == other_org
    first = new.events.get()
    assert first.data == {"split_from_event": message.pk, "split_from_ticket": ticket.pk}
    assert ticket.events.get(kind=Event.Kind.SPLIT).data["new_ticket"] == new.pk
    created = WebhookDelivery.objects.filter(event_type="ticket.created")
    assert [d.payload["data"]["ticket_id"] for d in created] == [new.pk]
