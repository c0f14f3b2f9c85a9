"""Accepting raw mail from any transport. Nothing is acknowledged before it is stored.

`accept_raw` writes the bytes (content-addressed) and a RawMessage row, and makes sure a
processing job is queued, in the same transaction; only after it returns does the SMTP server
answer 250, the HTTP endpoint 202, or the IMAP fetcher flag the message. Receiving the same
bytes again is a no-op (same SHA-256), so a crash between storing and acknowledging causes no
duplicate on retry.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.mail.models import Mailbox, RawMessage

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)\r?$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Accepted:
    raw: RawMessage
    duplicate: bool


def raw_storage_name(digest: str) -> str:
    return f"mail/raw/{digest[:2]}/{digest[2:4]}/{digest}.eml"


def peek_message_id(raw: bytes) -> str:
    """The Message-ID header, read cheaply from the header block without parsing."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    if not match:
        return ""
    # No NUL or other control characters: PostgreSQL text cannot hold NUL.
    return re.sub(r"[\x00-\x1f\x7f]", "", match.group(1).decode("ascii", "replace")).strip()[:255]


def check_size(size: int) -> None:
    if size > settings.MAIL_MAX_BYTES:
        raise HeedfulError(
            ErrorCode.TOO_LARGE,
            _("The message is %(size)s MB; this help desk accepts at most %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": round(settings.MAIL_MAX_BYTES / 1048576, 1)},
        )


def accept_raw(
    raw: bytes,
    *,
    via: str,
    mailbox: Mailbox | None = None,
    envelope_from: str = "",
    envelope_to: list[str] | None = None,
) -> Accepted:
    from heedful.mail.scheduling import schedule_mail_processing

    check_size(len(raw))
    digest = hashlib.sha256(raw).hexdigest()
    # No look-up first: the same bytes again are rare, and then the file is already there and
    # the unique sha256 refuses the row.
    name = raw_storage_name(digest)
    store_raw(name, raw)
    try:
        with transaction.atomic():
            record = RawMessage.objects.create(
                sha256=digest, storage_name=name, size=len(raw), via=via, mailbox=mailbox,
                envelope_from=envelope_from[:320], envelope_to=envelope_to or [],
                message_id=peek_message_id(raw),
            )
            schedule_mail_processing()
    except IntegrityError:
        return Accepted(RawMessage.objects.get(sha256=digest), duplicate=True)
    return Accepted(record, duplicate=False)


def store_raw(name: str, raw: bytes) -> None:
    """Write the bytes under `name` so that they survive a crash of the machine, not only of
    the process, before the message is acknowledged."""
    if not isinstance(default_storage, FileSystemStorage):
        if not default_storage.exists(name):  # object stores answer once the object is durable
            saved = default_storage.save(name, ContentFile(raw))
            if saved != name:  # another process stored the same bytes a moment ago
                default_storage.delete(saved)
        return
    path = Path(default_storage.path(name))
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name, then an atomic rename: a reader never sees half a message, and
    # two processes storing the same bytes both end with the same whole file.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must reach the disk too
    finally:
        os.close(directory)


def read_raw(record: RawMessage) -> bytes:
    with default_storage.open(record.storage_name, "rb") as handle:
        data: bytes = handle.read()
    return data
