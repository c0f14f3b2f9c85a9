from __future__ import annotations

import datetime

import pytest
from django.db.models import Count, Max, Min

from heedful.core.html import sanitize_html, text_to_html
from heedful.demo.content import load_content
from heedful.demo.generate import generate
from heedful.people.models import Agent, ContactIdentity, Team
from heedful.tickets.models import Event, Ticket
from tests.factories import make_contact, make_ticket

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


def test_every_demo_ticket_has_events_and_a_requester_with_an_email() -> None:
    summary = generate(tickets=40, seed=3, now=NOW)

    assert summary.tickets == Ticket.objects.count() == 40
    assert summary.events == Event.objects.count()
    assert not Ticket.objects.annotate(n=Count("events")).filter(n=0).exists()
    for ticket in Ticket.objects.select_related("requester"):
        assert ticket.requester.identities.filter(kind=ContactIdentity.Kind.EMAIL).exists()
        assert ticket.events.order_by("created_at", "id").first().kind == Event.Kind.MESSAGE_IN


def test_ticket_times_follow_from_their_events() -> None:
    generate(tickets=50, seed=4, now=NOW)

    for ticket in Ticket.objects.annotate(last=Max("events__created_at"), first=Min("events__created_at")):
        events = list(ticket.events.order_by("created_at", "id"))
        replies = [e.created_at for e in events if e.kind == Event.Kind.MESSAGE_OUT]
        assert ticket.first == ticket.created_at
        assert ticket.updated_at == ticket.last <= NOW
        assert ticket.created_at >= NOW - datetime.timedelta(days=90)
        assert ticket.first_response_at == (replies[0] if replies else None)
        assert (ticket.solved_at is not None) == (ticket.status in {"solved", "closed"})
        assert (ticket.closed_at is not None) == (ticket.status == "closed")
        statuses = [e.data["to"] for e in events if e.kind == Event.Kind.STATUS]
        if statuses:
            assert statuses[-1] == ticket.status
        if ticket.status != "new":
            assert ticket.assignee_id is not None


def test_message_html_is_the_sanitised_html_the_actions_would_store() -> None:
    generate(tickets=20, seed=5, now=NOW)

    messages = Event.objects.exclude(body_text="")
    assert messages.exists()
    for event in messages:
        assert event.body_html.startswith("<p>")
        assert event.body_html == sanitize_html(text_to_html(event.body_text))


def test_numbers_are_unique_and_a_ticket_opened_later_continues_the_sequence() -> None:
    summary = generate(tickets=30, seed=6, now=NOW)
    numbers = list(Ticket.objects.values_list("number", flat=True))
    later = make_ticket(requester=make_contact())

    assert len(set(numbers)) == 30
    assert sorted(numbers) == list(range(summary.first_number, summary.last_number + 1))
    assert later.number == summary.last_number + 1


def _shape(tickets: list[Ticket]) -> list[tuple[object, ...]]:
    return [
        (t.subject, t.status, t.priority, t.channel, t.requester_id, t.language, t.created_at,
         t.updated_at, [(e.kind, e.body_text, e.created_at) for e in t.events.order_by("created_at", "id")])
        for t in tickets
    ]


def test_the_same_seed_builds_the_same_help_desk() -> None:
    first = generate(tickets=25, seed=7, now=NOW)
    second = generate(tickets=25, seed=7, now=NOW)
    tickets = list(Ticket.objects.order_by("number"))

    assert first.contacts_created > 0 and second.contacts_created == 0
    assert _shape(tickets[:25]) == _shape(tickets[25:])
    assert Agent.objects.count() == len(load_content()["agent"])
    assert Team.objects.count() == len(load_content()["team"])


def test_another_seed_builds_another_help_desk() -> None:
    generate(tickets=25, seed=8, now=NOW)
    generate(tickets=25, seed=9, now=NOW)
    tickets = list(Ticket.objects.order_by("number"))

    assert _shape(tickets[:25]) != _shape(tickets[25:])


def test_demo_speaks_the_target_languages() -> None:
    generate(tickets=50, seed=1, now=NOW)

    languages = set(Ticket.objects.values_list("language", flat=True))
    assert "en" in languages
    assert languages - {"en"}, "some tickets are written in the customers' own languages"
    assert {lang.code for lang in load_content().languages} == {"en", "zh-hans", "eo", "te", "bn", "lo"}


def test_zero_tickets_still_sets_up_the_people() -> None:
    summary = generate(tickets=0, seed=1, now=NOW)

    assert summary.tickets == 0 and summary.first_number is None
    assert Agent.objects.filter(user__username="admin@heedful.localhost", role="admin").exists()


def test_negative_ticket_count_is_refused() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        generate(tickets=-1, seed=1)
