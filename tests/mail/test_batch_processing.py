"""Mail recorded in batches: one queued job serves any number of accepted messages, replies join
messages of the same batch, a bad message cannot hold back the others, and a reply waits for an
original another worker is still recording."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from heedful.mail import processing
from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, RawMessage
from heedful.mail.processing import process_batch, process_pending
from heedful.mail.scheduling import ensure_mail_processing
from heedful.mail.tasks import process_pending_mail
from heedful.tickets.actions import open_ticket, update_ticket
from heedful.tickets.models import Channel, Event, Ticket
from tests.factories import CustomFieldFactory, OrganizationFactory, make_agent, make_contact
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db

State = RawMessage.State
CAROL = "Carol <carol@example.org>"
MALLORY = "Mallory <mallory@evil.example>"


@pytest.fixture
def mailbox(db: None) -> Mailbox:
    return Mailbox.objects.create(name="Support", address="support@heedful.test")


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The raw message ids of every batch process_pending records, in order."""
    seen: list[list[int]] = []
    real = processing.process_batch

    def spy(records: list[RawMessage]) -> dict[int, str]:
        seen.append([r.pk for r in records])
        return real(records)

    monkeypatch.setattr(processing, "process_batch", spy)
    return seen


def accept(raw: bytes) -> RawMessage:
    accepted = accept_raw(raw, via=RawMessage.Via.HTTP)
    assert not accepted.duplicate
    return accepted.raw


def fresh(*records: RawMessage) -> list[RawMessage]:
    for record in records:
        record.refresh_from_db()
    return list(records)


def ready_processing_jobs() -> int:
    return DBTaskResult.objects.filter(task_path=process_pending_mail.module_path,
                                       status="READY").count()


def original_and_stranger_reply(sender: str = MALLORY) -> tuple[RawMessage, RawMessage]:
    original = accept(raw_mail(sender=CAROL, message_id="<orig@client.example>"))
    reply = accept(raw_mail(sender=sender, subject="Re: Printer on fire", body="Send the refund to me.",
                            in_reply_to="<orig@client.example>", references="<orig@client.example>"))
    return original, reply


# ----------------------------------------------------------------------------- threading
def test_a_message_and_its_reply_accepted_together_land_on_one_ticket(mailbox, run_tasks, batches):
    original = accept(raw_mail(sender=CAROL, message_id="<first@client.example>", body="It burns."))
    reply = accept(raw_mail(sender=CAROL, subject="Re: Printer on fire", body="Now it smokes.",
                            in_reply_to="<first@client.example>", references="<first@client.example>"))
    run_tasks()

    original, reply = fresh(original, reply)
    assert batches == [[original.pk, reply.pk]]
    assert original.state == reply.state == State.PROCESSED
    assert original.ticket == reply.ticket and Ticket.objects.count() == 1
    inbound = list(original.ticket.events.filter(kind=Event.Kind.MESSAGE_IN))
    assert inbound == [original.event, reply.event]
    assert reply.event.public and reply.event.body_text == "Now it smokes."
    assert original.ticket.subject == "Printer on fire"


def test_a_chain_of_replies_in_one_batch_stays_on_one_ticket(mailbox, run_tasks):
    first = accept(raw_mail(message_id="<c1@client.example>"))
    second = accept(raw_mail(message_id="<c2@client.example>", subject="Re: Printer on fire",
                             in_reply_to="<c1@client.example>", references="<c1@client.example>"))
    third = accept(raw_mail(message_id="<c3@client.example>", subject="Re: Printer on fire",
                            in_reply_to="<c2@client.example>"))  # In-Reply-To only, as some clients do
    run_tasks()
    first, second, third = fresh(first, second, third)
    assert {r.state for r in (first, second, third)} == {State.PROCESSED}
    assert first.ticket == second.ticket == third.ticket and Ticket.objects.count() == 1


def test_a_reply_to_a_ticket_recorded_earlier_joins_it_in_a_later_batch(mailbox, run_tasks):
    original = accept(raw_mail(message_id="<old@client.example>"))
    run_tasks()
    reply = accept(raw_mail(subject="Re: Printer on fire", in_reply_to="<old@client.example>"))
    other = accept(raw_mail(sender="Dan <dan@example.net>", subject="Scanner jammed"))
    run_tasks()
    original, reply, other = fresh(original, reply, other)
    assert reply.ticket == original.ticket and other.ticket != original.ticket
    assert Ticket.objects.count() == 2


