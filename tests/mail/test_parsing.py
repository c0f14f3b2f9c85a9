"""MIME parsing against hand-built raw bytes: charsets, broken structures, attachments."""

from __future__ import annotations

import base64
import struct

import pytest

from heedful.mail.intake import accept_raw
from heedful.mail.models import RawMessage
from heedful.mail.parsing import ParsedMessage, decode_header_value, parse_message
from heedful.tickets.models import Attachment


def mime(headers: str, body: bytes | str = b"Hello.") -> bytes:
    """A raw message from a header block and a body, with CRLF line ends as on the wire."""
    head = "\r\n".join(line for line in headers.strip("\n").split("\n"))
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head.encode("utf-8") + b"\r\n\r\n" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


def parse(headers: str, body: bytes | str = b"Hello.") -> ParsedMessage:
    return parse_message(mime(headers, body))


# --- RFC 2047 headers ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?UTF-8?B?5pyN5Yqh?= =?UTF-8?B?6K+35rGC?=", "服务请求"),
        ("=?utf-8?Q?Caf=C3=A9_cr=C3=A8me?=", "Café crème"),
        (f"=?gb2312?B?{b64('打印机坏了', 'gb2312')}?=", "打印机坏了"),
        (f"=?GB2312?Q?{''.join(f'={b:02X}' for b in '退款'.encode('gb2312'))}?=", "退款"),
        (f"=?ISO-2022-JP?B?{b64('請求書について', 'iso2022_jp')}?=", "請求書について"),
        ("=?windows-1252?Q?caf=E9_=80_=93ok=94?=", "café € “ok”"),
        (f"=?koi8-r?B?{b64('Счёт за май', 'koi8_r')}?=", "Счёт за май"),
        (f"=?KOI8-R?Q?{''.join(f'={b:02X}' for b in 'Привет'.encode('koi8_r'))}?=", "Привет"),
        ("Re: =?utf-8?b?Y2Fmw6k=?= (urgent)", "Re: café (urgent)"),
        ("=?utf-8?B?Y2Fmw6k?=", "café"),  # padding left out
        ("=?x-unknown-charset?Q?plain_words?=", "plain words"),
        ("=?utf-8?B?!!not base64!!?=", ""),
        ("=?utf-8*en?Q?language_tag?=", "language tag"),
        ("Plain\n folded\n\tsubject", "Plain folded subject"),
    ],
)
def test_encoded_subjects_are_decoded(header: str, expected: str) -> None:
    parsed = parse(f"Subject: {header}\nFrom: a@example.org")
    assert parsed.subject == expected or (expected == "" and "�" not in parsed.subject)


def test_multibyte_character_split_across_encoded_words_is_joined() -> None:
    data = "服务".encode()
    first, second = base64.b64encode(data[:2]).decode(), base64.b64encode(data[2:]).decode()
    assert parse(f"Subject: =?utf-8?B?{first}?= =?utf-8?B?{second}?=").subject == "服务"


def test_gb2312_label_is_read_as_gb18030() -> None:
    # 镕 is outside GB2312 but Chinese clients send it labelled gb2312 all the same.
    assert parse(f"Subject: =?gb2312?B?{b64('朱镕基', 'gb18030')}?=").subject == "朱镕基"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (f"=?gb2312?B?{b64('张三', 'gb2312')}?= <zhang@example.cn>", "张三"),
        (f"=?iso-2022-jp?B?{b64('山田太郎', 'iso2022_jp')}?= <yamada@example.jp>", "山田太郎"),
        ("=?windows-1252?Q?Ren=E9e_Fran=E7ois?= <renee@example.fr>", "Renée François"),
        (f"=?koi8-r?B?{b64('Иван', 'koi8_r')}?= <ivan@example.ru>", "Иван"),
        ("=?utf-8?Q?Doe=2C_John_=3Cboss=3E?= <john@example.org>", "Doe, John <boss>"),
    ],
)
def test_encoded_sender_names_are_decoded(header: str, name: str) -> None:
    parsed = parse(f"From: {header}\nSubject: x")
    assert parsed.sender is not None
    assert parsed.sender.name == name
    assert parsed.sender.email.endswith(("example.cn", "example.jp", "example.fr", "example.ru",
                                         "example.org"))


