"""Finding the ticket a message belongs to, and whether its sender may write there."""

from __future__ import annotations

from dataclasses import dataclass

from heedful.mail import tokens
from heedful.mail.parsing import ParsedMessage
from heedful.people.models import Contact
from heedful.tickets.models import Event, Ticket


@dataclass(frozen=True)
class Match:
    ticket: Ticket
    method: str  # "references", "token" or "subject"


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        seen.add(ticket.pk)
    return ticket


def reference_ids(parsed: ParsedMessage) -> list[str]:
    """The Message-IDs a message answers, the most direct first."""
    return [*parsed.in_reply_to, *reversed(parsed.references)]


def find_tickets(messages: list[tuple[ParsedMessage, list[str]]]) -> list[Match | None]:
    """For each (message, recipients): In-Reply-To/References against Message-IDs we sent or
    received (the newest such event wins), then the signed ticket token in a plus-address, then
    the `[#123]` subject tag. One read answers the references of all messages."""
    wanted = {ref for parsed, _recipients in messages for ref in reference_ids(parsed)}
    newest: dict[str, Event] = {}
    if wanted:
        for event in (Event.objects.filter(message_id__in=wanted).exclude(ticket__spam=True)
                      .select_related("ticket").order_by("created_at", "pk")):
            newest[event.message_id] = event
    matches: list[Match | None] = []
    for parsed, recipients in messages:
        found = [newest[ref] for ref in reference_ids(parsed) if ref in newest]
        if found:
            event = max(found, key=lambda e: (e.created_at, e.pk))
            matches.append(Match(_follow_merges(event.ticket), "references"))
        else:
            matches.append(_by_number(parsed, recipients))
    return matches


def _by_number(parsed: ParsedMessage, recipients: list[str]) -> Match | None:
    for method, number in (("token", tokens.number_from_addresses(recipients)),
                           ("subject", tokens.number_from_subject(parsed.subject))):
        if number is None:
            continue
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return Match(_follow_merges(ticket), method)
    return None


def may_write(
    contact: Contact, *, requester_id: int, organization_id: int | None, participants: set[int],
) -> bool:
    """Requester, CC participants, and colleagues of the requester's organization may add to a
    ticket; anyone else's message is held or becomes a new ticket (hijack protection)."""
    if contact.pk == requester_id or contact.pk in participants:
        return True
    return organization_id is not None and contact.organization_id == organization_id


def participants_of(ticket_ids: list[int]) -> dict[int, set[int]]:
    """Contact ids of each ticket's CC participants, in one read."""
    found: dict[int, set[int]] = {}
    rows = Ticket.participants.through.objects.filter(ticket_id__in=ticket_ids)
    for ticket_id, contact_id in rows.values_list("ticket_id", "contact_id"):
        found.setdefault(ticket_id, set()).add(contact_id)
    return found
