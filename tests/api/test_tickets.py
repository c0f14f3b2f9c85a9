"""Tickets through the API: list with the queues' filters, create, read, change, reply, merge."""

from __future__ import annotations

import base64
import datetime
from typing import Any

from django.utils import timezone

from heedful.tickets.actions import update_ticket
from heedful.tickets.models import Event, Ticket
from tests.api.conftest import ApiClient, api_for, assert_error
from tests.factories import (
    TeamFactory,
    agent_reply,
    make_agent,
    make_contact,
    make_ticket,
    upload,
)


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


def test_list_tickets_answers_results_and_next_cursor(api: ApiClient, ticket: Any) -> None:
    body = api.get("/tickets").json()
    assert body["next_cursor"] is None
    [row] = body["results"]
    assert row["id"] == ticket.pk
    assert row["requester"] == {"id": ticket.requester_id, "name": "Carol Customer",
                                "email": "carol@example.org"}
    assert set(row) == {
        "id", "number", "subject", "status", "priority", "channel", "requester", "organization",
        "participants", "assignee", "team", "tags", "language", "custom_fields", "created_at",
        "updated_at", "solved_at", "closed_at", "merged_into", "spam",
    }
    assert row["spam"] is False


def test_create_ticket_for_existing_requester(api: ApiClient, contact: Any, agent: Any) -> None:
    team = TeamFactory()
    response = api.post("/tickets", {
        "requester_id": contact.pk, "subject": "Cannot log in", "body": "Since Monday.",
        "priority": "high", "team_id": team.pk, "assignee_id": agent.pk, "tags": ["Login", "web"],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "api"
    assert body["priority"] == "high"
    assert body["team"] == team.pk
    assert body["assignee"] == {"id": agent.pk, "name": "Alice Agent"}
    assert body["tags"] == ["login", "web"]
    assert body["status"] == "open"
    first = Event.objects.get(ticket_id=body["id"], kind=Event.Kind.MESSAGE_IN)
    assert first.author_contact_id == contact.pk


def test_create_ticket_finds_or_creates_requester_by_email(api: ApiClient, contact: Any) -> None:
    response = api.post("/tickets", {
        "requester": {"email": "CAROL@example.org"}, "subject": "Again", "body": "Hello",
        "cc": ["boss@example.org"],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["id"] == contact.pk
    [cc] = body["participants"]
    assert api.get(f"/contacts/{cc}").json()["email"] == "boss@example.org"

    new = api.post("/tickets", {"requester": {"email": "dan@example.net", "name": "Dan"},
                                "subject": "Hi", "body": "New here"}).json()
    assert new["requester"]["name"] == "Dan"


def test_create_ticket_written_by_the_agent(api: ApiClient, contact: Any, agent: Any) -> None:
    content = base64.b64encode(b"%PDF-1.4").decode()
    body = api.post("/tickets", {
        "requester_id": contact.pk, "subject": "Your invoice", "body": "Attached.",
        "from_customer": False, "channel": "phone", "delivery_channel": "email",
        "attachments": [{"filename": "invoice.pdf", "content_type": "application/pdf",
                         "content_base64": content}],
    }).json()
    event = Event.objects.get(ticket_id=body["id"])
    assert event.kind == Event.Kind.MESSAGE_OUT
    assert event.author_user_id == agent.user_id
    assert event.attachments.get().size == 8


def test_create_ticket_requires_exactly_one_requester(api: ApiClient, contact: Any) -> None:
    assert_error(api.post("/tickets", {"subject": "s", "body": "b"}), 400, field="requester")
    both = {"requester_id": contact.pk, "requester": {"email": "x@example.org"}, "subject": "s", "body": "b"}
    assert_error(api.post("/tickets", both), 400, field="requester")


def test_create_ticket_with_bad_cc_names_the_entry(api: ApiClient, contact: Any) -> None:
    body = {"requester_id": contact.pk, "subject": "s", "body": "b", "cc": ["ok@example.org", "nope"]}
    assert_error(api.post("/tickets", body), 400, "invalid", "cc.1")
    assert_error(api.post("/tickets", {"requester": {"email": "nope"}, "subject": "s", "body": "b"}),
                 400, "invalid", "requester.email")


def test_get_ticket(api: ApiClient, ticket: Any) -> None:
    body = api.get(f"/tickets/{ticket.pk}").json()
    assert body["number"] == ticket.number
    assert body["subject"] == "Printer on fire"


def test_patch_ticket_changes_fields_through_actions(api: ApiClient, ticket: Any, agent: Any) -> None:
    team = TeamFactory()
    response = api.patch(f"/tickets/{ticket.pk}", {
        "status": "pending", "priority": "urgent", "assignee_id": agent.pk, "team_id": team.pk,
        "tags": ["a", "b"], "subject": "Printer still on fire",
    })
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["team"]) == ("pending", "urgent", team.pk)
    assert body["assignee"]["id"] == agent.pk
    assert body["tags"] == ["a", "b"]
    kinds = set(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"status", "priority", "assignment", "tags", "field"} <= kinds

    body = api.patch(f"/tickets/{ticket.pk}", {"add_tags": ["c"], "remove_tags": ["a"]}).json()
    assert body["tags"] == ["b", "c"]


def test_patch_with_null_assignee_unassigns(api: ApiClient, ticket: Any, agent: Any) -> None:
    api.patch(f"/tickets/{ticket.pk}", {"assignee_id": agent.pk})
    body = api.patch(f"/tickets/{ticket.pk}", {"assignee_id": None, "transfer_reason": "Off today"}).json()
    assert body["assignee"] is None
    transfer = Event.objects.get(ticket=ticket, kind=Event.Kind.TRANSFER)
    assert transfer.data["reason"] == "Off today"


def test_patch_refuses_null_for_required_fields(api: ApiClient, ticket: Any) -> None:
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"status": None}), 400, field="status")


