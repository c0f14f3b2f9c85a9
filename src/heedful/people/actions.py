"""The one way to change people: contacts, identities, merges, agents and teams."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.changes import apply_changes, refuse_unknown
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.core.locks import hold_until_commit
from heedful.people.identities import normalize_identity
from heedful.people.models import Agent, Contact, ContactIdentity, Organization, Team

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
    profile = _clean_contact(profile)
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


def check_live(contact: Contact) -> None:
    """A merged contact is only a pointer: what is added to it would be lost from view."""
    if contact.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT, _(
            "This contact was merged into another one; change that one instead."))


def _clean_contact(changes: dict[str, Any]) -> dict[str, Any]:
    """Profile values as they are stored, or Invalid naming the field: every write path (agent
    UI, API, portal) gets the same answers."""
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        raise HeedfulError(
            ErrorCode.UNKNOWN_FIELD, _("Unknown contact fields."),
            fields={key: [_("Unknown field.")] for key in sorted(unknown)},
        )
    cleaned = dict(changes)
    for field, limit in _TEXT_LIMITS.items():
        if field in cleaned:
            value = str(cleaned[field] or "").strip()
            if field != "expectations":
                value = " ".join(value.split())
            if len(value) > limit:
                raise Invalid(_("This is too long."), fields={
                    field: [_("At most %(count)s characters.") % {"count": limit}]})
            cleaned[field] = value
    if cleaned.get("timezone"):
        try:
            zoneinfo.ZoneInfo(cleaned["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise Invalid(_("Unknown time zone."), fields={
                "timezone": [_("Use a name such as Europe/Paris or Asia/Vientiane.")]}) from None
    if "currency" in cleaned:
        currency = str(cleaned["currency"] or "").strip().upper()
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            raise Invalid(_("Unknown currency."), fields={
                "currency": [_("Use a three-letter code such as EUR or USD.")]})
        cleaned["currency"] = currency
    if "lifetime_value" in cleaned:
        cleaned["lifetime_value"] = _money(cleaned["lifetime_value"])
    if "expertise" in cleaned and cleaned["expertise"] not in Contact.Expertise.values:
        raise Invalid(_("Unknown expertise."), fields={
            "expertise": [_("Use novice, intermediate or expert, or leave it empty.")]})
    for flag in ("vip", "is_organization_manager"):
        if flag in cleaned:
            cleaned[flag] = bool(cleaned[flag])
    organization = cleaned.get("organization")
    if organization is not None and not isinstance(organization, Organization):
        raise Invalid(_("No such organization."), fields={"organization": [_("No such organization.")]})
    return cleaned


_TEXT_LIMITS = {"name": 200, "plan": 100, "tier": 50, "language": 16, "timezone": 64,
                "expectations": 10_000}
# The column holds 14 digits, two of them after the point.
_MAX_MONEY = Decimal("999999999999.99")


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite() or not -_MAX_MONEY <= amount <= _MAX_MONEY:
        raise Invalid(_("Enter an amount."), fields={
            "lifetime_value": [_("A number such as 1250.00.")]})
    return amount.quantize(Decimal("0.01"))


def update_contact(*, contact: Contact, changes: dict[str, Any], actor: Any = None) -> Contact:
    """Change a contact's profile. Staff changes (an actor) are audited with before and after;
    a customer editing their own profile on the portal passes no actor."""
    check_live(contact)
    cleaned = _clean_contact(changes)
    changed = {key: value for key, value in cleaned.items() if getattr(contact, key) != value}
    if not changed:
        return contact
    before = {key: _audit_value(getattr(contact, key)) for key in changed}
    with transaction.atomic():
        for key, value in changed.items():
            setattr(contact, key, value)
        contact.save()
        if actor is not None:
            record_audit(actor=actor, action="contact.change", target=contact, details={
                "changes": {key: [before[key], _audit_value(value)] for key, value in changed.items()}})
    return contact


def _audit_value(value: Any) -> Any:
    if isinstance(value, Organization):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def add_identity(
    *, contact: Contact, kind: str, value: str, verified: bool = False, actor: Any = None,
) -> ContactIdentity:
    """Give a contact another address, number or handle. `verified` is for proof the customer
    gave (a sign-in link they opened); what staff type in is never proof, so the agent UI and
    the API leave it False."""
    check_live(contact)
    normalized = normalize_identity(kind, value)
    check_identity_free(kind, normalized, except_contact=contact)
    with transaction.atomic():
        identity, created = ContactIdentity.objects.get_or_create(
            kind=kind, normalized=normalized,
            defaults={"contact": contact, "value": value.strip(), "verified": verified},
        )
        if created and actor is not None:
            record_audit(actor=actor, action="contact.identity.add", target=contact,
                         details={"kind": kind, "value": identity.value})
    return identity


def remove_identity(*, identity: ContactIdentity, actor: Any) -> None:
    """Take an address, number or handle away from its contact; the last one stays, so that
    nobody becomes unreachable by accident."""
    contact = identity.contact
    with transaction.atomic():
        others = (ContactIdentity.objects.select_for_update()
                  .filter(contact=contact).exclude(pk=identity.pk))
        if not others.exists():
            raise HeedfulError(ErrorCode.CONFLICT, _(
                "This is the contact's only address or number: add another before removing it."))
        ContactIdentity.objects.filter(pk=identity.pk).delete()
        record_audit(actor=actor, action="contact.identity.remove", target=contact,
                     details={"kind": identity.kind, "value": identity.value})


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


def check_password(password: str, *, user: Any) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS), each problem named."""
    try:
        validate_password(password, user)
    except ValidationError as problem:
        raise Invalid(_("The password was refused."),
                      fields={"password": list(problem.messages)}) from None


