"""Who may see or change what. Every view, API handler and selector asks here.

A viewer is either an agent (a Django user with an Agent profile) or a customer (a Contact signed
in to the portal). Objects a viewer may not see are answered as "not found" to the outside, so
that nobody learns that ticket #123 exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from heedful.core.errors import NotFound
from heedful.people.models import Agent, Contact
from heedful.tickets.models import Attachment, Event, Ticket


@dataclass(frozen=True)
class Viewer:
    agent: Agent | None = None
    contact: Contact | None = None

    @classmethod
    def for_user(cls, user: Any) -> Viewer:
        agent = getattr(user, "agent", None) if getattr(user, "is_authenticated", False) else None
        if agent is not None and not agent.is_active:
            agent = None
        return cls(agent=agent)

    @classmethod
    def for_contact(cls, contact: Contact) -> Viewer:
        return cls(contact=contact)

    @property
    def is_agent(self) -> bool:
        return self.agent is not None

    @property
    def user(self) -> Any:
        return self.agent.user if self.agent is not None else None

    @property
    def sees_everything(self) -> bool:
        return self.agent is not None and (
            self.agent.is_supervisor_or_admin or not self.agent.restricted_to_teams
        )


def cc_ticket_ids(contact_id: int) -> list[int]:
    return list(Ticket.participants.through.objects.filter(contact_id=contact_id)
                .values_list("ticket_id", flat=True))


def tickets_of_contact(contact_id: int) -> Q:
    """Requested or CC'd, as two indexed look-ups: an OR across the CC join would read every
    ticket."""
    return Q(requester_id=contact_id) | Q(id__in=cc_ticket_ids(contact_id))


def _customer_ticket_filter(contact: Contact) -> Q:
    visible = tickets_of_contact(contact.pk)
    if contact.is_organization_manager and contact.organization_id is not None:
        from heedful.core.models import SiteSettings

        org = contact.organization
        if SiteSettings.current().organization_managers_see_tickets and org and org.managers_see_tickets:
            visible |= Q(organization_id=contact.organization_id)
    return visible


def visible_tickets(viewer: Viewer, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    tickets = queryset if queryset is not None else Ticket.objects.all()
    if viewer.agent is not None:
        if viewer.sees_everything:
            return tickets
        team_ids = list(viewer.agent.teams.values_list("id", flat=True))
        return tickets.filter(Q(team_id__in=team_ids) | Q(assignee_id=viewer.agent.user_id))
    if viewer.contact is not None:
        return tickets.filter(_customer_ticket_filter(viewer.contact))
    return tickets.none()


def can_view_ticket(viewer: Viewer, ticket: Ticket) -> bool:
    return visible_tickets(viewer, Ticket.objects.filter(pk=ticket.pk)).exists()


def get_ticket_for(viewer: Viewer, ticket_id: int, *, by_number: bool = False) -> Ticket:
    lookup = {"number": ticket_id} if by_number else {"pk": ticket_id}
    ticket = (
        visible_tickets(viewer)
        .select_related("requester", "organization", "assignee__agent", "team")
        .filter(**lookup)
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def require_agent(viewer: Viewer) -> Agent:
    if viewer.agent is None:
        raise NotFound()
    return viewer.agent


def visible_events(viewer: Viewer, ticket: Ticket) -> QuerySet[Event]:
    events = Event.objects.filter(ticket=ticket)
    if viewer.agent is None:
        events = events.filter(public=True)
    return events


def get_attachment_for(viewer: Viewer, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("event", "ticket").filter(pk=attachment_id).first()
    )
    if attachment is None or not can_view_ticket(viewer, attachment.ticket):
        raise NotFound()
    if viewer.agent is None and (attachment.event is None or not attachment.event.public):
        raise NotFound()
    return attachment


def visible_contacts(viewer: Viewer, queryset: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    contacts = queryset if queryset is not None else Contact.objects.all()
    if viewer.agent is not None:
        return contacts
    if viewer.contact is not None:
        return contacts.filter(pk=viewer.contact.pk)
    return contacts.none()


def get_contact_for(viewer: Viewer, contact_id: int) -> Contact:
    contact = visible_contacts(viewer).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    return contact
