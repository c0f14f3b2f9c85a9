"""One ticket's story: who wrote what, in which order and when, consistent with its status."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from heedful.core.html import sanitize_html, text_to_html
from heedful.tickets.models import Channel, Event, Ticket

from .cast import Cast
from .contacts import DemoContact
from .content import Scenario

S = Ticket.Status
K = Event.Kind
MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR
CHANNELS = [(Channel.EMAIL, 45), (Channel.PORTAL, 20), (Channel.CHAT, 15), (Channel.PHONE, 10),
            (Channel.SOCIAL, 7), (Channel.API, 3)]
PRIORITIES: list[str] = [
    Ticket.Priority.LOW, Ticket.Priority.NORMAL, Ticket.Priority.HIGH, Ticket.Priority.URGENT,
]
# Status mix by the ticket's age: recent tickets are still being worked on, old ones are done.
STATUS_BY_AGE = [
    (1 * DAY, [(S.NEW, 35), (S.OPEN, 35), (S.PENDING, 12), (S.SOLVED, 18)]),
    (7 * DAY, [(S.NEW, 4), (S.OPEN, 30), (S.PENDING, 20), (S.ON_HOLD, 6), (S.SOLVED, 35), (S.CLOSED, 5)]),
    (30 * DAY, [(S.OPEN, 10), (S.PENDING, 8), (S.ON_HOLD, 4), (S.SOLVED, 38), (S.CLOSED, 40)]),
    (float("inf"), [(S.OPEN, 2), (S.PENDING, 2), (S.ON_HOLD, 1), (S.SOLVED, 10), (S.CLOSED, 85)]),
]
# Events every ticket of a status has before any extra exchange, note or manual assignment.
BASE_EVENTS: dict[str, int] = {S.NEW: 1, S.OPEN: 2, S.PENDING: 3, S.ON_HOLD: 3, S.SOLVED: 3, S.CLOSED: 4}


@lru_cache(maxsize=4096)
def as_html(text: str) -> str:
    """What tickets.timeline.append_event stores for a plain-text body (bodies repeat, so
    the cache makes this free)."""
    return sanitize_html(text_to_html(text))


@dataclass
class Step:
    kind: str
    delay: float  # seconds after the previous step
    author_user: int | None = None
    author_contact: int | None = None
    channel: str = Channel.AGENT
    public: bool = False
    body: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def pick_status(rng: random.Random, age: float) -> str:
    for limit, mix in STATUS_BY_AGE:
        if age < limit:
            return str(_weighted(rng, mix))
    raise AssertionError("unreachable")


def pick_assignee(rng: random.Random, cast: Cast, team: str, language: str) -> int:
    members = cast.team_members[team]
    speakers = [m for m in members if language in cast.agent_languages.get(m, [])]
    return rng.choice(speakers if speakers and rng.random() < 0.8 else members)


@dataclass
class Story:
    ticket: Ticket
    steps: list[Step]
    tag_ids: list[int]


def _status(before: str, after: str, actor: int | None, delay: float = 0.0) -> Step:
    return Step(K.STATUS, delay, author_user=actor, data={"from": before, "to": after, "reopen": False})


def write_story(
    *, rng: random.Random, cast: Cast, scenario: Scenario, contact: DemoContact, status: str,
    events: int, created_at: datetime.datetime,
) -> Story:
    """The ticket (without number or times yet) and its steps, `events` long where the status
    allows it."""
    language, text = scenario.text(contact.language)
    channel = _weighted(rng, CHANNELS)
    priority = scenario.priority if rng.random() < 0.6 else rng.choice(PRIORITIES)
    if contact.vip and priority != Ticket.Priority.URGENT:
        priority = PRIORITIES[PRIORITIES.index(priority) + 1]
    team: str | None = scenario.team
    assignee = pick_assignee(rng, cast, scenario.team, language) if status != S.NEW else None

    def customer_says(delay: float, body: str) -> Step:
        return Step(K.MESSAGE_IN, delay, author_contact=contact.id, channel=channel, public=True, body=body)

    def agent_writes(kind: str, delay: float, body: str) -> Step:
        return Step(kind, delay, author_user=assignee, public=kind == K.MESSAGE_OUT, body=body)

    steps = [customer_says(0, text["message"])]
    spare = max(0, events - BASE_EVENTS[status])
    if status == S.NEW:
        if spare and rng.random() < 0.5:
            steps.append(Step(K.NOTE, rng.uniform(5 * MINUTE, 3 * HOUR), author_user=cast.supervisor_user_id,
                              body=rng.choice(scenario.notes)))
        team = team if rng.random() < 0.6 else None
    else:
        if spare >= 2 and rng.random() < 0.7:  # assigned by a supervisor, not by routing
            spare -= 2
            steps.append(Step(K.ASSIGNMENT, rng.uniform(2 * MINUTE, 2 * HOUR),
                              author_user=cast.supervisor_user_id,
                              data={"from_assignee": None, "to_assignee": assignee, "from_team": None,
                                    "to_team": cast.teams[scenario.team], "reason": ""}))
            steps.append(_status(S.NEW, S.OPEN, cast.supervisor_user_id))
        steps.append(agent_writes(K.MESSAGE_OUT, rng.uniform(10 * MINUTE, 8 * HOUR), text["reply"]))
        for _round in range(3):
            if spare < 2:
                break
            spare -= 2
            steps.append(customer_says(rng.uniform(HOUR, 2 * DAY), text["followup"]))
            steps.append(agent_writes(K.MESSAGE_OUT, rng.uniform(10 * MINUTE, 8 * HOUR), text["answer"]))
        closing = status in {S.SOLVED, S.CLOSED} and spare > 0  # a last word before solving
        for _note in range(spare - closing):
            steps.append(agent_writes(K.NOTE, rng.uniform(MINUTE, HOUR), rng.choice(scenario.notes)))
        if closing:
            steps.append(agent_writes(K.MESSAGE_OUT, rng.uniform(HOUR, DAY), text["closing"]))
        if status in {S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED}:
            target = S.SOLVED if status == S.CLOSED else status
            steps.append(_status(S.OPEN, target, assignee))
        if status == S.CLOSED:
            steps.append(_status(S.SOLVED, S.CLOSED, None, rng.uniform(3 * DAY, 5 * DAY)))

    tags = list(scenario.tags) + (["vip"] if contact.vip else [])
    custom_fields: dict[str, Any] = {}
    if rng.random() < 0.7:
        custom_fields["product_area"] = scenario.product_area
    if contact.organization_id is not None and rng.random() < 0.5:
        custom_fields["seats"] = rng.choice([5, 10, 25, 50, 120])
    ticket = Ticket(
        subject=text["subject"], status=status, priority=priority,
        priority_rank=Ticket.PRIORITY_RANK[priority], channel=channel,
        requester_id=contact.id, organization_id=contact.organization_id, assignee_id=assignee,
        team_id=cast.teams[team] if team else None, language=language, custom_fields=custom_fields,
        created_at=created_at, updated_at=created_at,
    )
    return Story(ticket=ticket, steps=steps, tag_ids=[cast.tags[t] for t in tags if t in cast.tags])


def place_in_time(story: Story, now: datetime.datetime) -> list[datetime.datetime]:
    """Times for every step, squeezed (in proportion) when the story would end in the future;
    the ticket's own times follow from them."""
    ticket = story.ticket
    offsets, total = [], 0.0
    for step in story.steps:
        total += step.delay
        offsets.append(total)
    room = (now - ticket.created_at).total_seconds() - MINUTE
    scale = min(1.0, room / total) if total > 0 and room > 0 else (1.0 if total == 0 else 0.0)
    times = [ticket.created_at + datetime.timedelta(seconds=o * scale) for o in offsets]
    for step, at in zip(story.steps, times, strict=True):
        if step.kind == K.MESSAGE_IN:
            ticket.last_customer_message_at = at
        elif step.kind == K.MESSAGE_OUT and ticket.first_response_at is None:
            ticket.first_response_at = at
        elif step.kind == K.STATUS and step.data["to"] == S.SOLVED:
            ticket.solved_at = at
        elif step.kind == K.STATUS and step.data["to"] == S.CLOSED:
            ticket.closed_at = at
    ticket.updated_at = times[-1]
    return times


