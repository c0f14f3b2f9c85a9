"""Serving a stored attachment safely, whoever asks (agent UI, portal, API).

The declared content type is never trusted: everything is sent as a download
(`Content-Disposition: attachment`) with `nosniff` and a sandboxing CSP, except a short list of
image types that browsers cannot execute, which may be shown inline.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from heedful.tickets.models import Attachment

INLINE_SAFE = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("attachment file missing") from None
    show_inline = inline and attachment.content_type in INLINE_SAFE
    response = FileResponse(
        handle,
        as_attachment=not show_inline,
        filename=attachment.filename,
        content_type=attachment.content_type if show_inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
