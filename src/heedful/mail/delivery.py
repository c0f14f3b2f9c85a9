"""E-mail as a delivery backend: replies whose delivery channel is e-mail become outbound mail."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from heedful.mail.models import Mailbox, OutboundMessage
from heedful.mail.outbound import (
    mail_addresses,
    mailbox_for_ticket,
    new_message_id,
    recipients_for_many,
    schedule_sending,
)
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
        addresses = mail_addresses({ticket.requester_id for ticket in tickets})
        return {ticket.pk: ticket.requester_id in addresses for ticket in tickets}

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
                            mailbox=self._mailbox(event))
            for event in events if recipients[event.ticket_id]
        )
        if created:
            schedule_sending()

    @staticmethod
    def _mailbox(event: Event) -> Mailbox | None:
        """The mailbox prepare() chose (None is a choice: the default sender)."""
        if hasattr(event, "_mailbox"):
            return event._mailbox
        return mailbox_for_ticket(event.ticket)
