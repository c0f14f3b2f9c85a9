"""Contact merge: two records of one customer become one.

It lives in `tickets`, not `people`, because most of what it does is to tickets (requesters,
CCs, the events that record the move), and `people` knows no tickets (tests/test_architecture.py).

Planned first (`plan_contact_merge`: what moves, what the target takes from the source; the
agent UI shows it before anyone confirms), then done (`merge_contacts`). Identities, requested
tickets and CCs move to the target; each moved ticket says so on its timeline. Messages keep
their author: the timeline is append-only, and the source stays as a pointer (`merged_into`)
whose name the agent UI shows as the contact it became.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.models import Contact, ContactIdentity, ContactMerge, Organization
from heedful.people.selectors import live_contact
from heedful.tickets import notify
from heedful.tickets.models import Channel, Event, Ticket
from heedful.tickets.timeline import build_event

MERGE_REASON = "contact merge"
# Profile fields the target takes from the source when it has none of its own.
FILLED_FIELDS = ("name", "plan", "tier", "expertise", "language", "timezone", "expectations")


@dataclass
class ContactMergePlan:
    source: Contact
    # The live contact the source folds into; `asked_for` when that one was itself merged.
    target: Contact
    asked_for: Contact
    identities: list[ContactIdentity]
    ticket_ids: list[int]  # tickets the source requested: their requester becomes the target
    cc_ticket_ids: list[int]  # tickets the source is copied on
    filled: dict[str, Any] = field(default_factory=dict)  # field -> the source's value
    organization: Organization | None = None  # the target's organization afterwards
    lifetime_value: Decimal = Decimal("0")
    currency: str = ""
    # The two values are in different currencies, so the source's is not added.
    value_not_added: bool = False

    @property
    def redirected(self) -> bool:
        return self.asked_for.pk != self.target.pk


def plan_contact_merge(*, source: Contact, target: Contact) -> ContactMergePlan:
    """Check the merge and say what it would do, writing nothing. A target that was itself
    merged is replaced by the live contact at the end of its merges."""
    asked_for = target
    if source.merged_into_id is not None:
        raise HeedfulError(ErrorCode.CONFLICT, _("This contact was already merged."))
    if source.pk == asked_for.pk:
        raise Invalid(_("A contact cannot be merged into itself."),
                      fields={"target": [_("Choose another contact.")]})
    target = live_contact(asked_for)
    if target.pk == source.pk:
        raise Invalid(_("%(name)s was merged into this contact already.") % {"name": asked_for},
                      fields={"target": [_("Choose another contact.")]})
    ticket_ids = list(Ticket.objects.filter(requester=source).order_by("pk")
                      .values_list("id", flat=True))
    cc_ticket_ids = list(Ticket.participants.through.objects.filter(contact=source)
                         .exclude(ticket_id__in=ticket_ids).order_by("ticket_id")
                         .values_list("ticket_id", flat=True))
    plan = ContactMergePlan(
        source=source, target=target, asked_for=asked_for,
        identities=list(ContactIdentity.objects.filter(contact=source)),
        ticket_ids=ticket_ids, cc_ticket_ids=cc_ticket_ids,
        organization=target.organization if target.organization_id else source.organization,
    )
    for name in FILLED_FIELDS:
        if not getattr(target, name) and getattr(source, name):
            plan.filled[name] = getattr(source, name)
    if target.organization_id is None and source.organization_id is not None:
        plan.filled["organization"] = source.organization
    if source.vip and not target.vip:
        plan.filled["vip"] = True
    _plan_value(plan)
    return plan


def _plan_value(plan: ContactMergePlan) -> None:
    """Lifetime values add up only in one currency; a target without one takes the source's."""
    source, target = plan.source, plan.target
    plan.lifetime_value, plan.currency = target.lifetime_value, target.currency
    if not source.lifetime_value:
        return
    if not target.lifetime_value:
        plan.lifetime_value, plan.currency = source.lifetime_value, source.currency
    elif source.currency == target.currency:
        plan.lifetime_value = target.lifetime_value + source.lifetime_value
    else:
        plan.value_not_added = True


