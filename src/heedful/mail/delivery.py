"""E-mail as a delivery backend: replies whose delivery channel is e-mail become outbound mail."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from heedful.mail.addresses import is_own_address, own_addresses
from heedful.mail.models import Mailbox, OutboundMessage
from heedful.mail.outbound import mailbox_for_ticket, new_message_id, recipients_for_many, schedule_sending
from heedful.people.models import ContactIdentity
from heedful.tickets.delivery import DeliveryBackend
from heedful.tickets.models import Channel, Event, Ticket


class MailDelivery(DeliveryBackend):
    channel = Channel.EMAIL
    label = _("e-mail address")
    # Portal and API requests come from people we know by e-mail address: answers reach them
    # by mail unless the agent chooses otherwise.
    answers = frozenset({Channel.EMAIL, Channel.PORTAL, Channel.API})

    def reachable(self, tickets: list[Ticket]) -> dict[int, bool]:
        # The customer is the requester: a reply that would reach only someone copied is not
        # an answer to them, so it is refused rather than sent to the CCs alone.
        own = own_addresses()
        usable: set[int] = set()
        for contact_id, normalized in ContactIdentity.objects.filter(
                contact_id__in={t.requester_id for t in tickets}, kind=ContactIdentity.Kind.EMAIL,
        ).values_list("contact_id", "normalized"):
            if not normalized.endswith("@invalid.example") and not is_own_address(normalized, own):
                usable.add(contact_id)
        return {ticket.pk: ticket.requester_id in usable for ticket in tickets}

    def prepare(self, events: list[Event]) -> None:
        # The Message-ID is on the event from its first write, so webhooks and the API carry it
        # and the row never needs changing afterwards.
        mailboxes: dict[int, Mailbox | None] = {}
        for event in events:
            if event.ticket_id not in mailboxes:
                mailboxes[event.ticket_id] = mailbox_for_ticket(event.ticket)
            if not event.message_id:
                event.message_id = new_message_id(mailboxes[event.ticket_id])
            event._mailbox = mailboxes[event.ticket_id]  # type: ignore[attr-defined]

    def queue(self, events: list[Event]) -> None:
        recipients = recipients_for_many(list({e.ticket_id: e.ticket for e in events}.values()))
        created = OutboundMessage.objects.bulk_create(
            OutboundMessage(event=event, message_id=event.message_id, recipients=recipients[event.ticket_id],
                            mailbox=getattr(event, "_mailbox", None) or mailbox_for_ticket(event.ticket))
            for event in events if recipients[event.ticket_id]
        )
        if created:
            schedule_sending()