def test_the_same_message_id_twice_in_one_batch_gives_one_event_and_one_duplicate(mailbox, run_tasks,
                                                                                  batches):
    first = accept(raw_mail(message_id="<same@client.example>"))
    again = accept(raw_mail(message_id="<same@client.example>", headers={"X-Relay": "second hop"}))
    run_tasks()

    first, again = fresh(first, again)
    assert batches == [[first.pk, again.pk]]
    assert first.state == State.PROCESSED and again.state == State.DUPLICATE
    assert again.event is None and again.ticket is None
    assert Event.objects.filter(message_id="<same@client.example>").count() == 1
    assert Ticket.objects.count() == 1


def test_process_batch_reports_each_messages_outcome(mailbox):
    one = accept(raw_mail(message_id="<o1@client.example>"))
    two = accept(raw_mail(message_id="<o1@client.example>", headers={"X-Relay": "2"}))
    three = accept(raw_mail(message_id="<o3@client.example>", subject="Other"))
    outcomes = process_batch([one, two, three])
    assert outcomes == {one.pk: processing.PROCESSED, two.pk: processing.DUPLICATE,
                        three.pk: processing.PROCESSED}


# ---------------------------------------------------------------------------- scheduling
def test_accepting_30_messages_queues_exactly_one_processing_job(mailbox, run_tasks):
    records = [accept(raw_mail(sender=f"c{i}@example.org", subject=f"Question {i}")) for i in range(30)]
    assert ready_processing_jobs() == 1
    job = DBTaskResult.objects.get(task_path=process_pending_mail.module_path)
    assert job.queue_name == "mail"

    run_tasks()
    assert {r.state for r in fresh(*records)} == {State.PROCESSED}
    assert Ticket.objects.count() == 30
    assert ready_processing_jobs() == 0
    # The next message after the job has run queues a new one.
    accept(raw_mail(subject="One more"))
    assert ready_processing_jobs() == 1


def test_worker_start_queues_processing_only_when_mail_is_pending(mailbox):
    assert not ensure_mail_processing()
    record = accept(raw_mail())
    DBTaskResult.objects.all().delete()  # as after a crash: pending mail, no job
    assert ensure_mail_processing()
    assert ready_processing_jobs() == 1
    assert not ensure_mail_processing()  # one is waiting already
    process_pending()
    assert fresh(record)[0].state == State.PROCESSED
    assert not ensure_mail_processing()


def test_a_batch_size_of_2_still_records_all_5_messages(mailbox, settings, run_tasks, batches):
    settings.MAIL_BATCH_SIZE = 2
    records = [accept(raw_mail(sender=f"c{i}@example.org", subject=f"Question {i}")) for i in range(5)]
    run_tasks()
    ids = [r.pk for r in records]
    assert batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert {r.state for r in fresh(*records)} == {State.PROCESSED}
    assert Ticket.objects.count() == 5
    assert ready_processing_jobs() == 0


def test_a_flood_of_mail_is_recorded_in_several_jobs_so_other_jobs_get_their_turn(mailbox, settings):
    settings.MAIL_BATCH_SIZE = 2
    records = [accept(raw_mail(sender=f"c{i}@example.org", subject=f"Question {i}")) for i in range(5)]
    DBTaskResult.objects.all().delete()
    assert process_pending(max_batches=2) == {"processed": 4, "more": 1}
    assert [r.state for r in fresh(*records)] == [State.PROCESSED] * 4 + [State.PENDING]

    process_pending_mail.call()  # the job: stops after its batches and queues the next one
    assert fresh(records[-1])[0].state == State.PROCESSED
    assert ready_processing_jobs() == 0  # nothing more was pending, so no job was queued


def test_a_job_that_stops_with_mail_left_queues_the_next_one(mailbox, settings, monkeypatch):
    records = [accept(raw_mail(sender=f"c{i}@example.org", subject=f"Question {i}")) for i in range(3)]
    DBTaskResult.objects.all().delete()
    settings.MAIL_BATCH_SIZE = 1
    real = processing.process_pending
    monkeypatch.setattr(processing, "process_pending", lambda: real(max_batches=1))
    process_pending_mail.call()
    assert [r.state for r in fresh(*records)] == [State.PROCESSED, State.PENDING, State.PENDING]
    assert ready_processing_jobs() == 1


