"""Schemas of contacts (with identities), organizations, agents, teams and tags."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from ninja import Schema
from pydantic import AfterValidator, Field

from heedful.api.schemas import In, ObjectId, PageQuery
from heedful.api.ticket_schemas import AuthorOut, author_out
from heedful.people.models import Agent, Contact, ContactIdentity, Organization, Team
from heedful.tickets.models import Event, Tag

IdentityKind = Literal["email", "phone", "chat", "social"]
Expertise = Literal["", "novice", "intermediate", "expert"]
AgentRole = Literal["admin", "supervisor", "agent"]


def _time_zone(value: str) -> str:
    if value:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("Unknown time zone; use an IANA name such as Europe/Paris.") from None
    return value


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]


class IdentityOut(Schema):
    id: int
    kind: IdentityKind
    value: str
    verified: bool


class ContactOut(Schema):
    id: int
    name: str
    email: str = Field(description="The first e-mail identity, if any.")
    organization: int | None = Field(description="Organization id.")
    is_organization_manager: bool
    plan: str
    tier: str
    lifetime_value: Decimal
    currency: str
    expertise: Expertise
    language: str
    timezone: str
    expectations: str
    vip: bool
    merged_into: int | None
    identities: list[IdentityOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ContactList(Schema):
    results: list[ContactOut]
    next_cursor: str | None


class IdentityIn(In):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)
    verified: bool = False


class ContactFieldsIn(In):
    organization_id: ObjectId | None = None
    is_organization_manager: bool | None = None
    plan: str | None = Field(None, max_length=100)
    tier: str | None = Field(None, max_length=50)
    lifetime_value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    expertise: Expertise | None = None
    language: str | None = Field(None, max_length=16)
    timezone: TimeZoneName | None = None
    expectations: str | None = Field(None, max_length=10_000)
    vip: bool | None = None


class ContactCreateIn(ContactFieldsIn):
    name: str = Field("", max_length=200)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class ContactPatchIn(ContactFieldsIn):
    name: str | None = Field(None, max_length=200)


class ContactQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Part of the name or of an identity.")
    organization: ObjectId | None = None


class TimelineItemOut(Schema):
    """One event of a contact's timeline, with the ticket it belongs to."""

    id: int
    ticket: int = Field(description="Ticket id.")
    ticket_number: int
    ticket_subject: str
    kind: str
    channel: str = Field(description="Where the words were written (email, phone, portal, agent...).")
    created_at: datetime.datetime
    public: bool = Field(description="Visible to the customer.")
    author: AuthorOut
    body_text: str
    data: dict[str, Any] = Field(description="Before/after values and references, by kind.")


class TimelineList(Schema):
    results: list[TimelineItemOut]
    next_cursor: str | None


class OrganizationOut(Schema):
    id: int
    name: str
    domains: list[str]
    notes: str
    managers_see_tickets: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OrganizationList(Schema):
    results: list[OrganizationOut]
    next_cursor: str | None


class OrganizationCreateIn(In):
    name: str = Field(min_length=1, max_length=200)
    domains: list[Annotated[str, Field(max_length=253)]] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=10_000)
    managers_see_tickets: bool = True


class OrganizationPatchIn(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    domains: list[Annotated[str, Field(max_length=253)]] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=10_000)
    managers_see_tickets: bool | None = None


class AgentOut(Schema):
    id: int
    name: str
    email: str
    role: AgentRole
    teams: list[int]
    languages: list[str]
    timezone: str
    is_active: bool
    restricted_to_teams: bool


class AgentList(Schema):
    results: list[AgentOut]
    next_cursor: str | None


class TeamOut(Schema):
    id: int
    name: str
    description: str


class TeamList(Schema):
    results: list[TeamOut]
    next_cursor: str | None


class TagOut(Schema):
    id: int
    name: str


class TagList(Schema):
    results: list[TagOut]
    next_cursor: str | None


def identity_out(identity: ContactIdentity) -> IdentityOut:
    return IdentityOut(id=identity.pk, kind=cast(IdentityKind, identity.kind), value=identity.value,
                       verified=identity.verified)


def contact_out(contact: Contact) -> ContactOut:
    """Needs identities prefetched."""
    identities = list(contact.identities.all())
    return ContactOut(
        id=contact.pk, name=contact.name, email=contact.primary_email,
        organization=contact.organization_id, is_organization_manager=contact.is_organization_manager,
        plan=contact.plan, tier=contact.tier, lifetime_value=contact.lifetime_value,
        currency=contact.currency, expertise=cast(Expertise, contact.expertise), language=contact.language,
        timezone=contact.timezone, expectations=contact.expectations, vip=contact.vip,
        merged_into=contact.merged_into_id, identities=[identity_out(i) for i in identities],
        created_at=contact.created_at, updated_at=contact.updated_at,
    )


def timeline_item_out(event: Event) -> TimelineItemOut:
    """Needs ticket, author_user__agent and author_contact selected (contact_timeline does)."""
    return TimelineItemOut(
        id=event.pk, ticket=event.ticket_id, ticket_number=event.ticket.number,
        ticket_subject=event.ticket.subject, kind=event.kind, channel=event.channel,
        created_at=event.created_at, public=event.public, author=author_out(event),
        body_text=event.body_text, data=event.data or {},
    )


def organization_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.pk, name=org.name, domains=[str(d) for d in org.domains or []], notes=org.notes,
        managers_see_tickets=org.managers_see_tickets, created_at=org.created_at,
        updated_at=org.updated_at,
    )


def agent_out(agent: Agent) -> AgentOut:
    """Needs user selected and teams prefetched."""
    return AgentOut(
        id=agent.pk, name=str(agent), email=agent.user.email, role=cast(AgentRole, agent.role),
        teams=sorted(t.pk for t in agent.teams.all()), languages=[str(x) for x in agent.languages or []],
        timezone=agent.timezone, is_active=agent.is_active, restricted_to_teams=agent.restricted_to_teams,
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(id=team.pk, name=team.name, description=team.description)


def tag_out(tag: Tag) -> TagOut:
    return TagOut(id=tag.pk, name=tag.name)
