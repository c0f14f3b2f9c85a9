"""The built-in SMTP (or LMTP) intake that an MTA such as Postfix hands mail to.

We answer 250 only after accept_raw has committed the bytes; anything else is a 4xx (the sender
retries) or, for an oversized message, 552.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.mail.addresses import mailbox_for_recipients
from heedful.mail.intake import accept_raw
from heedful.mail.models import RawMessage

logger = logging.getLogger(__name__)


def _store(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
    close_old_connections()
    try:
        accepted = accept_raw(raw, via=RawMessage.Via.SMTP, envelope_from=mail_from,
                              envelope_to=rcpt_tos, mailbox=mailbox_for_recipients(rcpt_tos))
    finally:
        close_old_connections()
    return f"250 2.0.0 Ok: stored as {accepted.raw.pk}"


class IntakeHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await sync_to_async(_store, thread_sensitive=False)(
                raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except HeedfulError as refused:
            if refused.code == ErrorCode.TOO_LARGE:
                return "552 5.3.4 Message too big for this help desk"
            return f"554 5.6.0 {refused.message}"
        except Exception:
            logger.exception("could not store an incoming message")
            return "451 4.3.0 Temporary failure storing the message; please retry"


class IntakeController(Controller):
    def __init__(self, *, host: str, port: int, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(
            IntakeHandler(), hostname=host, port=port,
            data_size_limit=settings.MAIL_MAX_BYTES, decode_data=False,
            server_hostname="heedful", **kwargs,
        )

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)


def start_intake(host: str | None = None, port: int | None = None) -> IntakeController | None:
    """Start the intake in a background thread (as `heedful serve` does); None when port is 0."""
    port = settings.SMTP_PORT if port is None else port
    if not port:
        return None
    controller = IntakeController(host=host or settings.SMTP_HOST, port=port,
                                  lmtp=settings.SMTP_LMTP)
    controller.start()
    logger.info("mail intake (%s) listening on %s:%s", "LMTP" if controller.lmtp else "SMTP",
                controller.hostname, controller.port)
    return controller


def start_intake_service() -> tuple[IntakeController, str] | None:
    """`heedful serve`'s handle on the intake (core/services.py)."""
    intake = start_intake()
    if intake is None:
        return None
    kind = "LMTP" if intake.lmtp else "SMTP"
    return intake, f"Mail intake ({kind}) on {intake.hostname}:{intake.port}"