EVENT_COLUMNS = ("ticket_id", "kind", "author_user_id", "author_contact_id", "channel", "public",
                 "body_text", "body_html", "full_text", "language", "message_id", "flags", "data",
                 "created_at")
TICKET_COLUMNS = ("number", "subject", "status", "priority", "priority_rank", "channel",
                  "requester_id", "organization_id", "assignee_id", "team_id", "language", "custom_fields",
                  "created_at", "updated_at", "solved_at", "closed_at", "first_response_at",
                  "last_customer_message_at", "reopen_count")


def ticket_row(ticket: Ticket) -> tuple[Any, ...]:
    return tuple(getattr(ticket, column) for column in TICKET_COLUMNS)


def event_rows(
    story: Story, times: list[datetime.datetime], *, message_id_base: str
) -> list[tuple[Any, ...]]:
    """The story's events as rows in EVENT_COLUMNS order (the ticket must have its id)."""
    ticket = story.ticket
    rows: list[tuple[Any, ...]] = []
    for index, (step, at) in enumerate(zip(story.steps, times, strict=True)):
        message_id = ""
        if step.kind == K.MESSAGE_IN and step.channel == Channel.EMAIL:
            message_id = f"<{message_id_base}.{ticket.number}.{index}@mail.example>"
        rows.append((
            ticket.pk, step.kind, step.author_user, step.author_contact, step.channel, step.public,
            step.body, as_html(step.body) if step.body else "", "",
            ticket.language if step.kind != K.NOTE and step.body else "", message_id, [], step.data, at,
        ))
    return rows
