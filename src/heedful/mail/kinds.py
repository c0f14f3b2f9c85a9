"""The timeline facts the mail channel adds: an agent's spam verdict, the review of a held
message, and an outbound message that could not be delivered."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from heedful.tickets.kinds import EventKind, register_kind

SPAM_VERDICT = "spam_verdict"
HELD_REVIEW = "held_review"
DELIVERY_FAILED = "delivery_failed"

ACCEPTED = "accepted"
REJECTED = "rejected"

MAIL_KINDS = (
    EventKind(SPAM_VERDICT, _("Spam verdict"), "web/events/spam_verdict.html",
              data={"spam": "bool", "learned": "bool?"}),
    EventKind(HELD_REVIEW, _("Held message reviewed"), "web/events/held_review.html",
              data={"event": "int", "decision": "str"}),
    EventKind(DELIVERY_FAILED, _("Reply not delivered"), "web/events/delivery_failed.html",
              data={"event": "int", "state": "str", "reason": "str?"}),
)


def register_mail_kinds() -> None:
    for kind in MAIL_KINDS:
        register_kind(kind)
