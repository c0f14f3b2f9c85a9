"""Storing attachments: size limit, safe file names, content-addressed files."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.models import Attachment, Event, Ticket

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class Upload:
    """An attachment on its way in, from a form, the API or a mail message."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    inline: bool = False
    content_id: str = ""

    @classmethod
    def from_file(cls, handle: IO[bytes], *, name: str, content_type: str = "") -> Upload:
        limit = settings.ATTACHMENT_MAX_BYTES
        data = handle.read(limit + 1)
        check_size(len(data), name)
        return cls(filename=name, content=data, content_type=content_type or "application/octet-stream")


def sanitize_filename(name: str) -> str:
    """A name safe on every disk and in a Content-Disposition header: no directories, no control
    characters, no leading dots, at most 150 characters, never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > 150:
        stem, ext = os.path.splitext(name)
        name = stem[: 150 - len(ext[:20])] + ext[:20]
    return name or "attachment"


def check_size(size: int, name: str) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise HeedfulError(
            ErrorCode.TOO_LARGE,
            _("%(name)s is larger than the limit of %(limit)s MB.")
            % {"name": sanitize_filename(name), "limit": round(limit / 1024 / 1024, 1)},
            fields={"attachments": [_("Attach a smaller file or share a link to it.")]},
        )


def store_attachments_many(
    items: Sequence[tuple[Ticket, Event | None, list[Upload]]],
) -> list[Attachment]:
    """Store the files (content-addressed, so a file sent twice is kept once) and insert every
    Attachment row in one statement."""
    stored = []
    for ticket, event, upload in ((t, e, u) for t, e, uploads in items for u in uploads):
        check_size(len(upload.content), upload.filename)
        digest = hashlib.sha256(upload.content).hexdigest()
        attachment = Attachment(
            ticket=ticket, event=event, filename=sanitize_filename(upload.filename),
            content_type=(upload.content_type or "")[:150], size=len(upload.content),
            sha256=digest, inline=upload.inline, content_id=upload.content_id[:255],
        )
        path = attachment_storage_path(digest)
        if default_storage.exists(path):
            attachment.file.name = path
        else:
            attachment.file.save(path, ContentFile(upload.content), save=False)
        stored.append(attachment)
    return Attachment.objects.bulk_create(stored) if stored else []


def attachment_storage_path(digest: str) -> str:
    return f"attachments/{digest[:2]}/{digest[2:4]}/{digest}"