def set_up_admin(*, email: str, password: str, display_name: str = "", actor: Any = None,
                 ) -> tuple[Agent, bool]:
    """The admin with this e-mail: created, or when the agent exists, given this password and
    the admin role (the way back in for a desk whose admin is locked out). The password passes
    the validators either way, and both are audited. Answers the agent and whether it is new."""
    normalized = normalize_identity(ContactIdentity.Kind.EMAIL, email)
    existing = Agent.objects.select_related("user").filter(user__username__iexact=normalized).first()
    if existing is None:
        check_password(password, user=get_user_model()(username=normalized, email=normalized))
        with transaction.atomic():
            agent = create_agent(email=normalized, password=password, display_name=display_name,
                                 role=Agent.Role.ADMIN)
            record_audit(actor=actor, action="agent.create", target=agent,
                         details={"role": agent.role})
        return agent, True
    user = existing.user
    check_password(password, user=user)
    with transaction.atomic():
        role_before = existing.role
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["password", "is_staff", "is_superuser"])
        existing.role = Agent.Role.ADMIN
        existing.save(update_fields=["role"])
        record_audit(actor=actor, action="agent.password_reset", target=existing,
                     details={"role_before": role_before, "role": existing.role})
    return existing, False


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


def update_organization(
    *, organization: Organization, changes: dict[str, Any], actor: Any = None,
) -> Organization:
    cleaned = _clean_organization(changes, organization=organization)
    changed = {key: value for key, value in cleaned.items() if getattr(organization, key) != value}
    if not changed:
        return organization
    before = {key: getattr(organization, key) for key in changed}
    try:
        with transaction.atomic():
            for key, value in changed.items():
                setattr(organization, key, value)
            organization.save()
            if actor is not None:
                record_audit(actor=actor, action="organization.change", target=organization,
                             details={"changes": {k: [before[k], v] for k, v in changed.items()}})
    except IntegrityError:  # renamed by another request a moment ago
        raise HeedfulError(ErrorCode.CONFLICT, _("An organization with this name exists."),
                           fields={"name": [_("Choose another name.")]}) from None
    return organization


