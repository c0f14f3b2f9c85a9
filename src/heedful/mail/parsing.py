"""Turning raw RFC 5322 bytes into what Heedful needs, surviving real-world mail.

Never raises on bad input: broken charsets fall back, undecodable parts become attachments, and a
message we cannot parse at all still yields its raw text (see `parse_message`).
"""

from __future__ import annotations

import binascii
import email
import email.utils
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from heedful.core.html import html_to_text, sanitize_html
from heedful.mail import tnef
from heedful.tickets.attachments import Upload, sanitize_filename

# Charsets that mail clients label too narrowly: decode with the superset.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "iso-8859-1": "windows-1252", "latin1": "windows-1252", "us-ascii": "windows-1252",
    "ascii": "windows-1252", "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext", "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
}
_ANGLE_IDS = re.compile(r"<([^<>\s]{1,250})>")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_SURROGATES = re.compile("[\udc80-\udcff]")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
SUBJECT_MAX = 250  # what a ticket subject holds
NAME_MAX = 200  # what a contact name holds
MAX_DEPTH = 30  # multiparts nested deeper than this are not read (their bytes stay in the raw message)


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
    html: str = ""  # sanitised, safe to show
    source_html: str = ""  # as sent, for reply extraction only (quote containers); never shown
    attachments: list[Upload] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    report_type: str = ""
    delivery_status: str = ""
    tnef_text: str = ""  # the body inside a winmail.dat, used when the message has no other text
    parse_problems: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset, read with the superset clients really mean; an unknown or
    wrong label falls back to UTF-8, then Windows-1252 (which decodes any byte)."""
    name = (charset or "utf-8").strip().strip('"').strip("'").lower()
    name = CHARSET_SUPERSETS.get(name, name)
    for candidate in (name, "utf-8", "windows-1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("utf-8", "replace")


def _unescape_8bit(value: str) -> str:
    """Header text holding raw 8-bit bytes (the parser keeps them as surrogates): each run is read
    as UTF-8 when it is valid UTF-8, else as Windows-1252."""
    if not _SURROGATES.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    fixed = _NON_ASCII_RUN.sub(lambda m: decode_bytes(m.group(0), "utf-8").encode("utf-8"), data)
    return fixed.decode("utf-8", "replace")


def _encoded_word_bytes(encoding: str, payload: str) -> bytes:
    if encoding.lower() == "b":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(cleaned) % 4 == 1:  # a lone sextet cannot hold a byte
            cleaned = cleaned[:-1]
        return binascii.a2b_base64((cleaned + "=" * (-len(cleaned) % 4)).encode("ascii"))
    data = payload.replace("_", " ").encode("ascii", "replace")
    return quopri.decodestring(data, header=True)


def decode_rfc2047(value: str) -> str:
    """Encoded words (RFC 2047) in any charset. Adjacent words of one charset are joined as bytes
    first, since clients split multi-byte characters across words; plain text is kept."""
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset, bytes) or (None, text)
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, between))
        charset = match.group(1).split("*", 1)[0].lower()
        try:
            data = _encoded_word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            data = match.group(0).encode("ascii", "replace")
            charset = "us-ascii"
        last = pieces[-1] if pieces else None
        if last is not None and last[0] == charset and isinstance(last[1], bytes):
            pieces[-1] = (charset, last[1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    pieces.append((None, value[position:]))
    return "".join(
        text if isinstance(text, str) else decode_bytes(text, charset) for charset, text in pieces
    )


def decode_header_value(value: object) -> str:
    """A header as one line of text: RFC 2047 words in any charset, stray 8-bit bytes, folding
    and NUL characters all dealt with. Never raises."""
    try:
        raw = _unescape_8bit(str(value or ""))
        text = decode_rfc2047(raw) if "=?" in raw else raw
    except Exception:  # pragma: no cover - the decoder above is written not to raise
        text = str(value or "").encode("utf-8", "replace").decode("utf-8", "replace")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def message_ids(value: str) -> list[str]:
    found = _ANGLE_IDS.findall(value or "")
    if not found and value and "@" in value and len(value.strip()) <= 250:
        found = ["".join(value.strip().strip("<>").split())]
    return [f"<{item}>" for item in found if not _CONTROL.search(item)]


def _addresses(values: list[str]) -> list[Address]:
    """Addresses from raw header values; names are decoded after splitting, so that an encoded
    name holding a comma or angle brackets stays one name."""
    result = []
    try:
        pairs = email.utils.getaddresses([_unescape_8bit(v) for v in values])
    except Exception:  # pragma: no cover - getaddresses is lenient, but header soup is endless
        pairs = []
    for name, address in pairs:
        address = "".join(decode_header_value(address).split())
        if "@" in address and len(address) <= 320:
            result.append(Address(name=decode_header_value(name)[:NAME_MAX].strip(), email=address))
    return result


def _headers(message: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for key, value in message.raw_items():
        headers.setdefault(str(key).lower().strip(), []).append(_unescape_8bit(str(value)))
    return headers


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # bad base64 or quoted-printable: keep what is there
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # an RFC 2231 charset parameter in an unknown charset
        return None


def _filename(part: Message) -> str:
    """The attachment's name (RFC 2231 or RFC 2047 encoded), made safe for disk and headers."""
    source = part
    raw_items = [(k, v) for k, v in part.raw_items() if k.lower() in {"content-disposition", "content-type"}]
    if any(_SURROGATES.search(str(v)) for _k, v in raw_items):
        source = Message()  # raw 8-bit parameters: read them as text, not as undecodable bytes
        for key, value in raw_items:
            source[key] = _unescape_8bit(str(value))
    try:
        name = source.get_filename()
    except Exception:  # malformed RFC 2231 parameters
        name = None
    return sanitize_filename(decode_header_value(name)) if name else ""