def test_raw_utf8_and_latin1_bytes_in_headers_are_read() -> None:
    raw = (b"From: J\xc3\xb6rg M\xfcller <jorg@example.de>\r\nSubject: Gr\xc3\xbc\xc3\x9fe \xe9t\xe9\r\n"
           b"To: support@heedful.test\r\n\r\nHallo.\r\n")
    parsed = parse_message(raw)
    assert parsed.subject == "Grüße été"
    assert parsed.sender is not None and parsed.sender.name == "Jörg Müller"
    assert parsed.to[0].email == "support@heedful.test"


def test_control_characters_and_nul_never_reach_header_text() -> None:
    assert decode_header_value("a\x00b\x07c\x1bd") == "a b c d"
    assert decode_header_value("=?utf-8?Q?x=00y?=") == "x y"


def test_very_long_subject_is_cut_to_what_a_ticket_holds() -> None:
    assert len(parse("Subject: " + "word " * 200).subject) <= 250


def test_message_ids_are_bracketed_and_bounded() -> None:
    parsed = parse("Message-ID: abc@example.org\nIn-Reply-To: <a@x> <b@x>\n"
                   "References: <r1@x>\n <r2@x>")
    assert parsed.message_id == "<abc@example.org>"
    assert parsed.in_reply_to == ["<a@x>", "<b@x>"]
    assert parsed.references == ["<r1@x>", "<r2@x>"]
    assert parse("Message-ID: <" + "x" * 400 + "@example.org>").message_id == ""


# --- bodies in many charsets --------------------------------------------------------------------

def test_gb2312_body_is_decoded_as_gb18030() -> None:
    text = "您好，朱镕基的发票在哪里？"
    parsed = parse("Content-Type: text/plain; charset=gb2312", text.encode("gb18030"))
    assert parsed.text == text


def test_iso_2022_jp_body() -> None:
    text = "お世話になっております。請求書を再送してください。"
    parsed = parse("Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit",
                   text.encode("iso2022_jp"))
    assert parsed.text == text


def test_windows_1252_bytes_labelled_iso_8859_1() -> None:
    body = "It costs 20 € – “really” don’t".encode("windows-1252")
    parsed = parse("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit", body)
    assert parsed.text == "It costs 20 € – “really” don’t"


def test_koi8_r_quoted_printable_body() -> None:
    encoded = "".join(f"={b:02X}" for b in "Добрый день".encode("koi8_r"))
    parsed = parse("Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: quoted-printable",
                   encoded)
    assert parsed.text == "Добрый день"


@pytest.mark.parametrize(
    ("body", "expected"),
    [("Grüße aus Köln".encode(), "Grüße aus Köln"),
     ("Grüße aus Köln".encode("latin-1"), "Grüße aus Köln")],
)
def test_unknown_charset_name_falls_back_to_utf8_then_windows_1252(body: bytes, expected: str) -> None:
    parsed = parse('Content-Type: text/plain; charset="x-no-such-charset"', body)
    assert parsed.text == expected


def test_wrong_charset_label_does_not_lose_text() -> None:
    parsed = parse("Content-Type: text/plain; charset=utf-8", "naïve café".encode("latin-1"))
    assert parsed.text == "naïve café"


def test_missing_content_type_is_plain_text() -> None:
    parsed = parse("From: a@example.org\nSubject: no type", "Ça marche pas.".encode())
    assert parsed.content_type == "text/plain"
    assert parsed.text == "Ça marche pas."


def test_html_only_message_gets_a_plain_text_rendition_and_safe_html() -> None:
    html = ("<html><head><style>p{}</style><script>alert(1)</script></head><body>"
            "<p>Hello <b>team</b>,</p><p onclick='x()'>The <a href='javascript:x'>link</a> fails.</p>"
            "</body></html>")
    parsed = parse("Content-Type: text/html; charset=utf-8", html)
    assert "Hello team," in parsed.text and "The link fails." in parsed.text
    assert "script" not in parsed.html and "onclick" not in parsed.html
    assert "javascript" not in parsed.html and "<b>team</b>" in parsed.html


# --- broken structures --------------------------------------------------------------------------

