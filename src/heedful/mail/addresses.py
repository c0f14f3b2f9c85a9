"""Which addresses are ours: the mailboxes and the default sender, plus-addressed variants
included. Intake uses it to find the mailbox a message came to and to keep our own addresses out
of a ticket's participants; outbound uses it never to mail ourselves (no loops)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from heedful.mail.models import Mailbox


def variants(address: str) -> set[str]:
    """The address as written and without its +tag, lower-cased."""
    local, _at, domain = address.strip().strip("<>").lower().rpartition("@")
    return {f"{local}@{domain}", f"{local.split('+', 1)[0]}@{domain}"}


def own_addresses(mailboxes: Iterable[Mailbox] | None = None) -> set[str]:
    """Addresses Heedful receives at and sends from. Pass mailboxes already loaded to save the
    query on a hot path."""
    if mailboxes is None:
        mailboxes = Mailbox.objects.only("address")
    own = {settings.DEFAULT_FROM_EMAIL.lower()}
    own.update(m.address.lower() for m in mailboxes)
    return own


def is_own_address(address: str, own: set[str]) -> bool:
    return bool(variants(address) & own)


def mailbox_for_recipients(
    recipients: Iterable[str], mailboxes: Iterable[Mailbox] | None = None
) -> Mailbox | None:
    """The active mailbox a message was sent to, matching plus-addressed variants too."""
    wanted: set[str] = set()
    for address in recipients:
        wanted |= variants(address)
    candidates = Mailbox.objects.filter(active=True) if mailboxes is None else mailboxes
    for mailbox in candidates:
        if mailbox.active and mailbox.address.lower() in wanted:
            return mailbox
    return None
