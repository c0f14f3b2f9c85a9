from __future__ import annotations

import pytest

from heedful.tickets.models import Event, SavedFilter, Ticket
from tests.factories import TeamFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


def test_queue_lists_tickets_with_counts_per_queue(agent_client, agent, contact):
    mine = make_ticket(requester=contact, subject="Mine to fix", assignee=agent.user)
    loose = make_ticket(requester=contact, subject="Nobody has this")
    html = agent_client.get("/?queue=open").content.decode()
    assert mine.subject in html and loose.subject in html
    assert 'aria-current="page"' in html


def test_default_queue_is_mine_when_i_hold_open_tickets_else_unassigned(agent_client, agent, contact):
    make_ticket(requester=contact, subject="Loose end")
    assert agent_client.get("/").context["queue"] == "unassigned"
    make_ticket(requester=contact, subject="Mine", assignee=agent.user)
    response = agent_client.get("/")
    assert response.context["queue"] == "mine"
    assert [t.subject for t in response.context["page"].items] == ["Mine"]


def test_filters_narrow_the_queue(agent_client, contact):
    make_ticket(requester=contact, subject="Urgent fire", priority="urgent", tags=["fire"])
    make_ticket(requester=contact, subject="Calm question", channel="email")
    subjects = lambda r: [t.subject for t in r.context["page"].items]  # noqa: E731
    assert subjects(agent_client.get("/?queue=all&priority=urgent")) == ["Urgent fire"]
    assert subjects(agent_client.get("/?queue=all&tag=fire")) == ["Urgent fire"]
    assert subjects(agent_client.get("/?queue=all&channel=email")) == ["Calm question"]
    assert subjects(agent_client.get("/?queue=all&q=calm")) == ["Calm question"]


def test_bad_filter_value_is_a_400_with_a_message(agent_client):
    response = agent_client.get("/?queue=all&status=sleeping")
    assert response.status_code == 400
    assert "Unknown status" in response.content.decode()
    assert agent_client.get("/?queue=nonsense").status_code == 400
    assert agent_client.get("/?queue=all&cursor=%%%").status_code == 400


def test_next_page_link_follows_the_cursor(agent_client, contact, monkeypatch):
    monkeypatch.setattr("heedful.web.views.queue.PAGE_SIZE", 2)
    for n in range(3):
        make_ticket(requester=contact, subject=f"T{n}")
    first = agent_client.get("/?queue=all")
    assert first.context["page"].next_cursor
    second = agent_client.get(f"/?queue=all&cursor={first.context['page'].next_cursor}")
    assert [t.subject for t in second.context["page"].items] == ["T0"]
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_queue_page_query_count_is_flat(agent_client, contact, count, django_assert_max_num_queries):
    team = TeamFactory()
    other = make_agent()
    for n in range(count):
        make_ticket(requester=contact, subject=f"T{n}", team=team, assignee=other.user, tags=["a", "b"])
    with django_assert_max_num_queries(17):
        response = agent_client.get("/?queue=all")
    assert len(response.context["page"].items) == count


def test_bulk_status_change_applies_to_every_selected_ticket(agent_client, contact):
    first, second = make_ticket(requester=contact), make_ticket(requester=contact)
    response = agent_client.post("/bulk/", {"tickets": [first.pk, second.pk], "status": "pending",
                                            "return_query": "queue=all"})
    assert response.status_code == 302 and response["Location"] == "/?queue=all"
    assert set(Ticket.objects.values_list("status", flat=True)) == {"pending"}


def test_bulk_transfer_without_reason_shows_error_and_changes_nothing(agent_client, contact):
    owner = make_agent()
    held = make_ticket(requester=contact, assignee=owner.user)
    response = agent_client.post("/bulk/", {"tickets": [held.pk], "assignee": "me",
                                            "return_query": "queue=all"})
    assert response.status_code == 400
    assert "nobody gets the runaround" in response.content.decode()
    held.refresh_from_db()
    assert held.assignee_id == owner.user_id


def test_bulk_with_nothing_selected_or_nothing_to_change_is_400(agent_client, ticket):
    assert agent_client.post("/bulk/", {"status": "open"}).status_code == 400
    assert agent_client.post("/bulk/", {"tickets": [ticket.pk]}).status_code == 400


def test_bulk_add_tag_and_assign(agent_client, agent, contact):
    t = make_ticket(requester=contact)
    agent_client.post("/bulk/", {"tickets": [t.pk], "assignee": "me", "add_tag": "vip-care"})
    t.refresh_from_db()
    assert t.assignee_id == agent.user_id
    assert list(t.tags.values_list("name", flat=True)) == ["vip-care"]


