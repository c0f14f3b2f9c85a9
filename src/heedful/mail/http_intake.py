"""POST /mail/inbound: raw RFC 5322 bytes over HTTP, for MTAs that pipe mail to a URL.

    curl -H "Authorization: Bearer $HEEDFUL_MAIL_INTAKE_TOKEN" \
         -H "Content-Type: message/rfc822" --data-binary @message.eml \
         "https://desk.example/mail/inbound?to=support@example.com&from=carol@example.org"

We answer 202 only after accept_raw has committed the bytes. Sending the same bytes again answers
202 with "duplicate": true, so a client may retry whenever it did not see our answer. Any failure
on our side is a 503 (retry later), never a 500.
"""

from __future__ import annotations

import hmac
import logging
import re

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.mail.addresses import mailbox_for_recipients
from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, RawMessage
from heedful.people.tokens import agent_for_token

logger = logging.getLogger(__name__)
ACCEPTED_TYPES = {"message/rfc822", "application/octet-stream"}
_CHUNK = 1024 * 1024


def _refuse(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None,
            ) -> JsonResponse:
    body = {"error": {"code": str(code), "message": str(message), "fields": fields or {}}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="heedful-mail"'
    return response


def _authorised(request: HttpRequest) -> bool:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    expected = settings.MAIL_INTAKE_TOKEN
    if expected:
        return hmac.compare_digest(token.encode(), expected.encode())
    return agent_for_token(token) is not None


def _read_body(request: HttpRequest) -> bytes:
    """The body, at most MAIL_MAX_BYTES, read from the stream (not request.body, whose limit is
    Django's form-data limit, not ours)."""
    limit = settings.MAIL_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    too_large = HeedfulError(ErrorCode.TOO_LARGE, _(
        "The message is larger than this help desk accepts (%(limit)s MB).") % {
        "limit": round(limit / 1048576, 1)})
    if declared > limit:
        raise too_large
    chunks, size = [], 0
    while True:
        chunk = request.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large
    return b"".join(chunks)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _address(value: str) -> str:
    """An envelope address from the query string, without control characters (no NUL reaches
    the database) and at most 320 characters."""
    return _CONTROL.sub("", value).strip()[:320]


def _recipients(request: HttpRequest) -> list[str]:
    return [_address(address) for value in request.GET.getlist("to")[:100]
            for address in value.split(",") if _address(address)][:100]


def _mailbox(request: HttpRequest, recipients: list[str]) -> Mailbox | None:
    address = request.GET.get("mailbox", "").strip()
    if not address:
        return mailbox_for_recipients(recipients) if recipients else None
    mailbox = Mailbox.objects.filter(address__iexact=address).first()
    if mailbox is None:
        raise HeedfulError(ErrorCode.INVALID, _("There is no mailbox with this address."),
                           fields={"mailbox": [_("Use the address of a mailbox set up in the admin.")]})
    return mailbox


@csrf_exempt
def inbound(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _refuse(405, ErrorCode.INVALID, _("Send the message with POST."))
        response["Allow"] = "POST"
        return response
    if not _authorised(request):
        return _refuse(401, ErrorCode.PERMISSION_DENIED, _(
            "Send `Authorization: Bearer <token>` with the mail intake token "
            "(HEEDFUL_MAIL_INTAKE_TOKEN) or an agent's API token."))
    content_type = request.content_type or ""
    if content_type.lower() not in ACCEPTED_TYPES:
        return _refuse(415, ErrorCode.INVALID, _(
            "Send the raw message with Content-Type message/rfc822 or application/octet-stream."),
            {"Content-Type": [_("This type is not accepted.")]})
    try:
        raw = _read_body(request)
        if not raw.strip():
            raise HeedfulError(ErrorCode.INVALID, _("The message is empty."),
                               fields={"body": [_("Send the raw message as the request body.")]})
        recipients = _recipients(request)
        mailbox = _mailbox(request, recipients)
        accepted = accept_raw(raw, via=RawMessage.Via.HTTP, mailbox=mailbox,
                              envelope_from=_address(request.GET.get("from", "")),
                              envelope_to=recipients)
    except HeedfulError as refused:
        return _refuse(refused.http_status, refused.code, refused.message, refused.fields)
    except Exception:
        logger.exception("could not store a message received over HTTP")
        response = _refuse(503, "unavailable", _(
            "The message could not be stored just now; nothing was kept. Send it again later."))
        response["Retry-After"] = "60"
        return response
    return JsonResponse({"id": accepted.raw.pk, "duplicate": accepted.duplicate,
                         "message_id": accepted.raw.message_id}, status=202)
