"""Factories and story helpers shared by every test: make_agent, make_contact, make_ticket."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from heedful.people.actions import IdentityInput, create_agent, create_contact
from heedful.people.models import Agent, Contact, ContactIdentity, Organization, Team
from heedful.tickets.actions import open_ticket, reply_to_ticket
from heedful.tickets.attachments import Upload
from heedful.tickets.models import Channel, CustomFieldDefinition, Event, SavedReply, Ticket

PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomFieldDefinition

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    type = CustomFieldDefinition.Type.TEXT


class SavedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedReply

    title = factory.Sequence(lambda n: f"Saved reply {n}")
    body = "Hello {{ customer.first_name }}, ticket #{{ ticket.number }}. {{ agent.name }}"


_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_agent(
    *, email: str | None = None, role: str = Agent.Role.AGENT, teams: list[Team] | None = None,
    restricted: bool = False, name: str = "", password: str = PASSWORD, **extra: Any,
) -> Agent:
    agent = create_agent(
        email=email or f"agent{_next()}@example.com", password=password,
        display_name=name or f"Agent {_counter['n']}", role=role, teams=teams,
    )
    if restricted or extra:
        agent.restricted_to_teams = restricted
        for key, value in extra.items():
            setattr(agent, key, value)
        agent.save()
    return agent


def make_contact(*, email: str | None = None, name: str = "", **profile: Any) -> Contact:
    address = email or f"customer{_next()}@example.org"
    return create_contact(
        name=name or f"Customer {_counter['n']}",
        identities=[IdentityInput(ContactIdentity.Kind.EMAIL, address)], **profile,
    )


def make_ticket(
    *, requester: Contact | None = None, subject: str = "Printer on fire",
    body: str = "It is on fire, please help.", channel: str = Channel.PORTAL, **extra: Any,
) -> Ticket:
    return open_ticket(
        requester=requester or make_contact(), subject=subject, body=body, channel=channel,
        **extra,
    )


def agent_reply(ticket: Ticket, agent: Agent, body: str = "We are on it.", **extra: Any) -> Event:
    return reply_to_ticket(ticket=ticket, body=body, author_user=agent.user, **extra)


def customer_reply(ticket: Ticket, contact: Contact | None = None, body: str = "Thanks!",
                   **extra: Any) -> Event:
    return reply_to_ticket(ticket=ticket, body=body,
                           author_contact=contact or ticket.requester, **extra)


def upload(name: str = "report.txt", content: bytes = b"hello", content_type: str = "text/plain") -> Upload:
    return Upload(filename=name, content=content, content_type=content_type)


User = get_user_model()
