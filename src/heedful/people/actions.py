"""The one way to change people: contacts, identities, merges, agents and teams."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.identities import normalize_identity
from heedful.people.models import Agent, Contact, ContactIdentity, ContactMerge, Organization, Team

CONTACT_FIELDS = {
    "name", "organization", "is_organization_manager", "plan", "tier", "lifetime_value",
    "currency", "expertise", "language", "timezone", "expectations", "vip",
}


@dataclass(frozen=True)
class IdentityInput:
    kind: str
    value: str
    verified: bool = False


def check_identity_free(kind: str, normalized: str, *, except_contact: Contact | None = None) -> None:
    clash = ContactIdentity.objects.filter(kind=kind, normalized=normalized)
    if except_contact is not None:
        clash = clash.exclude(contact=except_contact)
    if clash.exists():
        raise HeedfulError(
            ErrorCode.DUPLICATE_IDENTITY,
            _("Another contact already has %(kind)s %(value)s.") % {"kind": kind, "value": normalized},
            fields={"identities": [_("Merge the two contacts instead.")]},
        )


def organization_for_email(email: str) -> Organization | None:
    return _organizations_by_domain().get(email.rpartition("@")[2].lower())


def _organizations_by_domain() -> dict[str, Organization]:
    return {
        domain.lower(): org
        for org in Organization.objects.exclude(domains=[]).only("id", "domains")
        for domain in org.domains
    }


def create_contact(
    *, name: str = "", identities: list[IdentityInput] | None = None, **profile: Any
) -> Contact:
    unknown = set(profile) - CONTACT_FIELDS
    if unknown:
        raise HeedfulError(
            ErrorCode.UNKNOWN_FIELD, _("Unknown contact fields."),
            fields={key: [_("Unknown field.")] for key in sorted(unknown)},
        )
    normalized = [(i, normalize_identity(i.kind, i.value)) for i in identities or []]
    for identity, norm in normalized:
        check_identity_free(identity.kind, norm)
    with transaction.atomic():
        contact = Contact(name=name.strip(), **profile)
        if contact.organization_id is None:
            emails = [n for i, n in normalized if i.kind == ContactIdentity.Kind.EMAIL]
            contact.organization = organization_for_email(emails[0]) if emails else None
        contact.save()
        try:
            ContactIdentity.objects.bulk_create(
                ContactIdentity(
                    contact=contact, kind=i.kind, value=i.value.strip(), normalized=norm,
                    verified=i.verified,
                )
                for i, norm in normalized
            )
        except IntegrityError:
            raise HeedfulError(
                ErrorCode.DUPLICATE_IDENTITY, _("An identity is listed twice or already taken.")
            ) from None
    return contact


def find_contact_by_identity(kind: str, value: str) -> Contact | None:
    try:
        normalized = normalize_identity(kind, value)
    except Invalid:
        return None
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(kind=kind, normalized=normalized)
        .first()
    )
    return identity.contact if identity else None


def get_or_create_contact_for_email(email: str, *, name: str = "") -> Contact:
    """The contact who owns this address, created (with the address) when we meet them first."""
    key = normalize_identity(ContactIdentity.Kind.EMAIL, email)  # a clear error for a non-address
    return contacts_for_emails([(email, name)])[key]


def email_key(address: str) -> str | None:
    """The normalised form contacts_for_emails keys by, or None for a string that is no address."""
    try:
        return normalize_identity(ContactIdentity.Kind.EMAIL, address)
    except Invalid:
        return None


def contacts_for_emails(addresses: Iterable[tuple[str, str]]) -> dict[str, Contact]:
    """The contacts who own these (address, display name) pairs, keyed by normalised address;
    those we meet first are created with their address. Strings that are no address are left
    out. One read for all, and one insert for all the new ones."""
    wanted: dict[str, tuple[str, str]] = {}
    for address, name in addresses:
        key = email_key(address)
        if key is not None and not wanted.get(key, ("", ""))[1]:
            wanted[key] = (address.strip(), name.strip())
    found = _contacts_by_email(list(wanted))
    missing = {key: wanted[key] for key in wanted if key not in found}
    if not missing:
        return found
    try:
        with transaction.atomic():
            found.update(_create_email_contacts(missing))
    except IntegrityError:
        # Another process created some of them a moment ago: take theirs, create the rest singly.
        found.update(_contacts_by_email(list(missing)))
        for key, (address, name) in missing.items():
            if key not in found:
                found[key] = create_contact(
                    name=name, identities=[IdentityInput(ContactIdentity.Kind.EMAIL, address)])
    return found


def _contacts_by_email(keys: list[str]) -> dict[str, Contact]:
    if not keys:
        return {}
    identities = ContactIdentity.objects.select_related("contact").filter(
        kind=ContactIdentity.Kind.EMAIL, normalized__in=keys)
    return {identity.normalized: identity.contact for identity in identities}


def _create_email_contacts(missing: dict[str, tuple[str, str]]) -> dict[str, Contact]:
    domains = _organizations_by_domain()
    contacts = Contact.objects.bulk_create(
        Contact(name=name, organization=domains.get(key.rpartition("@")[2]))
        for key, (_address, name) in missing.items()
    )
    ContactIdentity.objects.bulk_create(
        ContactIdentity(contact=contact, kind=ContactIdentity.Kind.EMAIL, value=address,
                        normalized=key)
        for contact, (key, (address, _name)) in zip(contacts, missing.items(), strict=True)
    )
    return dict(zip(missing, contacts, strict=True))


def update_contact(*, contact: Contact, changes: dict[str, Any]) -> Contact:
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        raise HeedfulError(
            ErrorCode.UNKNOWN_FIELD, _("Unknown contact fields."),
            fields={key: [_("Unknown field.")] for key in sorted(unknown)},
        )
    for key, value in changes.items():
        setattr(contact, key, value)
    contact.save()
    return contact


def add_identity(*, contact: Contact, kind: str, value: str, verified: bool = False) -> ContactIdentity:
    normalized = normalize_identity(kind, value)
    check_identity_free(kind, normalized, except_contact=contact)
    identity, _created = ContactIdentity.objects.get_or_create(
        kind=kind, normalized=normalized,
        defaults={"contact": contact, "value": value.strip(), "verified": verified},
    )
    return identity


def merge_contacts(*, source: Contact, target: Contact, actor: Any) -> Contact:
    """Fold `source` into `target`: identities, tickets, CCs and authored events move; the source
    stays as a pointer (merged_into) and a ContactMerge row records what moved."""
    if source.pk == target.pk:
        raise Invalid(_("A contact cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise Invalid(_("This contact was already merged."))
    from heedful.tickets.models import Event, Ticket

    with transaction.atomic():
        identity_ids = list(source.identities.values_list("id", flat=True))
        ticket_ids = list(Ticket.objects.filter(requester=source).values_list("id", flat=True))
        source.identities.update(contact=target)
        Ticket.objects.filter(requester=source).update(requester=target)
        cc_through = Ticket.participants.through
        for row in cc_through.objects.filter(contact=source):
            cc_through.objects.get_or_create(ticket_id=row.ticket_id, contact=target)
        cc_through.objects.filter(contact=source).delete()
        Event.objects.filter(author_contact=source).update(author_contact=target)
        # Keep what the target lacks from the source's profile.
        for field in ("name", "plan", "tier", "language", "timezone", "expectations"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
        if target.organization_id is None:
            target.organization_id = source.organization_id
        target.vip = target.vip or source.vip
        target.lifetime_value = target.lifetime_value + source.lifetime_value
        target.save()
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
        moved = {"identities": identity_ids, "tickets": ticket_ids}
        ContactMerge.objects.create(source=source, target=target, actor=actor, moved=moved)
        record_audit(actor=actor, action="contact.merge", target=target,
                     details={"source": source.pk, **moved})
    return target


def create_team(*, name: str, description: str = "") -> Team:
    if Team.objects.filter(name__iexact=name.strip()).exists():
        raise HeedfulError(ErrorCode.CONFLICT, _("A team with this name exists."),
                           fields={"name": [_("Choose another name.")]})
    return Team.objects.create(name=name.strip(), description=description)


def create_agent(
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    role: str = Agent.Role.AGENT,
    teams: list[Team] | None = None,
    languages: list[str] | None = None,
    timezone: str = "",
) -> Agent:
    """A Django user with an agent profile; admins also reach the admin site."""
    normalized = normalize_identity(ContactIdentity.Kind.EMAIL, email)
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=normalized).exists():
        raise HeedfulError(ErrorCode.CONFLICT, _("An agent with this e-mail exists."),
                           fields={"email": [_("Use another address.")]})
    if role not in Agent.Role.values:
        raise Invalid(_("Unknown role."), fields={"role": [_("Use admin, supervisor or agent.")]})
    with transaction.atomic():
        user = user_model.objects.create_user(
            username=normalized, email=normalized, password=password,
            is_staff=role == Agent.Role.ADMIN, is_superuser=role == Agent.Role.ADMIN,
        )
        agent = Agent.objects.create(
            user=user, display_name=display_name or normalized.split("@")[0], role=role,
            languages=languages or [], timezone=timezone,
        )
        if teams:
            agent.teams.set(teams)
    return agent


ORGANIZATION_FIELDS = {"name", "domains", "notes", "managers_see_tickets"}


def _clean_organization(changes: dict[str, Any], *, organization: Organization | None) -> dict[str, Any]:
    unknown = set(changes) - ORGANIZATION_FIELDS
    if unknown:
        raise HeedfulError(
            ErrorCode.UNKNOWN_FIELD, _("Unknown organization fields."),
            fields={key: [_("Unknown field.")] for key in sorted(unknown)},
        )
    cleaned = dict(changes)
    if "name" in cleaned:
        name = " ".join(str(cleaned["name"] or "").split())
        if not name:
            raise Invalid(_("An organization needs a name."), fields={"name": [_("This is required.")]})
        if len(name) > 200:
            raise Invalid(_("The name is too long."), fields={"name": [_("At most 200 characters.")]})
        clash = Organization.objects.filter(name__iexact=name)
        if organization is not None:
            clash = clash.exclude(pk=organization.pk)
        if clash.exists():
            raise HeedfulError(ErrorCode.CONFLICT, _("An organization with this name exists."),
                               fields={"name": [_("Choose another name.")]})
        cleaned["name"] = name
    if "domains" in cleaned:
        domains = []
        for domain in cleaned["domains"] or []:
            value = str(domain).strip().lower().lstrip("@")
            if not value or " " in value or "." not in value or "@" in value or len(value) > 253:
                raise Invalid(_("%(domain)s is not an e-mail domain.") % {"domain": domain},
                              fields={"domains": [_("Use domains such as example.com.")]})
            if value not in domains:
                domains.append(value)
        cleaned["domains"] = domains
    return cleaned


def create_organization(*, name: str, **fields: Any) -> Organization:
    cleaned = _clean_organization({"name": name, **fields}, organization=None)
    try:
        with transaction.atomic():
            return Organization.objects.create(**cleaned)
    except IntegrityError:  # created by another request a moment ago
        raise HeedfulError(ErrorCode.CONFLICT, _("An organization with this name exists."),
                           fields={"name": [_("Choose another name.")]}) from None


def update_organization(*, organization: Organization, changes: dict[str, Any]) -> Organization:
    for key, value in _clean_organization(changes, organization=organization).items():
        setattr(organization, key, value)
    organization.save()
    return organization