def test_patch_with_empty_body_changes_nothing(api: ApiClient, ticket: Any) -> None:
    before = Event.objects.count()
    assert api.patch(f"/tickets/{ticket.pk}", {}).status_code == 200
    assert Event.objects.count() == before


def test_reply_and_note_with_status(api: ApiClient, ticket: Any, agent: Any) -> None:
    reply = api.post(f"/tickets/{ticket.pk}/events", {"body": "Fixed it.", "status": "solved"})
    assert reply.status_code == 201, reply.content
    event = reply.json()
    assert event["kind"] == "message_out"
    assert event["public"] is True
    assert event["author"] == {"type": "agent", "id": agent.pk, "name": "Alice Agent"}
    assert api.get(f"/tickets/{ticket.pk}").json()["status"] == "solved"

    note = api.post(f"/tickets/{ticket.pk}/events", {"body": "Customer is nice.", "public": False}).json()
    assert note["kind"] == "note"
    assert note["public"] is False


def test_reply_with_base64_attachment_and_download_it(api: ApiClient, ticket: Any) -> None:
    payload = b"line one\nline two\n"
    body = {"body": "Log attached", "attachments": [
        {"filename": "../../etc/log.txt", "content_type": "text/plain",
         "content_base64": base64.b64encode(payload).decode()}]}
    event = api.post(f"/tickets/{ticket.pk}/events", body).json()
    [attachment] = event["attachments"]
    assert attachment["filename"] == "log.txt"
    assert attachment["size"] == len(payload)
    assert attachment["url"] == f"/api/v1/attachments/{attachment['id']}"
    download = api.client.get(attachment["url"], headers=api._headers(None))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == payload
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_events_list_the_timeline_with_mail_fields(api: ApiClient, contact: Any, agent: Any) -> None:
    ticket = make_ticket(requester=contact, message_id="<abc@mail.example>",
                         full_text="Hello\n> quoted history", flags=["auto_reply"])
    agent_reply(ticket, agent)
    events = api.get(f"/tickets/{ticket.pk}/events").json()["results"]
    first = events[0]
    assert first["author"]["type"] == "customer"
    assert first["message_id"] == "<abc@mail.example>"
    assert first["reply_text"] == first["body_text"] == "It is on fire, please help."
    assert first["full_text"] == "Hello\n> quoted history"
    assert first["flags"] == ["auto_reply"]
    assert [e["kind"] for e in events][1:] == ["message_out", "status"]
    assert events[2]["author"]["type"] == "agent"


