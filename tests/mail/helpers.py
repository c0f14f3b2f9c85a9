"""Building raw messages for mail tests."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any


def raw_mail(
    *, sender: str = "Carol <carol@example.org>", to: str = "support@heedful.test",
    subject: str = "Printer on fire", body: str = "It is on fire.", message_id: str | None = None,
    in_reply_to: str = "", references: str = "", headers: dict[str, str] | None = None,
    html: str = "", attachments: list[tuple[str, bytes, str]] | None = None, cc: str = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for name, data, content_type in attachments or []:
        main, sub = content_type.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    # CRLF line ends, as on the wire (smtplib sends bytes unchanged).
    return message.as_bytes(policy=policy.SMTP)


def ingest(raw: bytes, run_tasks: Any) -> Any:
    """Accept a raw message as the HTTP intake would, run the worker, return the RawMessage."""
    from heedful.mail.intake import accept_raw
    from heedful.mail.models import RawMessage

    accepted = accept_raw(raw, via=RawMessage.Via.HTTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    return accepted.raw
