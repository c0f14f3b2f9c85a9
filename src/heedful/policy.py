"""Who may see or change what. Every view, API handler and selector asks here.

A viewer is either an agent (a Django user with an Agent profile) or a customer (a Contact signed
in to the portal). Objects a viewer may not see are answered as "not found" to the outside, so
that nobody learns that ticket #123 exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedful.core.errors import ErrorCode, HeedfulError, NotFound
from heedful.people.models import Agent, Contact
from heedful.tickets.models import Attachment, Event, Ticket


@dataclass(frozen=True)
class Viewer:
    agent: Agent | None = None
    contact: Contact | None = None
    # A live-chat visitor who has not said who they are: the chat app's session key. Such a
    # viewer sees only the conversation it holds, and holds no permissions.
    visitor: str | None = None

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


class Permission(StrEnum):
    """What a viewer may do beyond seeing. Roles map to these (ROLE_PERMISSIONS); object rules in
    `can` narrow them further (a restricted agent changes only what they can see)."""

    TICKET_CHANGE = "ticket.change"
    TICKET_MERGE = "ticket.merge"
    CONTACT_CHANGE = "contact.change"
    CONTACT_MERGE = "contact.merge"
    IDENTITY_CHANGE = "identity.change"
    ORGANIZATION_CHANGE = "organization.change"
    ORGANIZATION_MANAGERS = "organization.managers"
    SETTINGS_MANAGE = "settings.manage"
    AGENTS_MANAGE = "agents.manage"
    REPORTS_VIEW = "reports.view"
    APPROVE = "approval.decide"


PERMISSION_LABELS: dict[Permission, Any] = {
    Permission.TICKET_CHANGE: gettext_lazy("Reply to and change tickets"),
    Permission.TICKET_MERGE: gettext_lazy("Merge and split tickets"),
    Permission.CONTACT_CHANGE: gettext_lazy("Edit customers' profiles"),
    Permission.CONTACT_MERGE: gettext_lazy("Merge customers"),
    Permission.IDENTITY_CHANGE: gettext_lazy("Add and remove customers' addresses and numbers"),
    Permission.ORGANIZATION_CHANGE: gettext_lazy("Edit organizations"),
    Permission.ORGANIZATION_MANAGERS: gettext_lazy("Make customers organization managers"),
    Permission.SETTINGS_MANAGE: gettext_lazy(
        "Manage saved replies, custom fields, teams, mailboxes and contact options"),
    Permission.AGENTS_MANAGE: gettext_lazy("Manage agents and roles"),
    Permission.REPORTS_VIEW: gettext_lazy("See reports"),
    Permission.APPROVE: gettext_lazy("Approve credits and exceptions"),
}

_AGENT = frozenset({
    Permission.TICKET_CHANGE, Permission.TICKET_MERGE, Permission.CONTACT_CHANGE,
    Permission.IDENTITY_CHANGE, Permission.ORGANIZATION_CHANGE,
})
_SUPERVISOR = _AGENT | {
    Permission.CONTACT_MERGE, Permission.ORGANIZATION_MANAGERS, Permission.SETTINGS_MANAGE,
    Permission.REPORTS_VIEW, Permission.APPROVE,
}
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Agent.Role.AGENT: _AGENT,
    Agent.Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Agent.Role.ADMIN: frozenset(Permission),
}


def permissions_of(viewer: Viewer) -> frozenset[Permission]:
    if viewer.agent is None:
        return frozenset()
    return ROLE_PERMISSIONS.get(viewer.agent.role, frozenset())


def can(viewer: Viewer, permission: Permission | str, obj: Any = None) -> bool:
    """May this viewer do this (to this object)? The role grants the permission; the object
    must also be within the viewer's reach."""
    permission = Permission(permission)
    if permission not in permissions_of(viewer):
        return False
    if obj is None:
        return True
    if isinstance(obj, Ticket):
        return can_view_ticket(viewer, obj)
    if isinstance(obj, Contact):
        return can_reach_contact(viewer, obj)
    return True


def require(viewer: Viewer, permission: Permission | str, obj: Any = None) -> None:
    """Raise a 403 with a message a person understands unless `can` says yes."""
    if not can(viewer, permission, obj):
        raise HeedfulError(ErrorCode.PERMISSION_DENIED,
                           _("You do not have permission to do this."))


def can_reach_contact(viewer: Viewer, contact: Contact) -> bool:
    """A restricted agent reaches only the customers of tickets they can see."""
    if viewer.agent is None:
        return False
    if viewer.sees_everything:
        return True
    return visible_tickets(viewer, Ticket.objects.filter(tickets_of_contact(contact.pk))).exists()
