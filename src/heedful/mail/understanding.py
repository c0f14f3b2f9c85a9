"""Reading one stored message: parse, classify, extract the new words, detect the language.

Everything here is CPU work on one message and touches no table, so a batch can understand all
its messages first and then record them together (processing.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from heedful.mail import noise
from heedful.mail.intake import read_raw
from heedful.mail.language import detect_language
from heedful.mail.models import RawMessage
from heedful.mail.parsing import ParsedMessage, parse_message
from heedful.mail.replies import extract_reply
from heedful.tickets.attachments import Upload, sanitize_filename


@dataclass
class Understood:
    """What one raw message says, before it is attributed and threaded."""

    record: RawMessage
    raw: bytes
    parsed: ParsedMessage
    flags: list[str]
    body: str
    body_html: str
    full_text: str
    language: str
    attachments: list[Upload]
    recipients: list[str] = field(default_factory=list)

    @property
    def message_id(self) -> str:
        return self.parsed.message_id


def understand(record: RawMessage) -> Understood:
    raw = read_raw(record)
    parsed = parse_message(raw)
    flags = noise.classify(parsed)
    reply_text = extract_reply(parsed.text, parsed.source_html)
    body = reply_text or _("(This message has no text.)")
    attachments, too_big = keepable_attachments(parsed.attachments)
    if too_big:
        flags.append("attachment_dropped")
        body += "\n\n" + _("(Not kept, larger than the attachment limit: %(names)s. The original "
                            "message is stored in full.)") % {"names": ", ".join(too_big)}
    return Understood(
        record=record, raw=raw, parsed=parsed, flags=flags, body=body,
        # The sanitised HTML is shown only when it holds nothing but the new words.
        body_html=parsed.html if reply_text == parsed.text.strip() and not too_big else "",
        full_text=parsed.text or reply_text, language=detect_language(reply_text),
        attachments=attachments, recipients=recipients_of(record, parsed),
    )


def recipients_of(record: RawMessage, parsed: ParsedMessage) -> list[str]:
    addresses = [a.email for a in [*parsed.to, *parsed.cc]]
    addresses += parsed.headers.get("delivered-to", []) + parsed.headers.get("x-original-to", [])
    return [*record.envelope_to, *addresses]


def keepable_attachments(uploads: list[Upload]) -> tuple[list[Upload], list[str]]:
    """Attachments within the size limit, and the names of those that are not (the raw message
    still holds them, so nothing is lost)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    kept = [u for u in uploads if len(u.content) <= limit]
    dropped = [sanitize_filename(u.filename) for u in uploads if len(u.content) > limit]
    return kept, dropped