def test_events_are_paged_without_gaps(api: ApiClient, ticket: Any, agent: Any) -> None:
    for n in range(5):
        api.post(f"/tickets/{ticket.pk}/events", {"body": f"note {n}", "public": False})
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/tickets/{ticket.pk}/events", params).json()
        seen += [e["id"] for e in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    timeline = Event.objects.filter(ticket=ticket).order_by("created_at", "id")
    assert seen == list(timeline.values_list("id", flat=True))


def test_merge_ticket_into_another(api: ApiClient, contact: Any) -> None:
    source, target = make_ticket(requester=contact), make_ticket(requester=contact, subject="Original")
    response = api.post(f"/tickets/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    merged = api.get(f"/tickets/{source.pk}").json()
    assert merged["merged_into"] == target.pk
    assert merged["status"] == "closed"
    assert_error(api.post(f"/tickets/{source.pk}/merge", {"target_id": target.pk}), 409, "conflict")
    assert_error(api.post(f"/tickets/{target.pk}/merge", {"target_id": 999_999}), 400, field="target_id")


def test_restricted_agent_gets_404_for_another_teams_ticket(db: None, contact: Any) -> None:
    mine, theirs = TeamFactory(), TeamFactory()
    restricted = make_agent(teams=[mine], restricted=True)
    api = api_for(restricted)
    visible = make_ticket(requester=contact, team=mine)
    hidden = make_ticket(requester=contact, team=theirs)
    assert _ids(api.get("/tickets")) == [visible.pk]
    assert_error(api.get(f"/tickets/{hidden.pk}"), 404, "not_found")
    assert_error(api.get(f"/tickets/{hidden.pk}/events"), 404)
    assert_error(api.patch(f"/tickets/{hidden.pk}", {"priority": "high"}), 404)
    assert_error(api.post(f"/tickets/{hidden.pk}/events", {"body": "hi"}), 404)
    assert_error(api.post(f"/tickets/{visible.pk}/merge", {"target_id": hidden.pk}), 400, field="target_id")
    attachment = agent_reply(hidden, make_agent(), attachments=[upload()]).attachments.get()
    assert_error(api.get(f"/attachments/{attachment.pk}"), 404)
    assert Ticket.objects.get(pk=hidden.pk).priority == "normal"


def test_list_filters_match_the_queues(api: ApiClient, agent: Any, contact: Any) -> None:
    team = TeamFactory()
    other = make_contact(email="zed@example.net")
    mine = make_ticket(requester=contact, assignee=agent.user, priority="high", tags=["vip"],
                       subject="Broken invoice", channel="email")
    team_ticket = make_ticket(requester=other, team=team, language="fr", message_id="<m1@example.net>")
    unassigned = make_ticket(requester=contact, subject="Question")
    update_ticket(ticket=unassigned, actor=agent.user, changes={"status": "solved"})

    assert _ids(api.get("/tickets", {"queue": "mine"})) == [mine.pk]
    assert set(_ids(api.get("/tickets", {"queue": "unassigned"}))) == {team_ticket.pk}
    assert set(_ids(api.get("/tickets", {"queue": "open"}))) == {mine.pk, team_ticket.pk}
    assert _ids(api.get("/tickets", {"status": "solved"})) == [unassigned.pk]
    assert _ids(api.get("/tickets", {"priority": "high"})) == [mine.pk]
    assert _ids(api.get("/tickets", {"team": str(team.pk)})) == [team_ticket.pk]
    assert _ids(api.get("/tickets", {"assignee": str(agent.pk)})) == [mine.pk]
    assert set(_ids(api.get("/tickets", {"assignee": "none"}))) == {team_ticket.pk, unassigned.pk}
    assert _ids(api.get("/tickets", {"tag": "vip"})) == [mine.pk]
    assert _ids(api.get("/tickets", {"channel": "email"})) == [mine.pk]
    assert _ids(api.get("/tickets", {"language": "fr"})) == [team_ticket.pk]
    assert _ids(api.get("/tickets", {"requester": str(other.pk)})) == [team_ticket.pk]
    assert _ids(api.get("/tickets", {"q": "invoice"})) == [mine.pk]
    assert _ids(api.get("/tickets", {"q": f"#{mine.number}"})) == [mine.pk]
    assert _ids(api.get("/tickets", {"message_id": "m1@example.net"})) == [team_ticket.pk]
    assert _ids(api.get("/tickets", {"message_id": "<m1@example.net>"})) == [team_ticket.pk]
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert _ids(api.get("/tickets", {"created_after": future})) == []
    assert len(_ids(api.get("/tickets", {"created_before": future}))) == 3
    assert len(_ids(api.get("/tickets", {"updated_before": future, "updated_after": "2000-01-01"}))) == 3
    assert _ids(api.get("/tickets", {"sort": "-priority", "limit": 1})) == [mine.pk]
    assert _ids(api.get("/tickets", {"sort": "created"}))[0] == mine.pk


def test_cursor_paging_has_no_duplicates_or_gaps_over_three_pages(api: ApiClient, contact: Any) -> None:
    tickets = [make_ticket(requester=contact, subject=f"T{n}") for n in range(7)]
    for sort in ("-updated", "created", "priority"):
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/tickets", params).json()
            seen += [t["id"] for t in page["results"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert sorted(seen) == sorted(t.pk for t in tickets)
        assert len(seen) == len(set(seen))


def test_ticket_list_query_count_is_flat(
    api: ApiClient, agent: Any, django_assert_max_num_queries: Any
) -> None:
    team = TeamFactory()
    agent.teams.add(team)

    def make(n: int) -> None:
        for i in range(n):
            requester = make_contact()
            ticket = make_ticket(requester=requester, team=team, assignee=agent.user, tags=["x", f"t{i}"],
                                 cc=[make_contact()])
            agent_reply(ticket, agent)

    make(5)
    api.get("/tickets")  # the token's last_used_at is written on first use only
    with django_assert_max_num_queries(8) as few:  # auth, page, prefetches
        assert len(_ids(api.get("/tickets", {"limit": 50}))) == 5
    make(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_ids(api.get("/tickets", {"limit": 50}))) == 50
