"""Turning raw RFC 5322 bytes into what Heedful needs, surviving real-world mail.

Never raises on bad input: broken charsets fall back, undecodable parts become attachments, and a
message we cannot parse at all still yields its raw text (see `parse_message`).
"""

from __future__ import annotations

import contextlib
import email
import email.utils
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

from heedful.core.html import html_to_text, sanitize_html
from heedful.tickets.attachments import Upload

# Charsets that mail clients label too narrowly: decode with the superset.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "iso-8859-1": "windows-1252", "latin1": "windows-1252", "us-ascii": "windows-1252",
    "ascii": "windows-1252", "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext", "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
}
_ANGLE_IDS = re.compile(r"<([^<>\s]+)>")


@dataclass
class Address:
    name: str
    email: str


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    date: str = ""
    text: str = ""
    html: str = ""
    attachments: list[Upload] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    report_type: str = ""
    delivery_status: str = ""
    parse_problems: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def decode_bytes(data: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    name = CHARSET_SUPERSETS.get(name, name)
    for candidate in (name, "utf-8", "windows-1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def decode_header_value(value: object) -> str:
    """RFC 2047 words in any charset, tolerating bad encodings and stray 8-bit bytes."""
    raw = str(value or "")
    try:
        parts = decode_header(raw)
    except Exception:  # the email package raises several kinds on garbage
        return " ".join(raw.split())
    out = []
    for chunk, charset in parts:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    text = "".join(out) if len(parts) > 1 else (out[0] if out else "")
    if len(parts) > 1:
        with contextlib.suppress(Exception):  # keep our own joining when the header is odd
            text = str(make_header(parts))
    return " ".join(text.replace("\x00", "").split())


def message_ids(value: str) -> list[str]:
    found = _ANGLE_IDS.findall(value or "")
    if not found and value and "@" in value:
        found = [value.strip().strip("<>")]
    return [f"<{item}>" for item in found]


def _addresses(values: list[str]) -> list[Address]:
    result = []
    for name, address in email.utils.getaddresses([decode_header_value(v) for v in values]):
        address = address.strip()
        if "@" in address:
            result.append(Address(name=name.strip(), email=address))
    return result


def _headers(message: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for key, value in message.raw_items() if hasattr(message, "raw_items") else message.items():
        headers.setdefault(key.lower(), []).append(str(value))
    return headers


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # bad base64 or quoted-printable: keep what is there
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:  # malformed RFC 2231 parameters
        name = None
    return decode_header_value(name) if name else ""


def _walk(message: Message, parsed: ParsedMessage, texts: list[str], htmls: list[str]) -> None:
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = _filename(part)
        if content_type == "message/delivery-status":
            parsed.delivery_status += _delivery_status_text(part)
            continue
        is_body = content_type in {"text/plain", "text/html"} and disposition != "attachment" and not name
        if is_body:
            text = decode_bytes(_part_bytes(part), part.get_content_charset())
            (texts if content_type == "text/plain" else htmls).append(text)
            continue
        data = _part_bytes(part)
        if not data:
            continue
        content_id = (part.get("Content-ID") or "").strip().strip("<>")
        extension = {"message/rfc822": ".eml", "text/calendar": ".ics"}.get(content_type, "")
        parsed.attachments.append(Upload(
            filename=name or f"attachment{len(parsed.attachments) + 1}{extension}",
            content=data, content_type=content_type, inline=disposition == "inline" or bool(content_id),
            content_id=content_id,
        ))


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(p) for p in payload)
    return decode_bytes(_part_bytes(part), "utf-8")


def parse_message(raw: bytes) -> ParsedMessage:
    parsed = ParsedMessage()
    try:
        message: Message = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception as problem:  # pragma: no cover - the parser is very lenient
        parsed.parse_problems.append(f"unparseable: {problem}")
        parsed.text = decode_bytes(raw, "utf-8")
        return parsed
    parsed.parse_problems.extend(str(d.__class__.__name__) for d in message.defects)
    parsed.headers = _headers(message)
    parsed.message_id = (message_ids(str(message.get("Message-ID", ""))) or [""])[0]
    parsed.in_reply_to = message_ids(str(message.get("In-Reply-To", "")))
    parsed.references = message_ids(" ".join(str(v) for v in message.get_all("References", [])))
    parsed.subject = decode_header_value(message.get("Subject", ""))[:500]
    senders = _addresses([str(v) for v in message.get_all("From", [])])
    parsed.sender = senders[0] if senders else None
    parsed.reply_to = _addresses([str(v) for v in message.get_all("Reply-To", [])])
    parsed.to = _addresses([str(v) for v in message.get_all("To", [])])
    parsed.cc = _addresses([str(v) for v in message.get_all("Cc", [])])
    parsed.date = str(message.get("Date", ""))
    parsed.content_type = message.get_content_type()
    if parsed.content_type == "multipart/report":
        parsed.report_type = str(message.get_param("report-type") or "")
    texts: list[str] = []
    htmls: list[str] = []
    try:
        _walk(message, parsed, texts, htmls)
    except Exception as problem:  # a broken structure still leaves us the raw text
        parsed.parse_problems.append(f"structure: {problem}")
        texts = [decode_bytes(raw.split(b"\n\n", 1)[-1], "utf-8")]
    parsed.html = sanitize_html("\n".join(htmls)) if htmls else ""
    parsed.text = "\n\n".join(t.strip("\n") for t in texts) if texts else html_to_text(parsed.html)
    parsed.text = parsed.text.replace("\r\n", "\n").replace("\x00", "")
    return parsed


def as_email_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
