"""Building a believable help desk in bulk: `generate(tickets=..., seed=...)`.

Speed over ceremony, on purpose: contacts go in with `bulk_create`, and tickets, events and
tag links with one prepared INSERT per table (bulk.py, a marked hot path), in batches of about
2,000 tickets, one transaction per batch. This bypasses the per-ticket actions
(tickets.actions.open_ticket, reply_to_ticket...), so the demo writes no webhooks, no realtime
notices and no audit entries, and runs no per-event checks: the stories are consistent by
construction instead (see stories.py and docs/decisions/0003). The fixed people (teams,
agents) still go through people.actions. Everything else in Heedful changes tickets through
the actions.

The result depends only on `seed` and `now`: the same pair gives the same help desk (ticket
numbers aside, which continue the shared sequence).
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from heedful.core import sequences
from heedful.core.maintenance import refresh_planner_statistics
from heedful.people.models import ContactIdentity
from heedful.tickets.models import Event, Ticket

from . import stories as st
from .bulk import insert_rows
from .cast import DemoSignIn, ensure_cast
from .contacts import DemoContact, ensure_contacts
from .content import load_content

Progress = Callable[[int, int], None]
BATCH_TICKETS = 2000
HISTORY_DAYS = 90


@dataclass
class Summary:
    tickets: int
    events: int
    contacts: int
    contacts_created: int
    first_number: int | None
    last_number: int | None
    seconds: float
    password: str
    sign_ins: list[DemoSignIn] = field(default_factory=list)
    sample_customer_email: str = ""


def _contact_count(tickets: int) -> int:
    """About four tickets per customer, some with many (repeat contacts), at most 25,000."""
    return max(10, min(25_000, tickets // 4))


def generate(
    *, tickets: int, seed: int, progress: Progress | None = None, events_per_ticket: int = 5,
    now: datetime.datetime | None = None, batch_size: int = BATCH_TICKETS,
) -> Summary:
    """Add `tickets` demo tickets (about `events_per_ticket` events each, created over the past
    90 days) to the database, with the people and settings they need."""
    if tickets < 0:
        raise ValueError("tickets must be zero or more")
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or timezone.now().replace(second=0, microsecond=0)
    content = load_content()
    cast = ensure_cast(content)
    contacts, contacts_created = ensure_contacts(
        rng=rng, content=content, organizations=cast.organizations, count=_contact_count(tickets)
    )
    numbers = sequences.reserve("ticket", tickets) if tickets else range(0)
    written_events = 0
    debt = 0  # events owed so that the total stays near tickets x events_per_ticket
    for start in range(0, tickets, batch_size):
        stories = []
        for number in numbers[start:start + batch_size]:
            age = rng.uniform(0, HISTORY_DAYS * st.DAY)
            created = now - datetime.timedelta(seconds=age)
            scenario = rng.choice(content.scenarios)
            contact = contacts[int(len(contacts) * rng.random() ** 1.6)]
            wanted = max(1, events_per_ticket + max(-2, min(2, debt)) + rng.randint(-1, 1))
            story = st.write_story(rng=rng, cast=cast, scenario=scenario, contact=contact,
                                   status=st.pick_status(rng, age), events=wanted, created_at=created)
            story.ticket.number = number
            debt += events_per_ticket - len(story.steps)
            stories.append((story, st.place_in_time(story, now)))
        with transaction.atomic():
            insert_rows(Ticket, st.TICKET_COLUMNS, [st.ticket_row(story.ticket) for story, _times in stories])
            ids = dict(Ticket.objects.filter(number__gte=stories[0][0].ticket.number,
                                             number__lte=stories[-1][0].ticket.number)
                       .values_list("number", "id"))
            events: list[tuple[Any, ...]] = []
            links: list[tuple[int, int]] = []
            for story, times in stories:
                story.ticket.pk = ids[story.ticket.number]
                events.extend(st.event_rows(story, times, message_id_base=f"demo{seed}"))
                links.extend((story.ticket.pk, tag_id) for tag_id in story.tag_ids)
            insert_rows(Event, st.EVENT_COLUMNS, events)
            insert_rows(Ticket.tags.through, ("ticket_id", "tag_id"), links)
        written_events += len(events)
        if progress is not None:
            progress(min(tickets, start + batch_size), tickets)
    refresh_planner_statistics(after_bulk_load=True)
    return Summary(
        tickets=tickets, events=written_events, contacts=len(contacts),
        contacts_created=contacts_created,
        first_number=numbers[0] if tickets else None, last_number=numbers[-1] if tickets else None,
        seconds=round(time.perf_counter() - started, 2), password=content.password,
        sign_ins=cast.sign_ins, sample_customer_email=_sample_customer_email(contacts),
    )


def _sample_customer_email(contacts: list[DemoContact]) -> str:
    """The e-mail of the busiest demo customer, to try the portal with."""
    if not contacts:
        return ""
    identity = ContactIdentity.objects.filter(
        contact_id=contacts[0].id, kind=ContactIdentity.Kind.EMAIL).first()
    return identity.value if identity else ""