def test_saved_filter_is_created_from_the_current_filters_and_used_as_a_queue(agent_client, agent, contact):
    make_ticket(requester=contact, subject="Hot", priority="urgent")
    make_ticket(requester=contact, subject="Cold", priority="low")
    response = agent_client.post("/saved-filters/", {"name": "Hot stuff", "shared": "on",
                                                     "return_query": "queue=all&priority=urgent"})
    saved = SavedFilter.objects.get()
    assert saved.params == {"priority": "urgent"} and saved.shared and saved.owner == agent.user
    assert response["Location"] == f"/?queue=saved%3A{saved.pk}"
    page = agent_client.get(f"/?queue=saved:{saved.pk}")
    assert [t.subject for t in page.context["page"].items] == ["Hot"]
    assert "Hot stuff" in page.content.decode()


def test_saved_filter_needs_a_name_and_only_its_owner_deletes_it(client, agent_client, agent):
    assert agent_client.post("/saved-filters/", {"name": " "}).status_code == 400
    saved = SavedFilter.objects.create(name="Theirs", owner=make_agent().user, params={}, shared=True)
    assert agent_client.post(f"/saved-filters/{saved.pk}/delete/").status_code == 403
    own = SavedFilter.objects.create(name="Mine", owner=agent.user, params={})
    assert agent_client.post(f"/saved-filters/{own.pk}/delete/").status_code == 302
    assert list(SavedFilter.objects.values_list("name", flat=True)) == ["Theirs"]


def test_restricted_agent_sees_only_their_teams_tickets(client, contact):
    ours, theirs = TeamFactory(), TeamFactory()
    agent = make_agent(teams=[ours], restricted=True)
    make_ticket(requester=contact, subject="Ours", team=ours)
    make_ticket(requester=contact, subject="Theirs", team=theirs)
    client.force_login(agent.user)
    response = client.get("/?queue=all")
    assert [t.subject for t in response.context["page"].items] == ["Ours"]
    assert response.context["counts"]["open"] == 1
    assert not Event.objects.filter(kind="transfer").exists()


def test_saved_filter_from_my_queue_keeps_meaning_mine(agent_client, agent, contact):
    make_ticket(requester=contact, subject="Mine", assignee=agent.user)
    make_ticket(requester=contact, subject="Loose")
    agent_client.post("/saved-filters/", {"name": "My open", "return_query": "queue=mine"})
    saved = SavedFilter.objects.get()
    assert saved.params["assignee"] == str(agent.user_id)
    page = agent_client.get(f"/?queue=saved:{saved.pk}")
    assert [t.subject for t in page.context["page"].items] == ["Mine"]


def test_a_refused_bulk_change_keeps_the_selection_and_the_chosen_changes(agent_client, contact):
    owner = make_agent()
    team = TeamFactory(name="Billing")
    held, other, untouched = (make_ticket(requester=contact, assignee=owner.user),
                              make_ticket(requester=contact), make_ticket(requester=contact))
    response = agent_client.post("/bulk/", {
        "tickets": [held.pk, other.pk], "assignee": "me", "team": str(team.pk), "priority": "high",
        "status": "pending", "add_tag": "vip-care", "return_query": "queue=all"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nobody gets the runaround" in html
    for ticket in (held, other):
        assert f'value="{ticket.pk}" id="sel-{ticket.pk}" data-row-check checked>' in html
    assert f'value="{untouched.pk}" id="sel-{untouched.pk}" data-row-check>' in html
    for chosen in ['<option value="me" selected>', f'<option value="{team.pk}" selected>',
                   '<option value="high" selected>', '<option value="pending" selected>',
                   'value="vip-care"']:
        assert chosen in html, chosen
    held.refresh_from_db()
    assert held.assignee_id == owner.user_id and held.priority == "normal"


# "²" and "٣" pass str.isdigit() but int() refuses them; a 23-digit id overflows the column.
NOT_AN_ID = ["²", "٣", "9" * 23]


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_bulk_change_with_a_ticket_id_that_is_no_number_is_a_400(agent_client, ticket, value):
    response = agent_client.post("/bulk/", {"tickets": [value, str(ticket.pk)], "priority": "high",
                                            "return_query": "queue=all"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    response = agent_client.post("/bulk/", {"tickets": [value], "priority": "high",
                                            "return_query": "queue=all"})
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["assignee", "team"])
@pytest.mark.parametrize("value", NOT_AN_ID)
def test_bulk_change_to_an_owner_that_is_no_number_is_a_400(agent_client, ticket, field, value):
    response = agent_client.post("/bulk/", {"tickets": [str(ticket.pk)], field: value,
                                            "transfer_reason": "Billing", "return_query": "queue=all"})
    assert response.status_code == 400
    assert Event.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_saved_queue_whose_id_is_no_number_is_a_400(agent_client, value):
    assert agent_client.get("/", {"queue": f"saved:{value}"}).status_code == 400


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_saving_a_filter_from_a_saved_queue_whose_id_is_no_number_saves_the_page_filters(
        agent_client, agent, value):
    response = agent_client.post("/saved-filters/", {
        "name": "Urgent", "return_query": f"queue=saved:{value}&priority=urgent"})
    assert response.status_code == 302
    assert SavedFilter.objects.get(owner=agent.user).params == {"priority": "urgent"}