MULTIPART = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XYZ"'


def test_missing_closing_boundary_keeps_every_part() -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nThe text.\n--XYZ\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename=invoice.pdf\nContent-Transfer-Encoding: base64\n\n"
            "JVBERi0xLjQK\n")
    parsed = parse(MULTIPART, body)
    assert parsed.text == "The text."
    assert [(a.filename, a.content) for a in parsed.attachments] == [("invoice.pdf", b"%PDF-1.4\n")]


def test_boundary_that_never_appears_leaves_the_body_as_text() -> None:
    parsed = parse(MULTIPART, "Just some words, no parts at all.\n")
    assert parsed.text == "Just some words, no parts at all."
    assert parsed.attachments == []


def test_boundary_mismatch_in_nested_multipart_does_not_raise() -> None:
    body = ("--XYZ\nContent-Type: multipart/alternative; boundary=INNER\n\n--WRONG\nContent-Type: text/plain"
            "\n\nInner words\n--XYZ--\n")
    parsed = parse(MULTIPART, body)
    assert "Inner words" in parsed.text


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("SGVsbG8gd29ybGQgaG93IGFyZSB5b3U", "Hello world how are you"),  # truncated, no padding
     ("SGVsbG8g*d29y bGQ=", "Hello world"),  # invalid characters
     ("SGVsbG8gd29ybGQ=\n====\n!!!", "Hello world")],
)
def test_bad_base64_keeps_what_can_be_decoded(payload: str, expected: str) -> None:
    parsed = parse("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64", payload)
    assert parsed.text.startswith(expected)


def test_bad_base64_attachment_is_kept() -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nSee attached.\n--XYZ\nContent-Type: image/png; name=a.png\n"
            "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=%%%%AAAA\n--XYZ--\n")
    parsed = parse(MULTIPART, body)
    assert parsed.text == "See attached."
    assert parsed.attachments[0].filename == "a.png" and parsed.attachments[0].content


def test_empty_message_does_not_raise() -> None:
    for raw in (b"", b"\r\n", b"\r\n\r\n", b"Subject: only headers", b"\x00\x01\x02"):
        assert isinstance(parse_message(raw), ParsedMessage)


# --- nested messages, reports, inline images ----------------------------------------------------

def test_nested_message_is_an_eml_attachment_and_not_in_the_body() -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nForwarding the complaint below.\n--XYZ\n"
            "Content-Type: message/rfc822\n\nFrom: Angry <angry@example.org>\nSubject: Broken order\n"
            "Content-Type: text/plain\n\nMy order arrived broken.\n--XYZ--\n")
    parsed = parse(MULTIPART, body)
    assert parsed.text == "Forwarding the complaint below."
    (attached,) = parsed.attachments
    assert attached.filename == "Broken order.eml" and attached.content_type == "message/rfc822"
    assert b"My order arrived broken." in attached.content and b"Subject: Broken order" in attached.content


def test_nested_message_without_subject_gets_a_generic_eml_name() -> None:
    body = "--XYZ\nContent-Type: message/rfc822\n\nFrom: x@example.org\n\nInner.\n--XYZ--\n"
    parsed = parse(MULTIPART, body)
    assert [a.filename for a in parsed.attachments] == ["forwarded-message.eml"]
    assert parsed.text == ""


DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: support@heedful.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="RPT"
"""
DSN_BODY = """--RPT
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.
I'm sorry to have to inform you that your message could not be delivered.

--RPT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--RPT
Content-Type: {kind}

