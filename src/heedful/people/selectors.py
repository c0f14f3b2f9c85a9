"""Reads of people: the live end of a merge chain, and contact lists that page by name.

Access is the caller's to apply: list functions take the visible contacts (policy.py) as their
base, so that this module needs nothing beyond people.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.people.models import Contact, ContactIdentity

# Merges repoint older merges (people.actions.merge_contacts), so chains are one step long;
# data from before that may hold longer ones, and a loop must never hang a request.
_MAX_CHAIN = 50


def live_contact(contact: Contact) -> Contact:
    """The contact this one became: itself, or the end of its chain of merges."""
    return live_contacts([contact])[0]


def live_contacts(contacts: list[Contact]) -> list[Contact]:
    """live_contact for many at once, in order: one read per step of the longest chain."""
    known: dict[int, Contact] = {c.pk: c for c in contacts}
    for _step in range(_MAX_CHAIN):
        missing = {c.merged_into_id for c in known.values()
                   if c.merged_into_id is not None and c.merged_into_id not in known}
        if not missing:
            break
        known.update((c.pk, c) for c in Contact.objects.filter(pk__in=missing)
                     .select_related("organization"))

    def end(contact: Contact) -> Contact:
        seen = {contact.pk}
        while contact.merged_into_id is not None and contact.merged_into_id in known:
            following = known[contact.merged_into_id]
            if following.pk in seen:  # a loop: stop where it closes
                break
            seen.add(following.pk)
            contact = following
        return contact

    return [end(contact) for contact in contacts]


@dataclass
class ContactPage:
    items: list[Contact]
    next_cursor: str | None


def _encode(name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([name, pk]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, int]:
    try:
        name, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(name, str) or not isinstance(pk, int) or not 0 <= pk < 2**63:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise Invalid(_("This page link is no longer valid."),
                      fields={"cursor": [_("Start again from the first page.")]}) from None
    return name, pk


def matching(contacts: QuerySet[Contact], text: str) -> QuerySet[Contact]:
    """Contacts whose name, or one of whose addresses, numbers or handles, contains `text`."""
    text = " ".join(text.split())
    if not text:
        return contacts
    holders = ContactIdentity.objects.filter(
        Q(normalized__icontains=text.lower()) | Q(value__icontains=text)).values("contact_id")
    return contacts.filter(Q(name__icontains=text) | Q(id__in=holders))


def contact_page(contacts: QuerySet[Contact], *, q: str = "", cursor: str | None = None,
                 limit: int = 50, include_merged: bool = False) -> ContactPage:
    """One page of contacts by name (then id), with identities and organization loaded; merged
    contacts are left out unless asked for (they live on in the contact they became)."""
    limit = max(1, min(int(limit), 200))
    contacts = matching(contacts, q)
    if not include_merged:
        contacts = contacts.filter(merged_into__isnull=True)
    if cursor:
        name, pk = _decode(cursor)
        contacts = contacts.filter(Q(name__gt=name) | Q(name=name, id__gt=pk))
    rows = list(contacts.select_related("organization").prefetch_related("identities")
                .order_by("name", "id")[: limit + 1])
    if len(rows) <= limit:
        return ContactPage(rows, None)
    rows = rows[:limit]
    return ContactPage(rows, _encode(rows[-1].name, rows[-1].pk))

