"""From stored raw messages to ticket events: attribute, thread, record.

Batch-first (docs/decisions/0006): a job claims up to MAIL_BATCH_SIZE pending raw messages,
understands each (understanding.py, no tables touched), then records them all with a handful of
statements: senders, duplicates, threads and spam counts are read once for the batch, and the
tickets and events are written through the list-taking ticket actions. A batch that fails is
retried one message at a time, so one bad message cannot hold back the others, and a message
that defeats the pipeline is still stored and shown raw.

Idempotent: a message already processed, or whose Message-ID is already on a timeline, is not
added twice; a message answering one that another worker is still recording waits for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import HeedfulError
from heedful.core.locks import hold_until_commit
from heedful.mail import noise, spam
from heedful.mail.actions import UNPARSED
from heedful.mail.addresses import is_own_address, mailbox_for_recipients, own_addresses
from heedful.mail.intake import read_raw
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage
from heedful.mail.outbound import Acknowledgement, queue_acknowledgements, record_undelivered
from heedful.mail.parsing import ParsedMessage, decode_bytes
from heedful.mail.threads import find_tickets, may_write, participants_of, reference_ids
from heedful.mail.tokens import strip_subject
from heedful.mail.understanding import Understood, understand
from heedful.people.actions import contacts_for_emails, email_key, get_or_create_contact_for_email
from heedful.people.models import Contact
from heedful.tickets.actions import NewMessage, TicketRequest, add_messages, open_ticket, open_tickets
from heedful.tickets.models import Channel, Event, Ticket

logger = logging.getLogger(__name__)
HELD = "held"
SPAM = "spam"
UNKNOWN_SENDER = "unknown@invalid.example"

PROCESSED = "processed"
DUPLICATE = "duplicate"
FAILED = "failed"
WAITING = "waiting"  # answers a message another worker is recording right now: next round


@dataclass
class Plan:
    """Where one understood message goes: onto `ticket`, onto the ticket `opener` opens in this
    batch, or (neither) onto a new ticket of its own."""

    item: Understood
    sender: Contact
    sender_key: str  # the sender's normalised address
    mailbox: Mailbox | None
    hidden: bool
    flags: list[str]
    ticket: Ticket | None = None
    opener: Plan | None = None
    cc: list[tuple[str, str]] = field(default_factory=list)  # (address, name) of new participants
    event: Event | None = None

    @property
    def opens(self) -> bool:
        return self.ticket is None and self.opener is None


# ------------------------------------------------------------------------------------- jobs
MORE = "more"  # in process_pending's totals: it stopped at max_batches with mail still pending


def process_pending(limit: int | None = None, *, max_batches: int = 20) -> dict[str, int]:
    """Claim pending raw messages and record them, batch after batch, until none is left or
    `max_batches` are done (then `totals["more"]` is 1: the caller queues a new job, so that
    a flood of mail does not keep a worker from its other jobs, such as sending replies).
    Returns how many ended in each outcome."""
    totals: dict[str, int] = {}
    for _round in range(max_batches):
        with transaction.atomic():
            claimed = _claim(limit or settings.MAIL_BATCH_SIZE)
            outcomes = process_batch(claimed) if claimed else {}
        for outcome in outcomes.values():
            totals[outcome] = totals.get(outcome, 0) + 1
        if not claimed or all(o == WAITING for o in outcomes.values()):
            return totals
    totals[MORE] = 1
    return totals


def _claim(limit: int) -> list[RawMessage]:
    """Pending messages, oldest first, locked for this transaction. On PostgreSQL other workers
    skip the locked rows and take the next ones; SQLite has one writer at a time anyway."""
    rows = RawMessage.objects.select_related("mailbox").filter(state=RawMessage.State.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.order_by("pk")[:limit])


def process_raw(raw_id: int) -> str:
    """Record one raw message (an agent's "reprocess", or a job queued by an older version)."""
    with transaction.atomic():
        rows = RawMessage.objects.select_related("mailbox").filter(
            pk=raw_id, state=RawMessage.State.PENDING)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update(of=("self",))
        record = rows.first()
        if record is None:
            return "skipped"
        return process_batch([record])[record.pk]


def process_batch(records: list[RawMessage]) -> dict[int, str]:
    """Record the messages; returns each one's outcome by raw message id. One transaction (the
    caller's, when it has one): the rows it takes in stay locked until the batch is recorded."""
    with transaction.atomic():
        return _process_batch(records)


def _process_batch(records: list[RawMessage]) -> dict[int, str]:
    outcomes: dict[int, str] = {}
    understood: list[Understood] = []
    for record in records:
        try:
            understood.append(understand(record))
        except Exception as problem:
            # Whatever went wrong, the raw bytes stay and an agent can still read them.
            logger.exception("could not read raw message %s", record.pk)
            outcomes[record.pk] = _keep_unparsed(record, problem)
    understood = _originals_first(understood + _pending_originals(understood))
    if len(understood) > 1:
        try:
            with transaction.atomic():
                outcomes.update(_record_all(understood))
            return outcomes
        except Exception:
            logger.warning("a batch of %s messages failed; recording them one by one", len(understood),
                           exc_info=True)
    for item in understood:
        outcomes[item.record.pk] = _record_one(item)
    return outcomes


def _record_one(item: Understood) -> str:
    try:
        with transaction.atomic():
            return _record_all([item])[item.record.pk]
    except Exception as problem:
        # The unique constraint on inbound Message-IDs is the arbiter when another worker
        # recorded the same message a moment ago.
        if isinstance(problem, IntegrityError) and item.message_id and _recorded({item.message_id}):
            _finish([(item.record, RawMessage.State.DUPLICATE, None)])
            return DUPLICATE
        logger.exception("could not process raw message %s", item.record.pk)
        return _keep_unparsed(item.record, problem)


def _pending_originals(items: list[Understood]) -> list[Understood]:
    """Messages the batch answers that arrived after their replies and wait, pending, for no
    worker (an MTA delivering over several connections reorders mail): taken into the batch
    so that the replies find their thread. Ones another worker holds are left to it."""
    wanted = {ref for item in items for ref in reference_ids(item.parsed)}
    wanted -= {item.message_id for item in items}
    if not wanted:
        return []
    rows = RawMessage.objects.select_related("mailbox").filter(
        message_id__in=wanted, state=RawMessage.State.PENDING,
    ).exclude(pk__in=[item.record.pk for item in items])
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    originals = []
    for record in rows.order_by("pk"):
        try:
            originals.append(understand(record))
        except Exception:  # it stays pending and fails on its own turn, where it is kept raw
            logger.info("could not read raw message %s ahead of its turn", record.pk, exc_info=True)
    return originals


def _originals_first(items: list[Understood]) -> list[Understood]:
    """The batch in arrival order, except that a message comes after the messages of the batch
    it answers."""
    by_message_id = {item.message_id: item for item in items if item.message_id}
    ordered: list[Understood] = []
    placed: set[int] = set()

    def place(item: Understood) -> None:
        if item.record.pk in placed:
            return
        placed.add(item.record.pk)  # before the originals: a loop of references ends here
        for ref in reference_ids(item.parsed):
            original = by_message_id.get(ref)
            if original is not None:
                place(original)
        ordered.append(item)

    for item in items:
        place(item)
    return ordered


# ----------------------------------------------------------------------------------- batch
def _record_all(items: list[Understood]) -> dict[int, str]:
    # Workers understand their batches in parallel but record them one at a time: a batch then
    # sees everything recorded before it (threads, contacts), and two batches never wait on each
    # other's new contacts, ticket numbers and ticket rows in opposite orders (a deadlock).
    hold_until_commit("heedful.mail.record")
    outcomes: dict[int, str] = {}
    # Flags of this attempt only: a batch that fails is planned again, one message at a time.
    verdicts = spam.score_messages([(item.parsed, item.full_text) for item in items])
    flags = [[*item.flags, *([SPAM] if verdict.is_spam else [])]
             for item, verdict in zip(items, verdicts, strict=True)]
    mailboxes = list(Mailbox.objects.select_related("team"))  # one read for every use below
    own = own_addresses(mailboxes)
    recorded = _recorded({item.message_id for item in items if item.message_id})
    senders = _senders(items)
    matches = find_tickets([(item.parsed, item.recipients) for item in items])
    participants = participants_of([m.ticket.pk for m in matches if m is not None])
    waiting = _answers_to_unrecorded([item for item, match in zip(items, matches, strict=True)
                                      if match is None], items)

    plans: list[Plan] = []
    by_message_id: dict[str, Plan] = {}
    waiting_ids: set[str] = set()
    finished: list[tuple[RawMessage, str, Event | None]] = []
    for item, item_flags, (sender, sender_key), match in zip(items, flags, senders, matches, strict=True):
        record = item.record
        if item.message_id and (item.message_id in recorded or item.message_id in by_message_id):
            finished.append((record, RawMessage.State.DUPLICATE, None))
            outcomes[record.pk] = DUPLICATE
            continue
        earlier = _earlier_in_batch(item.parsed, by_message_id)
        answers_waiting = bool(waiting_ids & set(reference_ids(item.parsed)))
        if earlier is None and match is None and (record.pk in waiting or answers_waiting):
            outcomes[record.pk] = WAITING  # stays pending; the next claim takes it
            if item.message_id:
                waiting_ids.add(item.message_id)  # and so does whatever answers it
            continue
        plan = _plan(item, item_flags, sender, sender_key, mailboxes, own,
                     match.ticket if match else None, earlier, participants)
        plans.append(plan)
        if item.message_id and SPAM not in plan.flags:  # nothing joins a spam message's ticket
            by_message_id[item.message_id] = plan

    openers = [plan for plan in plans if plan.opens]
    appended = [plan for plan in plans if not plan.opens]
    cc_contacts = contacts_for_emails([pair for plan in openers for pair in plan.cc])
    opened = open_tickets([_ticket_request(plan, cc_contacts) for plan in openers])
    for plan, event in zip(openers, opened, strict=True):
        plan.event, plan.ticket = event, event.ticket
    # Before any reply of this batch is written, as if each message had come alone.
    queue_acknowledgements([_acknowledgement(plan) for plan in openers if _acknowledges(plan)],
                           own=own)
    events = add_messages([_new_message(plan) for plan in appended])
    for plan, event in zip(appended, events, strict=True):
        plan.event = event
    for plan in plans:
        finished.append((plan.item.record, RawMessage.State.PROCESSED, plan.event))
        outcomes[plan.item.record.pk] = PROCESSED
    _finish(finished)
    return outcomes


def _plan(
    item: Understood, flags: list[str], sender: Contact, sender_key: str,
    mailboxes: list[Mailbox], own: set[str],
    matched: Ticket | None, earlier: Plan | None, participants: dict[int, set[int]],
) -> Plan:
    """Where one message goes, given what the batch read; changes nothing but the bounced
    outbound message it may record."""
    parsed, record = item.parsed, item.record
    mailbox = record.mailbox or mailbox_for_recipients(item.recipients, mailboxes)
    if parsed.sender and is_own_address(parsed.sender.email, own):
        flags.append(noise.AUTO_SUBMITTED)  # our own mail coming back: record, never answer
    hidden = bool({noise.AUTO_SUBMITTED, noise.BOUNCE} & set(flags))
    bounced = _record_bounce(parsed, item.raw) if noise.BOUNCE in flags else None
    plan = Plan(item=item, sender=sender, sender_key=sender_key, mailbox=mailbox, hidden=hidden,
                flags=flags)
    if bounced is not None:
        plan.ticket = bounced.ticket
        return plan
    if SPAM in flags:
        return _with_cc(plan, own)
    if earlier is not None:  # answers a message of this very batch
        plan.ticket, plan.opener = earlier.ticket, earlier.opener or (earlier if earlier.opens else None)
        if plan.opener is not None:
            plan.ticket = None
    elif matched is not None:
        plan.ticket = matched
    if (plan.ticket or plan.opener) and not _may_write(plan, participants):
        if settings.MAIL_STRANGER_REPLIES == "hold":
            flags.append(HELD)
            plan.hidden = True
        else:
            plan.ticket = plan.opener = None
    if plan.ticket is not None and plan.ticket.status == Ticket.Status.CLOSED and not plan.hidden:
        plan.ticket = None  # a closed ticket stays closed: the message starts a follow-up
    return _with_cc(plan, own) if plan.opens else plan


def _may_write(plan: Plan, participants: dict[int, set[int]]) -> bool:
    if plan.opener is not None:  # a ticket this batch opens: its requester and CCs
        opener = plan.opener
        cc_keys = {email_key(address) for address, _name in opener.cc}
        return plan.sender.pk == opener.sender.pk or plan.sender_key in cc_keys or (
            opener.sender.organization_id is not None
            and plan.sender.organization_id == opener.sender.organization_id)
    assert plan.ticket is not None
    return may_write(plan.sender, requester_id=plan.ticket.requester_id,
                     organization_id=plan.ticket.organization_id,
                     participants=participants.get(plan.ticket.pk, set()))


def _with_cc(plan: Plan, own: set[str]) -> Plan:
    """The addresses a new ticket adds as participants: everyone the message went to except us
    (whatever addresses we were reached at) and the sender."""
    ours = own | {a.lower() for a in plan.item.record.envelope_to}
    plan.cc = [(a.email, a.name) for a in [*plan.item.parsed.cc, *plan.item.parsed.to]
               if not is_own_address(a.email, ours) and email_key(a.email) not in {None, plan.sender_key}]
    return plan


def _earlier_in_batch(parsed: ParsedMessage, by_message_id: dict[str, Plan]) -> Plan | None:
    """The latest message of this batch that this one answers (newer than anything stored)."""
    earlier = [by_message_id[ref] for ref in reference_ids(parsed) if ref in by_message_id]
    return max(earlier, key=lambda plan: plan.item.record.pk) if earlier else None


def _answers_to_unrecorded(unmatched: list[Understood], batch: list[Understood]) -> set[int]:
    """Raw ids of messages answering a message that another worker is recording right now (its
    raw row is pending and locked): threading must wait for it. A pending original that nobody
    holds (it arrived after its reply) is not waited for; the reply is recorded as it stands."""
    if not connection.features.has_select_for_update_skip_locked:
        return set()  # SQLite: one writer, so no batch is ever half recorded elsewhere
    in_batch = {item.message_id for item in batch if item.message_id}
    unresolved = {ref for item in unmatched for ref in reference_ids(item.parsed)} - in_batch
    if not unresolved:
        return set()
    pending = RawMessage.objects.filter(
        message_id__in=unresolved, state=RawMessage.State.PENDING,
    ).exclude(pk__in=[item.record.pk for item in batch])
    held = set(pending.values_list("message_id", flat=True))
    if held:
        held -= set(pending.select_for_update(skip_locked=True).values_list("message_id", flat=True))
    return {item.record.pk for item in unmatched if held & set(reference_ids(item.parsed))}


def _senders(items: list[Understood]) -> list[tuple[Contact, str]]:
    """Each message's sender as a contact, all found or created together. A sender that is no
    address becomes the shared unknown sender."""
    pairs = []
    for item in items:
        parsed = item.parsed
        address = parsed.sender.email if parsed.sender else item.record.envelope_from
        name = parsed.sender.name if parsed.sender else ""
        if email_key(address or "") is None:
            address, name = UNKNOWN_SENDER, name or address
        pairs.append((address, name))
    contacts = contacts_for_emails(pairs)
    keys = [email_key(address) or UNKNOWN_SENDER for address, _name in pairs]
    return [(contacts[key], key) for key in keys]


def _ticket_request(plan: Plan, cc_contacts: dict[str, Contact]) -> TicketRequest:
    item = plan.item
    cc = [cc_contacts[key] for address, _name in plan.cc
          if (key := email_key(address)) is not None and key in cc_contacts]
    return TicketRequest(
        requester=plan.sender, subject=strip_subject(item.parsed.subject) or _("(no subject)"),
        cc=[c for c in dict.fromkeys(cc) if c.pk != plan.sender.pk],
        team=plan.mailbox.team if plan.mailbox else None, spam=SPAM in plan.flags,
        body=item.body, body_html=item.body_html, channel=Channel.EMAIL, language=item.language,
        message_id=item.message_id, full_text=item.full_text, attachments=item.attachments,
        flags=plan.flags, enforce_required=False,
    )


def _new_message(plan: Plan) -> NewMessage:
    item = plan.item
    ticket = plan.ticket or (plan.opener.ticket if plan.opener else None)
    assert ticket is not None
    return NewMessage(
        ticket=ticket, author_contact=plan.sender, hidden=plan.hidden, body=item.body,
        body_html=item.body_html, channel=Channel.EMAIL, language=item.language,
        message_id=item.message_id, full_text=item.full_text, attachments=item.attachments,
        flags=plan.flags,
    )


def _acknowledges(plan: Plan) -> bool:
    """Whether a new ticket gets an automatic acknowledgement (the rate limit aside)."""
    wanted = plan.mailbox.auto_acknowledge if plan.mailbox else settings.MAIL_ACKNOWLEDGE
    return wanted and not (noise.wants_no_automatic_answer(plan.flags) or SPAM in plan.flags)


def _acknowledgement(plan: Plan) -> Acknowledgement:
    assert plan.event is not None
    return Acknowledgement(ticket=plan.event.ticket, mailbox=plan.mailbox, to=plan.sender,
                           address=plan.sender_key)


def _record_bounce(parsed: ParsedMessage, raw: bytes) -> Event | None:
    """Mark the outbound message a bounce refers to; returns that message's event."""
    ids = noise.bounced_message_ids(parsed, raw)
    outbound = OutboundMessage.objects.filter(message_id__in=ids).select_related("event").first()
    if outbound is None:
        return None
    if outbound.state != OutboundMessage.State.BOUNCED:
        OutboundMessage.objects.filter(pk=outbound.pk).update(
            state=OutboundMessage.State.BOUNCED, last_error=parsed.delivery_status[:2000])
        record_undelivered(outbound, OutboundMessage.State.BOUNCED, parsed.delivery_status)
    return outbound.event


def _recorded(message_ids: set[str]) -> set[str]:
    """Those of the Message-IDs that are already on a timeline as received mail."""
    if not message_ids:
        return set()
    return set(Event.objects.filter(message_id__in=message_ids, kind=Event.Kind.MESSAGE_IN)
               .values_list("message_id", flat=True))


def _finish(rows: list[tuple[RawMessage, str, Event | None]]) -> None:
    now = timezone.now()
    values = []
    for record, state, event in rows:
        record.state, record.event, record.processed_at, record.error = state, event, now, ""
        record.ticket = event.ticket if event is not None else None
        values.append((state, event.pk if event else None, record.ticket_id, now, record.pk))
    # One prepared statement sent for every row (pipelined by the driver): Django's bulk_update
    # builds a CASE per column and row, which cost more than the rest of the batch together.
    table = connection.ops.quote_name(RawMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET state = %s, event_id = %s, ticket_id = %s, processed_at = %s, "  # noqa: S608
            "error = '' WHERE id = %s",
            [(s, e, t, connection.ops.adapt_datetimefield_value(at), pk) for s, e, t, at, pk in values],
        )


def _keep_unparsed(record: RawMessage, problem: Exception) -> str:
    """Store a message that defeated the pipeline as a ticket showing its raw text; when even
    that fails (its stored bytes unreadable, say), mark it failed with the reason."""
    try:
        with transaction.atomic():
            return _open_unparsed(record, problem)
    except Exception as second:
        logger.exception("could not keep raw message %s as text", record.pk)
        RawMessage.objects.filter(pk=record.pk).update(
            state=RawMessage.State.FAILED, error=f"{problem}; then: {second}"[:2000],
            processed_at=timezone.now())
        return FAILED


def _open_unparsed(record: RawMessage, problem: Exception) -> str:
    # The fallback ticket does not take the Message-ID (so that reprocessing the message later
    # records it for real); another copy of an unreadable message is known by its raw row.
    kept_before = record.message_id and RawMessage.objects.filter(
        message_id=record.message_id, ticket__isnull=False).exclude(pk=record.pk).exists()
    if record.message_id and (kept_before or _recorded({record.message_id})):
        _finish([(record, RawMessage.State.DUPLICATE, None)])
        return DUPLICATE
    raw = read_raw(record)
    text = decode_bytes(raw[:200_000], "utf-8").replace("\x00", "")  # PostgreSQL text holds no NUL
    with transaction.atomic():
        try:
            sender = get_or_create_contact_for_email(record.envelope_from or UNKNOWN_SENDER)
        except HeedfulError:  # an envelope sender that is no address
            sender = get_or_create_contact_for_email(UNKNOWN_SENDER)
        ticket = open_ticket(
            requester=sender, subject=_("Message that could not be read"),
            body=text or _("(empty message)"), channel=Channel.EMAIL, flags=[UNPARSED],
            enforce_required=False,
        )
        RawMessage.objects.filter(pk=record.pk).update(
            state=RawMessage.State.FAILED, error=str(problem)[:2000], ticket=ticket,
            event=ticket.events.first(), processed_at=timezone.now())
    return FAILED