def _disposition(part: Message) -> str:
    value = _unescape_8bit(str(part.get("Content-Disposition") or ""))
    return value.split(";")[0].strip().lower()


def _content_id(part: Message) -> str:
    return "".join(decode_header_value(part.get("Content-ID") or "").split()).strip("<>")[:250]


def _attach_message(part: Message, parsed: ParsedMessage) -> None:
    """A message inside the message (forwarded as attachment, or the original in a bounce): kept
    whole as a .eml attachment, its text not mixed into the body."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    data = b""
    if isinstance(inner, Message):
        try:
            data = inner.as_bytes()
        except Exception:  # a structure the generator cannot write back: keep its text
            data = str(inner).encode("utf-8", "surrogateescape")
    else:
        data = _part_bytes(part)
    if not data:
        return
    name = _filename(part)
    if not name and isinstance(inner, Message):
        name = sanitize_filename(decode_header_value(inner.get("Subject", ""))[:100])
        name = "" if name == "attachment" else name
    name = name or "forwarded-message"
    if not name.lower().endswith(".eml"):
        name = sanitize_filename(f"{name}.eml")
    parsed.attachments.append(Upload(filename=name, content=data, content_type="message/rfc822"))


def _attach(part: Message, parsed: ParsedMessage, content_type: str, disposition: str) -> None:
    data = _part_bytes(part)
    if not data:
        return
    content_id = _content_id(part)
    extension = {"text/calendar": ".ics", "text/rfc822-headers": ".txt",
                 "application/ms-tnef": ".dat"}.get(content_type, "")
    parsed.attachments.append(Upload(
        filename=_filename(part) or f"attachment{len(parsed.attachments) + 1}{extension}",
        content=data, content_type=content_type,
        inline=disposition == "inline" or bool(content_id), content_id=content_id,
    ))
    if content_type in tnef.TNEF_TYPES or _filename(part).lower() == "winmail.dat":
        files, text = tnef.unpack(data)
        parsed.attachments.extend(files)
        if text:
            parsed.tnef_text = text


def _content_type(part: Message) -> str:
    """The part's type when it is a well-formed type/subtype; it is never trusted for display."""
    value = part.get_content_type()
    return value if _MIME_TYPE.match(value) else "application/octet-stream"