def merge_contacts(*, source: Contact, target: Contact, actor: Any) -> Contact:
    """Fold `source` into `target` (or into the live contact it was merged into) and answer the
    contact that remains. Checked again under the rows' locks, so that two agents merging at
    once cannot build a loop or leave tickets on a merged contact."""
    with transaction.atomic():
        ids = sorted({source.pk, live_contact(target).pk, target.pk})
        # of=self: PostgreSQL locks no row of the (nullable) organization join.
        locked = {c.pk: c for c in Contact.objects.select_for_update(of=("self",))
                  .select_related("organization").filter(pk__in=ids).order_by("pk")}
        if source.pk not in locked or target.pk not in locked:
            raise HeedfulError(ErrorCode.CONFLICT, _("One of the contacts is gone."))
        plan = plan_contact_merge(source=locked[source.pk], target=locked[target.pk])
        if plan.target.pk not in locked:  # merged elsewhere a moment ago
            raise HeedfulError(ErrorCode.CONFLICT, _(
                "The other contact changed a moment ago; look at the merge again."))
        source, target = plan.source, plan.target
        ContactIdentity.objects.filter(contact=source).update(contact=target)
        _fill_profile(plan)
        tickets, events = _move_tickets(plan, actor)
        # Keep chains one step long: whoever was merged into the source now points at the target.
        Contact.objects.filter(merged_into=source).update(merged_into=target)
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
        moved = {"identities": [i.pk for i in plan.identities], "tickets": plan.ticket_ids,
                 "cc_tickets": plan.cc_ticket_ids, "filled": sorted(plan.filled)}
        ContactMerge.objects.create(source=source, target=target, actor=actor, moved=moved)
        details: dict[str, Any] = {"source": source.pk, **moved}
        if plan.redirected:
            details["asked_for"] = plan.asked_for.pk
        record_audit(actor=actor, action="contact.merge", target=target, details=details)
        if events:
            notify.tickets_changed([(tickets[pk], batch) for pk, batch in events.items()])
    return target


def _fill_profile(plan: ContactMergePlan) -> None:
    target = plan.target
    for name, value in plan.filled.items():
        setattr(target, name, value)
    target.lifetime_value, target.currency = plan.lifetime_value, plan.currency
    target.save()


def _move_tickets(plan: ContactMergePlan, actor: Any) -> tuple[dict[int, Ticket], dict[int, list[Event]]]:
    """Requester and CCs move to the target, with one event per fact, in a few statements
    however many tickets there are. Answers the tickets (as they are now) and their new events,
    by ticket id."""
    source, target = plan.source, plan.target
    affected = plan.ticket_ids + plan.cc_ticket_ids
    if not affected:
        return {}, {}
    Participant = Ticket.participants.through
    before: dict[int, set[int]] = {pk: set() for pk in affected}
    for ticket_id, contact_id in (Participant.objects.filter(ticket_id__in=affected)
                                  .values_list("ticket_id", "contact_id")):
        before[ticket_id].add(contact_id)
    tickets = {ticket.pk: ticket for ticket in Ticket.objects.filter(pk__in=affected)}
    organization_of = {pk: ticket.organization_id for pk, ticket in tickets.items()}
    moved = set(plan.ticket_ids)
    after: dict[int, set[int]] = {}
    for pk in affected:
        people = before[pk] - {source.pk}
        if source.pk in before[pk]:
            people.add(target.pk)
        # Nobody is copied on their own ticket.
        people.discard(target.pk if pk in moved else tickets[pk].requester_id)
        after[pk] = people

    Ticket.objects.filter(pk__in=plan.ticket_ids).update(
        requester=target, organization=plan.organization)
    for pk in plan.ticket_ids:
        tickets[pk].requester, tickets[pk].organization = target, plan.organization
    Participant.objects.filter(ticket_id__in=affected, contact_id__in=[source.pk, target.pk]).delete()
    Participant.objects.bulk_create(
        Participant(ticket_id=pk, contact_id=target.pk) for pk in affected if target.pk in after[pk])

    events: dict[int, list[Event]] = {}
    new_organization = plan.organization.pk if plan.organization else None
    for pk in plan.ticket_ids:
        events.setdefault(pk, []).append(build_event(
            ticket=tickets[pk], kind=Event.Kind.REQUESTER, author_user=actor, channel=Channel.AGENT,
            data={"from": source.pk, "to": target.pk, "reason": MERGE_REASON,
                  "from_organization": organization_of[pk], "to_organization": new_organization}))
    for pk in affected:
        if before[pk] != after[pk]:
            events.setdefault(pk, []).append(build_event(
                ticket=tickets[pk], kind=Event.Kind.PARTICIPANTS, author_user=actor,
                channel=Channel.AGENT,
                data={"from": sorted(before[pk]), "to": sorted(after[pk]), "reason": MERGE_REASON}))
    Event.objects.bulk_create([event for batch in events.values() for event in batch])
    return tickets, events
