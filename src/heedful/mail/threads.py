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


def find_ticket(parsed: ParsedMessage, *, recipients: list[str]) -> Match | None:
    """In-Reply-To/References against Message-IDs we sent or received, then the signed ticket
    token in a plus-address, then the `[#123]` subject tag."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        event = (Event.objects.filter(message_id__in=ids).exclude(ticket__spam=True)
                 .select_related("ticket").order_by("-created_at").first())
        if event is not None:
            return Match(_follow_merges(event.ticket), "references")
    number = tokens.number_from_addresses(recipients)
    if number is not None:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return Match(_follow_merges(ticket), "token")
    number = tokens.number_from_subject(parsed.subject)
    if number is not None:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return Match(_follow_merges(ticket), "subject")
    return None


def may_write_to(contact: Contact, ticket: Ticket) -> bool:
    """Requester, CC participants, and colleagues of the requester's organization may add to a
    ticket; anyone else's message is held or becomes a new ticket (hijack protection)."""
    if contact.pk == ticket.requester_id:
        return True
    if ticket.participants.filter(pk=contact.pk).exists():
        return True
    return (
        ticket.organization_id is not None and contact.organization_id == ticket.organization_id
    )