From: support@heedful.test
To: gone@example.org
Subject: Re: Your ticket
Message-ID: <reply-42@heedful.test>
{extra}
--RPT--
"""


@pytest.mark.parametrize("kind", ["message/rfc822", "text/rfc822-headers"])
def test_delivery_status_report_is_read(kind: str) -> None:
    extra = "\nThe reply text." if kind == "message/rfc822" else ""
    parsed = parse(DSN, DSN_BODY.format(kind=kind, extra=extra))
    assert parsed.content_type == "multipart/report" and parsed.report_type == "delivery-status"
    assert "Status: 5.1.1" in parsed.delivery_status and "User unknown" in parsed.delivery_status
    assert parsed.text.startswith("This is the mail system") and "reply text" not in parsed.text
    (original,) = parsed.attachments
    assert b"<reply-42@heedful.test>" in original.content


def test_inline_image_keeps_its_cid_reference_in_the_sanitised_html() -> None:
    headers = 'MIME-Version: 1.0\nContent-Type: multipart/related; boundary="REL"'
    body = ("--REL\nContent-Type: text/html; charset=utf-8\n\n"
            '<p>Look:</p><img src="cid:shot1@client.example" alt="screen"><img src="https://t.example/x.gif">'
            "\n--REL\nContent-Type: image/png\nContent-ID: <shot1@client.example>\n"
            "Content-Disposition: inline\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--REL--\n")
    parsed = parse(headers, body)
    assert 'src="cid:shot1@client.example"' in parsed.html
    (image,) = parsed.attachments
    assert image.content_id == "shot1@client.example" and image.inline
    assert image.content == b"\x89PNG\r\n\x1a\n"
    assert parsed.text == "Look:"


# --- attachment names ---------------------------------------------------------------------------

def attachment_named(disposition: str) -> str:
    body = (f"--XYZ\nContent-Type: text/plain\n\nFile.\n--XYZ\nContent-Type: application/octet-stream\n"
            f"Content-Disposition: attachment; {disposition}\nContent-Transfer-Encoding: base64\n\n"
            "AAEC\n--XYZ--\n")
    (attached,) = parse(MULTIPART, body).attachments
    return attached.filename


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf", "报价单.pdf"),
        ("filename*=iso-8859-1'fr'r%E9sum%E9.txt", "résumé.txt"),
        ("filename*0*=UTF-8''%D0%A1%D1%87%D1%91%D1%82; filename*1=_2024.xlsx", "Счёт_2024.xlsx"),
        ('filename="=?utf-8?B?5oql5Lu35Y2VLnBkZg==?="', "报价单.pdf"),
        ("filename*=x-unknown''abc.txt", "abc.txt"),
        ('filename="../../etc/passwd"', "passwd"),
        ('filename="..\\\\..\\\\windows\\\\win.ini"', "win.ini"),
        ('filename="evil\x07na\x1bme.txt"', "evil na me.txt"),
        ('filename=".hidden"', "hidden"),
        ('filename=""', "attachment1"),
    ],
)
def test_attachment_names_are_decoded_and_safe(disposition: str, expected: str) -> None:
    assert attachment_named(disposition) == expected


def test_raw_utf8_attachment_name() -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nFile.\n--XYZ\nContent-Type: application/pdf\n"
            'Content-Disposition: attachment; filename="Rechnung März.pdf"\n\n%PDF\n--XYZ--\n')
    (attached,) = parse(MULTIPART, body.encode("utf-8")).attachments
    assert attached.filename == "Rechnung März.pdf"


def test_very_long_attachment_name_is_shortened_keeping_its_extension() -> None:
    name = attachment_named(f'filename="{"a" * 400}.pdf"')
    assert len(name) <= 150 and name.endswith(".pdf")


def test_winmail_dat_is_kept_as_an_attachment() -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nSee attached.\n--XYZ\nContent-Type: application/ms-tnef; "
            'name="winmail.dat"\nContent-Transfer-Encoding: base64\n\neJ8+IhAA\n--XYZ--\n')
    parsed = parse(MULTIPART, body)
    kept = [(a.filename, a.content_type) for a in parsed.attachments]
    assert kept == [("winmail.dat", "application/ms-tnef")]


def tnef_blob(files: list[tuple[str, bytes]]) -> bytes:
    """A minimal TNEF stream, as Outlook writes it: a version, then per file its rendering,
    title and data attributes (level, id, length, data, checksum)."""
    def attribute(level: int, attribute_id: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack(
            "<H", sum(data) & 0xFFFF)

    blob = struct.pack("<IH", 0x223E9F78, 1) + attribute(1, 0x00089006, struct.pack("<I", 0x10000))
    for name, content in files:
        blob += attribute(2, 0x00069002, bytes(14))  # attAttachRendData: a new attachment
        blob += attribute(2, 0x00018010, name.encode() + b"\0")  # attAttachTitle
        blob += attribute(2, 0x0006800F, content)  # attAttachData
    return blob


def test_files_inside_winmail_dat_are_unpacked_and_the_original_kept() -> None:
    blob = base64.b64encode(tnef_blob([("report.pdf", b"%PDF-1.4 q3"), ("photo.jpg", b"\xff\xd8jpeg")]))
    body = ("--XYZ\nContent-Type: text/plain\n\nSee attached.\n--XYZ\nContent-Type: application/ms-tnef; "
            'name="winmail.dat"\nContent-Transfer-Encoding: base64\n\n' + blob.decode() + "\n--XYZ--\n")
    parsed = parse(MULTIPART, body)
    kept = [(a.filename, a.content_type, a.content) for a in parsed.attachments]
    assert kept[0][:2] == ("winmail.dat", "application/ms-tnef")
    assert kept[1:] == [("report.pdf", "application/pdf", b"%PDF-1.4 q3"),
                        ("photo.jpg", "image/jpeg", b"\xff\xd8jpeg")]
    assert parsed.text == "See attached."


def test_calendar_invitation_without_name_gets_an_ics_name() -> None:
    body = "--XYZ\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n--XYZ--\n"
    assert [a.filename for a in parse(MULTIPART, body).attachments] == ["attachment1.ics"]


# --- the pipeline never drops a message ---------------------------------------------------------

@pytest.mark.django_db
def test_message_defeating_the_pipeline_is_kept_as_raw_text(run_tasks, monkeypatch) -> None:
    # Fault injection: any unexpected error in the pipeline must still leave a readable ticket.
    def broken(*args, **kwargs):
        raise RuntimeError("threading exploded")

    monkeypatch.setattr("heedful.mail.processing.find_tickets", broken)
    raw = mime("From: big@example.org\nSubject: Big\nMessage-ID: <big1@example.org>\n"
               "Content-Type: text/plain\n", "The big file.\n")
    accepted = accept_raw(raw, via=RawMessage.Via.HTTP, envelope_from="big@example.org")
    run_tasks()
    record = RawMessage.objects.get(pk=accepted.raw.pk)
    assert record.state == RawMessage.State.FAILED and record.ticket is not None
    assert "threading exploded" in record.error
    event = record.ticket.events.get()
    assert "unparsed" in event.flags and "The big file." in event.body_text
    # The raw row keeps the Message-ID; the fallback does not take it, so reprocessing later
    # records the message for real instead of calling it a duplicate.
    assert event.message_id == "" and record.message_id == "<big1@example.org>"
    assert record.ticket.requester.primary_email == "big@example.org"


@pytest.mark.django_db
def test_oversized_attachment_is_left_out_with_a_note_and_the_text_kept(run_tasks, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    body = ("--XYZ\nContent-Type: text/plain\n\nThe big file.\n--XYZ\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename=big.pdf\n\n" + "x" * 200 + "\n--XYZ--\n")
    raw = mime("From: big@example.org\nSubject: Big\nMessage-ID: <big2@example.org>\n" + MULTIPART, body)
    accepted = accept_raw(raw, via=RawMessage.Via.HTTP, envelope_from="big@example.org")
    run_tasks()
    record = RawMessage.objects.get(pk=accepted.raw.pk)
    assert record.state == RawMessage.State.PROCESSED
    event = record.event
    assert "attachment_dropped" in event.flags and "big.pdf" in event.body_text
    assert event.body_text.startswith("The big file.") and not event.attachments.exists()


@pytest.mark.django_db
def test_attachments_of_a_parsed_message_are_stored_with_safe_names(run_tasks) -> None:
    body = ("--XYZ\nContent-Type: text/plain\n\nLogs attached.\n--XYZ\nContent-Type: text/plain\n"
            'Content-Disposition: attachment; filename="../../../etc/shadow"\n\nroot:x\n--XYZ--\n')
    raw = mime("From: logs@example.org\nSubject: Logs\n" + MULTIPART, body)
    accepted = accept_raw(raw, via=RawMessage.Via.HTTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    assert list(Attachment.objects.filter(ticket=accepted.raw.ticket).values_list("filename", flat=True)) == [
        "shadow"]