def _walk(part: Message, parsed: ParsedMessage, texts: list[str], htmls: list[str], depth: int = 0) -> None:
    content_type = _content_type(part)
    if depth > MAX_DEPTH:
        parsed.parse_problems.append("nested too deep")
        return
    if content_type in {"message/rfc822", "message/global"}:
        _attach_message(part, parsed)
        return
    if content_type == "message/delivery-status":
        parsed.delivery_status += _delivery_status_text(part).replace("\x00", "")
        return
    payload = part.get_payload()
    if isinstance(payload, list):
        for child in payload:
            if isinstance(child, Message):
                _walk(child, parsed, texts, htmls, depth + 1)
        return
    disposition = _disposition(part)
    # A multipart whose boundary never appears is, in practice, plain text.
    is_text = content_type in {"text/plain", "text/html"} or part.get_content_maintype() == "multipart"
    if is_text and disposition != "attachment" and not _filename(part):
        text = decode_bytes(_part_bytes(part), _charset(part))
        (htmls if content_type == "text/html" else texts).append(text)
        return
    _attach(part, parsed, content_type, disposition)


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(_unescape_8bit(str(p)) for p in payload)
    return decode_bytes(_part_bytes(part), "utf-8")


def _first_header(parsed: ParsedMessage, name: str) -> str:
    return parsed.headers.get(name, [""])[0]


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything Heedful needs from raw RFC 5322 bytes. Never raises: problems are listed in
    parse_problems and whatever could be read is returned."""
    parsed = ParsedMessage()
    try:
        message: Message = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception as problem:  # pragma: no cover - the parser is very lenient
        parsed.parse_problems.append(f"unparseable: {problem}")
        parsed.text = decode_bytes(raw, "utf-8").replace("\x00", "")
        return parsed
    parsed.parse_problems.extend(str(d.__class__.__name__) for d in message.defects)
    parsed.headers = _headers(message)
    parsed.message_id = (message_ids(_first_header(parsed, "message-id")) or [""])[0]
    parsed.in_reply_to = message_ids(_first_header(parsed, "in-reply-to"))
    parsed.references = message_ids(" ".join(parsed.headers.get("references", [])))[-100:]
    parsed.subject = decode_header_value(_first_header(parsed, "subject"))[:SUBJECT_MAX].strip()
    senders = _addresses(parsed.headers.get("from", []))
    parsed.sender = senders[0] if senders else None
    parsed.reply_to = _addresses(parsed.headers.get("reply-to", []))
    parsed.to = _addresses(parsed.headers.get("to", []))
    parsed.cc = _addresses(parsed.headers.get("cc", []))
    parsed.date = decode_header_value(_first_header(parsed, "date"))
    parsed.content_type = _content_type(message)
    if parsed.content_type == "multipart/report":
        parsed.report_type = decode_header_value(message.get_param("report-type") or "")
    texts: list[str] = []
    htmls: list[str] = []
    try:
        _walk(message, parsed, texts, htmls)
    except Exception as problem:  # a broken structure still leaves us the raw text
        parsed.parse_problems.append(f"structure: {problem}")
        body = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[-1]
        texts, htmls = [decode_bytes(body, "utf-8")], []
    if not texts and not htmls and parsed.tnef_text:
        texts = [parsed.tnef_text]
    parsed.source_html = "\n".join(htmls)
    parsed.html = sanitize_html(parsed.source_html).replace("\x00", "") if htmls else ""
    parsed.text = "\n\n".join(t.strip("\r\n") for t in texts) if texts else html_to_text(parsed.html)
    parsed.text = parsed.text.replace("\r\n", "\n").replace("\x00", "")
    return parsed
