"""/api/v1/contacts, organizations, agents, teams and tags: input to actions, reads to output."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.responses import codes_4xx

from heedful.api.auth import acting_user, viewer
from heedful.api.idempotency import idempotent
from heedful.api.pagination import id_page
from heedful.api.people_schemas import (
    AgentList,
    AgentOut,
    ContactCreateIn,
    ContactList,
    ContactOut,
    ContactPatchIn,
    ContactQuery,
    IdentityIn,
    IdentityOut,
    OrganizationCreateIn,
    OrganizationList,
    OrganizationOut,
    OrganizationPatchIn,
    TagList,
    TeamList,
    TimelineList,
    agent_out,
    contact_out,
    identity_out,
    organization_out,
    tag_out,
    team_out,
    timeline_item_out,
)
from heedful.api.schemas import MAX_ID, ErrorOut, PageQuery, TargetIn
from heedful.core.errors import Invalid, NotFound
from heedful.people.actions import (
    IdentityInput,
    add_identity,
    create_contact,
    create_organization,
    update_contact,
    update_organization,
)
from heedful.people.models import Agent, Contact, ContactIdentity, Organization, Team
from heedful.policy import Permission, get_contact_for, require, visible_contacts
from heedful.tickets.contact_merge import merge_contacts
from heedful.tickets.models import Tag
from heedful.tickets.selectors import contact_timeline

router = Router(tags=["people"])

PathId = Path(..., ge=1, le=MAX_ID)


def _organization(field: str, org_id: int | None) -> Organization | None:
    if org_id is None:
        return None
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        raise Invalid(_("No organization with id %(id)s.") % {"id": org_id},
                      fields={field: [_("No such organization.")]})
    return org


def _contact_changes(sent: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in sent.items() if k not in {"organization_id", "identities"}}
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise Invalid(_("These fields cannot be null."),
                      fields={k: [_("Leave the field out instead.")] for k in nulls})
    if "organization_id" in sent:
        changes["organization"] = _organization("organization_id", sent["organization_id"])
    return changes


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    contact = get_contact_for(viewer(request), contact_id)
    return Contact.objects.prefetch_related("identities").get(pk=contact.pk)


@router.get("/contacts", response={200: ContactList, codes_4xx: ErrorOut})
def list_contacts(request: HttpRequest, filters: Query[ContactQuery]) -> Any:
    contacts = visible_contacts(viewer(request)).prefetch_related("identities")
    if filters.organization is not None:
        contacts = contacts.filter(organization_id=filters.organization)
    if text := (filters.q or "").strip():
        holders = ContactIdentity.objects.filter(normalized__icontains=text.lower()).values("contact_id")
        contacts = contacts.filter(Q(name__icontains=text) | Q(id__in=holders))
    page = id_page(contacts, cursor=filters.cursor, limit=filters.limit)
    return {"results": [contact_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/contacts", response={201: ContactOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def create_contact_view(request: HttpRequest, payload: ContactCreateIn) -> Any:
    sent = payload.model_dump(include=payload.model_fields_set)
    changes = _contact_changes(sent)
    name = changes.pop("name", "")
    require_contact_change(request, None, changes)
    identities = [IdentityInput(i.kind, i.value, i.verified) for i in payload.identities]
    contact = create_contact(name=name, identities=identities, **changes)
    return Status(201, contact_out(_contact(request, contact.pk)))


@router.get("/contacts/{id}", response={200: ContactOut, codes_4xx: ErrorOut})
def get_contact(request: HttpRequest, id: int = PathId) -> Any:
    return contact_out(_contact(request, id))


def require_contact_change(request: HttpRequest, contact: Contact | None, changes: dict[str, Any]) -> None:
    """Editing a profile needs the contact within reach; naming organization managers needs
    its own permission."""
    require(viewer(request), Permission.CONTACT_CHANGE, contact)
    current = contact.is_organization_manager if contact is not None else False
    if "is_organization_manager" in changes and changes["is_organization_manager"] != current:
        require(viewer(request), Permission.ORGANIZATION_MANAGERS)


@router.patch("/contacts/{id}", response={200: ContactOut, codes_4xx: ErrorOut})
def patch_contact(request: HttpRequest, payload: ContactPatchIn, id: int = PathId) -> Any:
    contact = get_contact_for(viewer(request), id)
    changes = _contact_changes(payload.model_dump(include=payload.model_fields_set))
    require_contact_change(request, contact, changes)
    if changes:
        update_contact(contact=contact, changes=changes, actor=acting_user(request))
    return contact_out(_contact(request, id))


@router.get("/contacts/{id}/timeline", response={200: TimelineList, codes_4xx: ErrorOut})
def get_contact_timeline(request: HttpRequest, page: Query[PageQuery], id: int = PathId) -> Any:
    """Every event of every ticket this contact requested or is copied on, on every channel,
    newest first; only tickets the caller may see."""
    contact = get_contact_for(viewer(request), id)
    result = contact_timeline(viewer(request), contact, page.cursor, page.limit)
    return {"results": [timeline_item_out(e) for e in result.items],
            "next_cursor": result.next_cursor}


@router.post("/contacts/{id}/identities", response={201: IdentityOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def add_contact_identity(request: HttpRequest, payload: IdentityIn, id: int = PathId) -> Any:
    contact = get_contact_for(viewer(request), id)
    require(viewer(request), Permission.IDENTITY_CHANGE, contact)
    identity = add_identity(contact=contact, kind=payload.kind, value=payload.value,
                            verified=payload.verified, actor=acting_user(request))
    return Status(201, identity_out(identity))


@router.post("/contacts/{id}/merge", response={200: ContactOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def merge_contact(request: HttpRequest, payload: TargetIn, id: int = PathId) -> Any:
    """Fold this contact into target_id; answers the target with every identity."""
    source = get_contact_for(viewer(request), id)
    try:
        target = get_contact_for(viewer(request), payload.target_id)
    except NotFound:
        raise Invalid(_("No contact with id %(id)s.") % {"id": payload.target_id},
                      fields={"target_id": [_("No such contact.")]}) from None
    require(viewer(request), Permission.CONTACT_MERGE, source)
    require(viewer(request), Permission.CONTACT_MERGE, target)
    merged = merge_contacts(source=source, target=target, actor=acting_user(request))
    return contact_out(_contact(request, merged.pk))


@router.get("/organizations", response={200: OrganizationList, codes_4xx: ErrorOut})
def list_organizations(request: HttpRequest, page: Query[PageQuery]) -> Any:
    result = id_page(Organization.objects.all(), cursor=page.cursor, limit=page.limit)
    return {"results": [organization_out(o) for o in result.items], "next_cursor": result.next_cursor}


@router.post("/organizations", response={201: OrganizationOut, codes_4xx: ErrorOut})
@decorate_view(idempotent)
def create_organization_view(request: HttpRequest, payload: OrganizationCreateIn) -> Any:
    require(viewer(request), Permission.ORGANIZATION_CHANGE)
    fields = payload.model_dump()
    org = create_organization(name=fields.pop("name"), **fields)
    return Status(201, organization_out(org))


def _org_or_404(org_id: int) -> Organization:
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        raise NotFound()
    return org


@router.get("/organizations/{id}", response={200: OrganizationOut, codes_4xx: ErrorOut})
def get_organization(request: HttpRequest, id: int = PathId) -> Any:
    return organization_out(_org_or_404(id))


@router.patch("/organizations/{id}", response={200: OrganizationOut, codes_4xx: ErrorOut})
def patch_organization(request: HttpRequest, payload: OrganizationPatchIn, id: int = PathId) -> Any:
    org = _org_or_404(id)
    require(viewer(request), Permission.ORGANIZATION_CHANGE, org)
    changes = payload.model_dump(include=payload.model_fields_set)
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise Invalid(_("These fields cannot be null."),
                      fields={k: [_("Leave the field out instead.")] for k in nulls})
    return organization_out(update_organization(organization=org, changes=changes,
                                                actor=acting_user(request)))


def _agents() -> Any:
    return Agent.objects.select_related("user").prefetch_related("teams")


@router.get("/agents", response={200: AgentList, codes_4xx: ErrorOut})
def list_agents(request: HttpRequest, page: Query[PageQuery]) -> Any:
    result = id_page(_agents(), cursor=page.cursor, limit=page.limit)
    return {"results": [agent_out(a) for a in result.items], "next_cursor": result.next_cursor}


@router.get("/agents/{id}", response={200: AgentOut, codes_4xx: ErrorOut})
def get_agent(request: HttpRequest, id: int = PathId) -> Any:
    agent = _agents().filter(pk=id).first()
    if agent is None:
        raise NotFound()
    return agent_out(agent)


@router.get("/teams", response={200: TeamList, codes_4xx: ErrorOut})
def list_teams(request: HttpRequest, page: Query[PageQuery]) -> Any:
    result = id_page(Team.objects.all(), cursor=page.cursor, limit=page.limit)
    return {"results": [team_out(t) for t in result.items], "next_cursor": result.next_cursor}


@router.get("/tags", response={200: TagList, codes_4xx: ErrorOut})
def list_tags(request: HttpRequest, page: Query[PageQuery]) -> Any:
    result = id_page(Tag.objects.all(), cursor=page.cursor, limit=page.limit)
    return {"results": [tag_out(t) for t in result.items], "next_cursor": result.next_cursor}
