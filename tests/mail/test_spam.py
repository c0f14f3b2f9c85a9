"""Spam scoring: header and content rules, and a classifier that learns from agents' verdicts.
Suspected spam lands in the spam queue, flagged; nothing is deleted."""

from __future__ import annotations

from typing import Any

import pytest

from heedful.mail import spam
from heedful.mail.actions import mark_spam
from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage, SpamToken
from heedful.mail.parsing import parse_message
from heedful.policy import Viewer
from heedful.tickets import selectors
from heedful.tickets.models import Ticket
from tests.factories import make_ticket
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db

SPAM_SAMPLES = [
    ("Luxury replica watches",
     "Buy luxury replica watches at a huge discount. Click the link, limited offer!"),
    ("Cheap pills online",
     "Cheapest pills online, no prescription. Huge discount, click now, limited offer."),
    ("You won a prize",
     "Congratulations winner! Claim your prize now, click the link before the offer ends."),
    ("Crypto investment", "Double your crypto investment in a week. Limited offer, click the link now."),
    ("Casino bonus", "Exclusive casino bonus for you: free spins and a huge discount. Click now!"),
]
HAM_SAMPLES = [
    ("Printer not working", "My printer stopped working after the update. Could you help me set it up?"),
    ("Invoice question", "The invoice for March shows the wrong amount. Could you check my account?"),
    ("Password reset", "I cannot reset my password, the email never arrives. Could you help me?"),
    ("Delivery late", "My order has not arrived yet. Could you tell me when the delivery is expected?"),
    ("Cancel subscription", "Please cancel my subscription at the end of the month. Thanks for your help."),
]


def score(**mail: Any) -> spam.Verdict:
    parsed = parse_message(raw_mail(**mail))
    return spam.score_message(parsed, parsed.text)


def ingest(raw: bytes, run_tasks: Any) -> RawMessage:
    accepted = accept_raw(raw, via=RawMessage.Via.SMTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    return accepted.raw


def spam_queue(agent: Any) -> list[Ticket]:
    return selectors.ticket_queue(viewer=Viewer.for_user(agent.user), queue="spam", filters={},
                                  sort="-created", cursor=None, limit=50).items


def train(agent: Any) -> None:
    for subject, body in SPAM_SAMPLES:
        mark_spam(ticket=make_ticket(subject=subject, body=body), actor=agent.user, spam=True)
    for subject, body in HAM_SAMPLES:
        mark_spam(ticket=make_ticket(subject=subject, body=body), actor=agent.user, spam=False)


# Rules ---------------------------------------------------------------------------------------


def test_ordinary_mail_scores_nothing():
    verdict = score()
    assert verdict.score == 0 and verdict.reasons == [] and not verdict.is_spam


def test_upstream_spam_verdict_scores():
    verdict = score(headers={"X-Spam-Status": "Yes, score=12.3 required=5.0"})
    assert verdict.score == 4 and verdict.reasons == ["upstream filter says spam"]


def test_upstream_spam_flag_scores():
    assert score(headers={"X-Spam-Flag": "YES"}).score == 4


def test_upstream_ham_verdict_scores_nothing():
    assert score(headers={"X-Spam-Status": "No, score=0.1 required=5.0"}).score == 0


def test_failed_dmarc_scores():
    verdict = score(headers={"Authentication-Results": "mx.heedful.test; spf=pass; dmarc=fail"})
    assert verdict.score == 2 and verdict.reasons == ["sender authentication failed"]


def test_executable_attachment_scores():
    verdict = score(attachments=[("invoice.pdf.exe", b"MZ\x90\x00", "application/octet-stream")])
    assert verdict.score == 2.5 and verdict.reasons == ["executable attachment"]


def test_rules_add_up_to_spam():
    verdict = score(headers={"X-Spam-Status": "Yes", "Authentication-Results": "mx; dmarc=fail"},
                    attachments=[("run.scr", b"MZ", "application/octet-stream")])
    assert verdict.is_spam and verdict.score == 8.5
    assert verdict.reasons == ["upstream filter says spam", "sender authentication failed",
                               "executable attachment"]


def test_spam_by_rules_lands_in_the_spam_queue_unanswered(run_tasks, agent):
    Mailbox.objects.create(name="Support", address="support@heedful.test")
    record = ingest(raw_mail(headers={"X-Spam-Status": "Yes", "Authentication-Results": "mx; dmarc=fail"}),
                    run_tasks)
    ticket = record.ticket
    assert ticket.spam and "spam" in record.event.flags
    assert spam_queue(agent) == [ticket]
    assert not OutboundMessage.objects.exists()  # spam is never acknowledged


# Learning ------------------------------------------------------------------------------------


def test_classifier_is_silent_before_it_has_seen_both_kinds(agent):
    for subject, body in SPAM_SAMPLES:
        mark_spam(ticket=make_ticket(subject=subject, body=body), actor=agent.user, spam=True)
    assert score(subject="Luxury replica watches", body=SPAM_SAMPLES[0][1]).score == 0


def test_after_agents_verdicts_similar_spam_lands_in_the_spam_queue(run_tasks, agent):
    train(agent)
    body = "Luxury replica watches, huge discount! Click the link now, limited offer."
    record = ingest(raw_mail(sender="promo@deals.example", subject="Replica watches discount", body=body),
                    run_tasks)
    assert record.ticket.spam and "spam" in record.event.flags
    assert record.ticket in spam_queue(agent)


def test_after_agents_verdicts_a_normal_message_stays_in_the_queue(run_tasks, agent):
    train(agent)
    record = ingest(raw_mail(subject="Printer error", body="My printer shows an error after the "
                             "update. Could you help me with my account settings?"), run_tasks)
    assert not record.ticket.spam and "spam" not in record.event.flags
    assert record.ticket not in spam_queue(agent)


def test_learned_score_is_explained(agent):
    train(agent)
    verdict = score(subject="Casino prize",
                    body="Claim your casino prize now, click the link, limited offer!")
    assert verdict.is_spam and "resembles mail agents marked as spam" in verdict.reasons


def test_repeating_a_verdict_counts_once(agent):
    ticket = make_ticket(subject="Cheap pills", body="Buy cheap pills now")
    for _ in range(3):
        mark_spam(ticket=ticket, actor=agent.user, spam=True)
    assert SpamToken.objects.get(token="pills").spam == 1
    assert SpamToken.objects.get(token=spam.SPAM_DOCS).spam == 1


def test_changing_ones_mind_moves_the_words_to_the_other_side(agent):
    ticket = make_ticket(subject="Cheap pills", body="Buy cheap pills now")
    mark_spam(ticket=ticket, actor=agent.user, spam=True)
    mark_spam(ticket=ticket, actor=agent.user, spam=False)
    pills = SpamToken.objects.get(token="pills")
    assert (pills.spam, pills.ham) == (0, 1)
    assert SpamToken.objects.get(token=spam.SPAM_DOCS).spam == 0
    assert SpamToken.objects.get(token=spam.HAM_DOCS).ham == 1
    ticket.refresh_from_db()
    assert not ticket.spam


def test_not_spam_on_a_flagged_ticket_brings_it_back(run_tasks, agent):
    record = ingest(raw_mail(headers={"X-Spam-Flag": "YES", "Authentication-Results": "mx; spf=fail"}),
                    run_tasks)
    ticket = record.ticket
    assert ticket.spam
    mark_spam(ticket=ticket, actor=agent.user, spam=False)
    assert spam_queue(agent) == []
    assert Ticket.objects.get(pk=ticket.pk).spam is False
