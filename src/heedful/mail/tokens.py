"""Ticket tokens in Reply-To plus-addresses and subject tags.

The plus-address carries the ticket number and a short HMAC, so a stranger cannot aim mail at a
ticket by guessing its number; the subject tag `[#123]` is the weakest hint and is only trusted
from the ticket's participants (see threads.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_PLUS_TOKEN = re.compile(r"\+t(\d+)\.([0-9a-f]{10})@", re.I)
_SUBJECT_TAG = re.compile(r"\[#(\d+)\]")
_REPLY_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|réf|rif|r|tr|回复|答复|转发|回覆)\s*(\[\d+\])?\s*[:：]\s*)+", re.I
)


def _signature(number: int) -> str:
    key = hashlib.sha256(b"heedful-reply-token:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, str(number).encode(), hashlib.sha256).hexdigest()[:10]


def reply_address(mailbox_address: str, number: int) -> str:
    local, _at, domain = mailbox_address.rpartition("@")
    return f"{local.split('+', 1)[0]}+t{number}.{_signature(number)}@{domain}"


def number_from_addresses(addresses: list[str]) -> int | None:
    for address in addresses:
        match = _PLUS_TOKEN.search(address)
        if match and hmac.compare_digest(match.group(2).lower(), _signature(int(match.group(1)))):
            return int(match.group(1))
    return None


def subject_tag(number: int) -> str:
    return f"[#{number}]"


def number_from_subject(subject: str) -> int | None:
    match = _SUBJECT_TAG.search(subject or "")
    return int(match.group(1)) if match else None


def strip_subject(subject: str) -> str:
    """The subject without reply prefixes and our tag, for a new ticket's title."""
    text = _SUBJECT_TAG.sub("", subject or "")
    return " ".join(_REPLY_PREFIX.sub("", text).split())