TEAM_FIELDS = frozenset({"name", "description", "members"})


def _team_name_taken(name: str) -> HeedfulError:
    return HeedfulError(ErrorCode.CONFLICT, _("A team with this name exists."),
                        fields={"name": [_("Another team is called %(name)s: choose another name.")
                                         % {"name": name}]})


def _clean_team(values: dict[str, Any], *, team: Team | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        errors["name"] = [_("Give the team a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    description = str(values.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = [_("At most 2,000 characters.")]
    members = list(dict.fromkeys(values.get("members") or []))
    if any(not isinstance(member, Agent) or not member.is_active for member in members):
        errors["members"] = [_("Choose members among the active agents.")]
    if errors:
        raise Invalid(_("The team was not saved: see the marked fields."), fields=errors)
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise _team_name_taken(name)
    return {"name": name, "description": description, "members": members}


def set_up_team(*, actor: Any, name: str, description: str = "",
                members: Iterable[Agent] = ()) -> Team:
    """A new team with its members, audited (create_team is the bare step demo data uses)."""
    cleaned = _clean_team({"name": name, "description": description, "members": list(members)},
                          team=None)
    try:
        with transaction.atomic():
            team = create_team(name=cleaned["name"], description=cleaned["description"])
            team.agents.set(cleaned["members"])
            record_audit(actor=actor, action="team.create", target=team, details={
                "name": team.name, "members": sorted(m.pk for m in cleaned["members"])})
    except IntegrityError:  # created by another request a moment ago
        raise _team_name_taken(cleaned["name"]) from None
    return team


def update_team(*, team: Team, actor: Any, changes: dict[str, Any]) -> Team:
    """Rename, describe or change who belongs: only the keys given change."""
    refuse_unknown(changes, TEAM_FIELDS)
    current_members = list(team.agents.all())
    cleaned = _clean_team({"name": team.name, "description": team.description,
                           "members": current_members, **changes}, team=team)
    members = cleaned.pop("members")
    before, after = sorted(m.pk for m in current_members), sorted(m.pk for m in members)
    try:
        with transaction.atomic():
            changed = apply_changes(team, cleaned)
            if changed:
                team.save()
            if before != after:
                team.agents.set(members)
                changed["members"] = {"before": before, "after": after}
            if changed:
                record_audit(actor=actor, action="team.update", target=team,
                             details={"changes": changed})
    except IntegrityError:
        raise _team_name_taken(cleaned["name"]) from None
    return team


def change_agent_role(*, agent: Agent, role: str, actor: Any) -> Agent:
    """Give an agent another role (policy.ROLE_PERMISSIONS says what each may do). Admins also
    reach the admin site, as create_agent arranges; the last active admin keeps the role, so
    that somebody can still manage agents."""
    if role not in Agent.Role.values:
        raise Invalid(_("Unknown role."), fields={"role": [_("Use admin, supervisor or agent.")]})
    with transaction.atomic():
        # One role change at a time, checked on what is committed: two admins demoting each
        # other at once would otherwise both see the other still admin and leave none.
        hold_until_commit("people.agent_role")
        before = Agent.objects.values_list("role", flat=True).get(pk=agent.pk)
        if before == role:
            agent.role = role
            return agent
        if before == Agent.Role.ADMIN and not (
            Agent.objects.filter(role=Agent.Role.ADMIN, is_active=True).exclude(pk=agent.pk).exists()
        ):
            raise HeedfulError(ErrorCode.CONFLICT, _("The help desk needs an active admin."),
                               fields={"role": [_("Make another agent admin before changing this role.")]})
        agent.role = role
        agent.save(update_fields=["role"])
        user = agent.user
        user.is_staff = user.is_superuser = role == Agent.Role.ADMIN
        user.save(update_fields=["is_staff", "is_superuser"])
        record_audit(actor=actor, action="agent.role", target=agent,
                     details={"before": before, "after": role})
    return agent