# ------------------------------------------------------------------------------ failures
@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make recording fail for messages with the given subject (after they were understood)."""

    def arm(subject: str) -> None:
        real = processing._ticket_request

        def failing(plan: processing.Plan, cc_contacts: dict[str, Any]) -> Any:
            if plan.item.parsed.subject == subject:
                raise RuntimeError(f"injected failure for {subject!r}")
            return real(plan, cc_contacts)

        monkeypatch.setattr(processing, "_ticket_request", failing)

    return arm


def test_a_message_that_fails_recording_does_not_hold_back_the_rest_of_its_batch(mailbox, run_tasks,
                                                                                batches, poison):
    poison("Poison")
    first = accept(raw_mail(sender=CAROL, message_id="<p1@client.example>"))
    reply = accept(raw_mail(sender=CAROL, subject="Re: Printer on fire", in_reply_to="<p1@client.example>"))
    bad = accept(raw_mail(sender="Pete <pete@example.org>", subject="Poison", body="Bad apple body.",
                          message_id="<bad@client.example>"))
    last = accept(raw_mail(sender="Dan <dan@example.net>", subject="Scanner jammed"))
    run_tasks()

    first, reply, bad, last = fresh(first, reply, bad, last)
    assert batches == [[first.pk, reply.pk, bad.pk, last.pk]]  # one claim, retried inside
    assert first.state == reply.state == last.state == State.PROCESSED
    assert reply.ticket == first.ticket and last.ticket not in {None, first.ticket}
    assert bad.state == State.FAILED and "injected failure" in bad.error
    kept = bad.ticket
    assert kept is not None and kept.subject == "Message that could not be read"
    assert bad.event is not None and bad.event.flags == ["unparsed"]
    assert "Bad apple body." in bad.event.body_text
    # The fallback does not take the Message-ID (reprocessing must not call it a duplicate);
    # the raw row keeps it.
    assert bad.event.message_id == "" and bad.message_id == "<bad@client.example>"
    assert Ticket.objects.count() == 3
    assert Event.objects.filter(kind=Event.Kind.MESSAGE_IN).count() == 4


def test_a_second_copy_of_an_unreadable_message_is_a_duplicate(mailbox, run_tasks, poison):
    poison("Poison")
    one = accept(raw_mail(sender=CAROL, subject="Poison", message_id="<bad2@client.example>", body="a"))
    run_tasks()
    two = accept(raw_mail(sender=CAROL, subject="Poison", message_id="<bad2@client.example>", body="b"))
    run_tasks()
    one, two = fresh(one, two)
    assert one.state == State.FAILED and two.state == State.DUPLICATE
    assert Ticket.objects.count() == 1


def test_a_message_that_fails_alone_is_kept_as_unparsed(mailbox, poison):
    poison("Poison")
    bad = accept(raw_mail(subject="Poison", body="Alone and bad."))
    assert process_batch([bad]) == {bad.pk: processing.FAILED}
    (bad,) = fresh(bad)
    assert bad.state == State.FAILED and "unparsed" in bad.event.flags


def test_flags_of_a_batch_that_had_to_be_retried_are_recorded_once(mailbox, run_tasks, poison):
    poison("Poison")
    _original, reply = original_and_stranger_reply()
    spam = accept(raw_mail(sender="Sam <sam@spam.example>", subject="Cheap pills",
                           headers={"X-Spam-Flag": "YES", "Authentication-Results": "mx; dmarc=fail"}))
    bad = accept(raw_mail(sender="Pete <pete@example.org>", subject="Poison"))
    run_tasks()
    reply, spam, bad = fresh(reply, spam, bad)
    assert bad.state == State.FAILED  # so the batch was recorded again, message by message
    assert reply.state == State.PROCESSED and not reply.event.public
    assert reply.event.flags == ["held"]
    assert spam.event.flags == ["spam"] and spam.ticket.spam


# ---------------------------------------------------------------------- hijack protection
def test_a_strangers_reply_to_a_message_of_the_same_batch_is_held(mailbox, settings, run_tasks):
    settings.MAIL_STRANGER_REPLIES = "hold"
    original, reply = original_and_stranger_reply()
    run_tasks()

    original, reply = fresh(original, reply)
    assert original.state == reply.state == State.PROCESSED
    assert reply.ticket == original.ticket and Ticket.objects.count() == 1
    assert "held" in reply.event.flags and not reply.event.public
    assert reply.event.author_contact.primary_email == "mallory@evil.example"
    assert reply.ticket.requester.primary_email == "carol@example.org"
    assert reply.ticket.last_customer_message_at == original.event.created_at


def test_a_strangers_reply_to_a_message_of_the_same_batch_opens_its_own_ticket_when_so_configured(
        mailbox, settings, run_tasks):
    settings.MAIL_STRANGER_REPLIES = "new_ticket"
    original, reply = original_and_stranger_reply()
    run_tasks()

    original, reply = fresh(original, reply)
    assert reply.ticket != original.ticket and Ticket.objects.count() == 2
    assert reply.ticket.requester.primary_email == "mallory@evil.example"
    assert reply.event.public and "held" not in reply.event.flags
    assert list(original.ticket.events.filter(kind=Event.Kind.MESSAGE_IN)) == [original.event]


@pytest.mark.parametrize("stranger_replies", ["hold", "new_ticket"])
def test_a_reply_from_someone_the_original_copied_joins_its_ticket_in_the_same_batch(
        mailbox, settings, run_tasks, stranger_replies):
    settings.MAIL_STRANGER_REPLIES = stranger_replies
    original = accept(raw_mail(sender=CAROL, cc="Dave <dave@elsewhere.example>",
                               message_id="<cc@client.example>"))
    reply = accept(raw_mail(sender="Dave <DAVE@elsewhere.example>", subject="Re: Printer on fire",
                            in_reply_to="<cc@client.example>"))
    run_tasks()
    original, reply = fresh(original, reply)
    assert reply.ticket == original.ticket
    assert reply.event.public and "held" not in reply.event.flags


@pytest.mark.parametrize("stranger_replies", ["hold", "new_ticket"])
def test_a_reply_from_a_colleague_of_the_requester_joins_its_ticket_in_the_same_batch(
        mailbox, settings, run_tasks, stranger_replies):
    settings.MAIL_STRANGER_REPLIES = stranger_replies
    OrganizationFactory(name="Example", domains=["example.org"])
    original, reply = original_and_stranger_reply(sender="Erin <erin@example.org>")
    run_tasks()
    original, reply = fresh(original, reply)
    assert reply.ticket == original.ticket
    assert reply.event.public and "held" not in reply.event.flags


# ------------------------------------------------------------------------------- waiting
class OtherWorker:
    """A second database connection holding raw messages' rows locked, as a worker recording
    them would, until its transaction ends."""

    def __init__(self) -> None:
        import psycopg

        config = connection.settings_dict
        self.connection = psycopg.connect(
            dbname=config["NAME"], user=config["USER"], password=config["PASSWORD"],
            host=config["HOST"], port=config["PORT"] or None)

    def hold(self, record: RawMessage) -> None:
        table = connection.ops.quote_name(RawMessage._meta.db_table)
        self.connection.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE",  # noqa: S608
                                [record.pk])

    def release(self) -> None:
        """Its transaction ends (here without having recorded anything)."""
        self.connection.rollback()


@pytest.fixture
def another_worker(transactional_db: None) -> Iterator[OtherWorker]:
    # Only PostgreSQL records batches side by side; SQLite has one writer, and nothing waits.
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL runs two recorders at once (skip-locked claims)")
    worker = OtherWorker()
    try:
        yield worker
    finally:
        worker.release()
        worker.connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_original_another_worker_holds_waits_then_threads(mailbox, another_worker):
    original = accept(raw_mail(sender=CAROL, message_id="<wait@client.example>"))
    reply = accept(raw_mail(sender=CAROL, subject="Re: Printer on fire", body="Any news?",
                            in_reply_to="<wait@client.example>", references="<wait@client.example>"))
    another_worker.hold(original)

    assert process_batch([reply]) == {reply.pk: processing.WAITING}
    original, reply = fresh(original, reply)
    assert original.state == reply.state == State.PENDING
    assert reply.event is None and reply.processed_at is None
    assert not Ticket.objects.exists()
    # A worker looking now skips the held original and leaves the reply waiting.
    assert process_pending() == {processing.WAITING: 1}
    assert fresh(reply)[0].state == State.PENDING

    another_worker.release()
    assert process_pending() == {processing.PROCESSED: 2}
    original, reply = fresh(original, reply)
    assert original.state == reply.state == State.PROCESSED
    assert reply.ticket == original.ticket and Ticket.objects.count() == 1
    assert list(original.ticket.events.filter(kind=Event.Kind.MESSAGE_IN)) == [original.event, reply.event]


@pytest.mark.django_db(transaction=True)
def test_a_waiting_reply_does_not_stop_the_rest_of_its_batch(mailbox, another_worker):
    original = accept(raw_mail(message_id="<w2@client.example>"))
    reply = accept(raw_mail(subject="Re: Printer on fire", in_reply_to="<w2@client.example>"))
    other = accept(raw_mail(sender="Dan <dan@example.net>", subject="Scanner jammed"))
    another_worker.hold(original)
    assert process_batch([reply, other]) == {reply.pk: processing.WAITING, other.pk: processing.PROCESSED}
    original, reply, other = fresh(original, reply, other)
    assert reply.state == original.state == State.PENDING and other.state == State.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_a_waiting_message_of_the_same_batch_waits_with_it(mailbox, another_worker):
    original = accept(raw_mail(message_id="<a@client.example>"))
    middle = accept(raw_mail(message_id="<b@client.example>", subject="Re: Printer on fire",
                             in_reply_to="<a@client.example>"))
    last = accept(raw_mail(message_id="<c@client.example>", subject="Re: Printer on fire",
                           in_reply_to="<b@client.example>"))  # In-Reply-To only: no mention of <a>
    another_worker.hold(original)
    assert process_batch([middle, last]) == {middle.pk: processing.WAITING, last.pk: processing.WAITING}
    assert not Ticket.objects.exists()

    another_worker.release()
    process_pending()
    original, middle, last = fresh(original, middle, last)
    assert original.ticket == middle.ticket == last.ticket
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("batch_size", [1, 2])
def test_replies_accepted_before_their_original_do_not_block_the_queue(mailbox, settings, batch_size):
    # Nobody holds the original: it simply arrived later. Waiting for it would claim the same
    # replies at the head of the queue again and again, and never reach it.
    settings.MAIL_BATCH_SIZE = batch_size
    replies = [accept(raw_mail(subject="Re: Printer on fire", body=f"Reply {i}",
                               in_reply_to="<late@client.example>")) for i in range(batch_size)]
    original = accept(raw_mail(message_id="<late@client.example>"))
    behind = accept(raw_mail(sender="Dan <dan@example.net>", subject="Scanner jammed"))
    totals = process_pending()
    assert processing.WAITING not in totals
    assert {r.state for r in fresh(*replies, original, behind)} == {State.PROCESSED}
    # And they find their thread: the original is taken into the replies' batch, first.
    tickets = {r.ticket_id for r in fresh(*replies, original)}
    assert len(tickets) == 1 and fresh(original)[0].event.kind == Event.Kind.MESSAGE_IN
    assert Ticket.objects.get(pk=tickets.pop()).events.filter(kind=Event.Kind.MESSAGE_IN).count() == (
        batch_size + 1)


def test_a_reply_delivered_before_its_original_over_another_connection_joins_its_ticket(
        mailbox, run_tasks):
    reply = accept(raw_mail(subject="Re: Printer on fire", body="Still broken.",
                            message_id="<r1@client.example>", in_reply_to="<o1@client.example>",
                            references="<o1@client.example>"))
    original = accept(raw_mail(message_id="<o1@client.example>"))
    run_tasks()
    reply, original = fresh(reply, original)
    assert reply.ticket == original.ticket
    events = list(original.ticket.events.filter(kind=Event.Kind.MESSAGE_IN).order_by("id"))
    assert [e.message_id for e in events] == ["<o1@client.example>", "<r1@client.example>"]


# -------------------------------------------------------------------------- odds and ends
def test_a_required_custom_field_does_not_stop_mail_from_opening_a_ticket(mailbox, run_tasks):
    CustomFieldFactory(key="contract", required=True)
    contact = make_contact()
    with pytest.raises(Exception):  # noqa: B017 - a form must fill it: the field really is required
        open_ticket(requester=contact, subject="From a form", body="Hi", channel=Channel.PORTAL)

    record = accept(raw_mail())
    run_tasks()
    (record,) = fresh(record)
    assert record.state == State.PROCESSED
    assert record.ticket.custom_fields == {} and record.ticket.subject == "Printer on fire"


def test_an_auto_reply_to_a_closed_ticket_is_recorded_not_kept_as_unreadable(mailbox, run_tasks):
    original = accept(raw_mail(message_id="<closed@client.example>"))
    run_tasks()
    (original,) = fresh(original)
    update_ticket(ticket=original.ticket, actor=make_agent().user, changes={"status": "closed"})
    auto = accept(raw_mail(subject="Out of office", in_reply_to="<closed@client.example>",
                           headers={"Auto-Submitted": "auto-replied"}))
    run_tasks()
    (auto,) = fresh(auto)
    assert auto.state == State.PROCESSED
    assert auto.ticket == original.ticket and not auto.event.public
    assert "auto_submitted" in auto.event.flags
    auto.ticket.refresh_from_db()
    assert auto.ticket.status == Ticket.Status.CLOSED
