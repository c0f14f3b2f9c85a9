"""Outlook's winmail.dat (TNEF): the files inside it, so that an agent needs no Outlook to open
what the customer attached. The winmail.dat itself is kept as well: nothing is lost when the
unpacking misses something."""

from __future__ import annotations

import logging
import mimetypes

from heedful.tickets.attachments import Upload

logger = logging.getLogger(__name__)
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


def unpack(data: bytes) -> tuple[list[Upload], str]:
    """The attachments inside a TNEF blob and its plain-text body; ([], "") when it cannot be
    read (a broken blob is still stored as it came)."""
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data)
        files = []
        for number, attachment in enumerate(tnef.attachments, start=1):
            content = bytes(attachment.data or b"")
            if not content:
                continue
            name = str(attachment.long_filename() or attachment.name or f"attachment{number}")
            files.append(Upload(filename=name, content=content,
                                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"))
        body = tnef.body or b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    except Exception:  # a malformed blob must never stop the message
        logger.info("could not unpack a winmail.dat", exc_info=True)
        return [], ""
    return files, text.replace("\x00", "").strip()
