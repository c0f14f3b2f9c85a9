from __future__ import annotations

import pytest

from heedful.core.errors import HeedfulError
from heedful.policy import Viewer
from heedful.tickets.actions import update_ticket
from heedful.tickets.selectors import customer_history, ticket_queue
from tests.factories import TeamFactory, make_agent, make_contact, make_ticket

pytestmark = pytest.mark.django_db


def test_cursor_pages_cover_every_ticket_once():
    agent = make_agent()
    made = {make_ticket(subject=f"T{i}").pk for i in range(7)}
    seen, cursor = [], None
    while True:
        page = ticket_queue(viewer=Viewer.for_user(agent.user), limit=3, cursor=cursor)
        seen += [t.pk for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_queue_mine_and_unassigned():
    agent = make_agent()
    mine, loose = make_ticket(), make_ticket()
    update_ticket(ticket=mine, actor=agent.user, changes={"assignee": agent.user})
    viewer = Viewer.for_user(agent.user)
    assert [t.pk for t in ticket_queue(viewer=viewer, queue="mine").items] == [mine.pk]
    assert [t.pk for t in ticket_queue(viewer=viewer, queue="unassigned").items] == [loose.pk]


def test_filters_by_status_tag_team_and_priority_sort():
    team = TeamFactory()
    agent = make_agent(teams=[team])
    urgent = make_ticket(priority="urgent", team=team, tags=["Billing"])
    make_ticket(priority="low")
    viewer = Viewer.for_user(agent.user)
    assert ticket_queue(viewer=viewer, filters={"tag": "billing"}).items == [urgent]
    assert ticket_queue(viewer=viewer, filters={"team": str(team.pk)}).items == [urgent]
    assert ticket_queue(viewer=viewer, queue="my_teams").items == [urgent]
    assert ticket_queue(viewer=viewer, sort="-priority").items[0] == urgent
    assert len(ticket_queue(viewer=viewer, filters={"status": "new,open"}).items) == 2


@pytest.mark.parametrize("filters", [{"status": "lost"}, {"team": "abc"}, {"colour": "red"},
                                     {"created_after": "yesterday"}])
def test_bad_filters_are_refused_with_field(filters):
    with pytest.raises(HeedfulError) as refused:
        ticket_queue(viewer=Viewer.for_user(make_agent().user), filters=filters)
    assert refused.value.fields


def test_tampered_cursor_is_refused():
    with pytest.raises(HeedfulError):
        ticket_queue(viewer=Viewer.for_user(make_agent().user), cursor="bm90LWpzb24")


def test_customer_history_lists_every_channel():
    agent = make_agent()
    contact = make_contact()
    email = make_ticket(requester=contact, channel="email")
    phone = make_ticket(requester=contact, channel="phone")
    history = customer_history(Viewer.for_user(agent.user), contact, exclude=phone)
    assert history == [email]


def test_message_id_filter_finds_the_ticket():
    ticket = make_ticket(message_id="<abc@mail.example>")
    viewer = Viewer.for_user(make_agent().user)
    assert ticket_queue(viewer=viewer, filters={"message_id": "abc@mail.example"}).items == [ticket]


def test_spam_stays_out_of_queues_but_is_found_in_the_spam_queue_and_by_message_id():
    spam = make_ticket(spam=True, message_id="<spam@x.example>")
    normal = make_ticket()
    viewer = Viewer.for_user(make_agent().user)
    assert ticket_queue(viewer=viewer, queue="all").items == [normal]
    assert ticket_queue(viewer=viewer, queue="spam").items == [spam]
    assert ticket_queue(viewer=viewer, filters={"message_id": "spam@x.example"}).items == [spam]
