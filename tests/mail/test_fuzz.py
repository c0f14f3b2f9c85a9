"""Property tests over malformed MIME: the parser never raises, and every accepted message ends up
on a ticket. Deterministic (derandomize) so that CI sees the same examples every run."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heedful.mail.intake import accept_raw
from heedful.mail.language import detect_language
from heedful.mail.models import Mailbox, RawMessage
from heedful.mail.parsing import ParsedMessage, parse_message
from heedful.mail.replies import extract_reply
from heedful.tickets.models import Event
from tests.mail.helpers import raw_mail

PARSER = settings(max_examples=300, derandomize=True, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PIPELINE = settings(max_examples=60, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

HEADER_NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References",
                "Date", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version",
                "Auto-Submitted", "Precedence", "List-Id", "X-Failed-Recipients", "Content-ID",
                "X-Spam-Status"]
CHARSETS = ["utf-8", "UTF8", "gb2312", "gbk", "gb18030", "big5", "iso-2022-jp", "shift_jis", "euc-kr",
            "koi8-r", "windows-1252", "iso-8859-1", "iso-8859-15", "us-ascii", "utf-7", "utf-16",
            "x-unknown", "", '"', "utf-8*en", "unicode-1-1-utf-7", "\x00"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
SUBTYPES = ["plain", "html", "calendar", "rfc822-headers"]
MULTIPARTS = ["mixed", "alternative", "related", "report; report-type=delivery-status", "digest", "signed"]

SAMPLES: list[bytes] = [
    raw_mail(),
    raw_mail(subject="Çа ne marche pas — 打印机", body="Grüße\n\nOn Mon, X wrote:\n> old", cc="d@example.org",
             html="<p>Grüße <img src='cid:x@y'></p><blockquote type='cite'>old</blockquote>",
             attachments=[("../../r\u00e9sum\u00e9.pdf", b"%PDF-1.4 \x00\xff", "application/pdf"),
                          ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png")]),
    (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\n"
     b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
     b"--R\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
     b"Status: 5.1.1\r\n\r\n--R\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <o@heedful.test>\r\n"
     b"Subject: x\r\n\r\nbody\r\n--R--\r\n"),
]

text_values = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["=?utf-8?B?5pyN5Yqh?=", "=?gb2312?B?xOO6ww==?= =?gb2312?Q?=C4=E3?=", "=?x?Q?a?=",
                     "=?utf-8?B?!!!?=", "<a@b> <c@d>", "\"Doe, J\" <j@x.example>, k@y.example", "=?", "?="]),
)
header_value = st.one_of(text_values.map(lambda v: v.encode("utf-8", "surrogatepass")),
                         st.binary(max_size=80))


@st.composite
def header_soup(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.one_of(st.sampled_from(HEADER_NAMES), st.text(min_size=1, max_size=12)))
        lines.append(name.encode("utf-8", "surrogatepass") + b":" + draw(header_value))
    separator = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    return separator.join(lines) + separator * 2 + draw(st.binary(max_size=300))


@st.composite
def leaf_part(draw: st.DrawFn) -> bytes:
    subtype = draw(st.sampled_from(SUBTYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    text = st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace"))
    body = draw(st.one_of(st.binary(max_size=200), text))
    if encoding == "base64" and draw(st.booleans()):
        body = base64.b64encode(body)[: draw(st.integers(0, 400))]
    headers = f"Content-Type: text/{subtype}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n"
    if draw(st.booleans()):
        name = draw(st.text(max_size=40))
        headers += f'Content-Disposition: attachment; filename="{name}"; filename*=utf-8\'\'{name}\r\n'
    return headers.encode("utf-8", "surrogatepass") + b"\r\n" + body


@st.composite
def multipart(draw: st.DrawFn, depth: int = 0) -> bytes:
    boundary = draw(st.text(alphabet="abcXYZ019'()+_,-./:=? ", min_size=0, max_size=30))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        parts.append(draw(multipart(depth + 1)) if depth < 2 and draw(st.booleans()) else draw(leaf_part()))
    used = draw(st.sampled_from([boundary, boundary[:-1], "other", ""]))
    body = b"".join(b"--" + used.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    if draw(st.booleans()):
        body += b"--" + used.encode() + b"--\r\n"
    kind = draw(st.sampled_from(MULTIPARTS))
    head = f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n'.encode()
    return head + b"\r\n" + body


def top_level(part: bytes) -> bytes:
    return b"From: fuzz@example.org\r\nSubject: fuzz\r\nMIME-Version: 1.0\r\n" + part


@st.composite
def truncated_or_flipped(draw: st.DrawFn) -> bytes:
    sample = draw(st.sampled_from(SAMPLES))
    cut = draw(st.integers(0, len(sample)))
    data = bytearray(sample[:cut] if draw(st.booleans()) else sample)
    for _ in range(draw(st.integers(0, 5))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


malformed_mail = st.one_of(
    st.binary(max_size=1500),
    header_soup(),
    multipart().map(top_level),
    truncated_or_flipped(),
)


def check_parsed(parsed: ParsedMessage) -> None:
    assert isinstance(parsed.text, str) and "\x00" not in parsed.text
    assert len(parsed.subject) <= 250 and "\x00" not in parsed.subject
    for upload in parsed.attachments:
        assert upload.filename and "/" not in upload.filename and "\\" not in upload.filename
        assert not any(ord(c) < 32 for c in upload.filename)
        assert len(upload.filename) <= 150
    if parsed.sender is not None:
        assert "\x00" not in parsed.sender.name and len(parsed.sender.name) <= 200


@PARSER
@given(malformed_mail)
def test_parser_never_raises_on_malformed_mail(raw: bytes) -> None:
    parsed = parse_message(raw)
    check_parsed(parsed)
    assert isinstance(extract_reply(parsed.text, parsed.source_html), str)
    assert isinstance(detect_language(parsed.text), str)


@PARSER
@given(st.text(max_size=600), st.text(max_size=600))
def test_reply_extraction_never_raises_on_any_text(text: str, html: str) -> None:
    assert isinstance(extract_reply(text, html), str)


@pytest.mark.django_db
@PIPELINE
@given(malformed_mail)
def test_every_accepted_message_ends_up_on_a_ticket(run_tasks, raw: bytes) -> None:
    Mailbox.objects.get_or_create(address="support@heedful.test", defaults={"name": "Support"})
    accepted = accept_raw(raw, via=RawMessage.Via.HTTP, envelope_from="fuzz@example.org",
                          envelope_to=["support@heedful.test"])
    run_tasks()
    record = RawMessage.objects.get(pk=accepted.raw.pk)
    assert record.state != RawMessage.State.PENDING
    if record.state == RawMessage.State.DUPLICATE:  # same Message-ID as an earlier example
        message_id = parse_message(raw).message_id
        assert Event.objects.filter(message_id=message_id, kind=Event.Kind.MESSAGE_IN).exists()
    else:
        assert record.ticket_id is not None
