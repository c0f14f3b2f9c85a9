"""Idempotency keys for POST: a client that retries with the same `Idempotency-Key` and the same
body gets the stored answer (with `Idempotent-Replayed: true`) instead of a second write.

The same key with another body, method or path is a conflict (409). Keys belong to the agent
whose token sent them and expire after 24 hours. Only successful answers are stored: a refused
request wrote nothing, so retrying it is safe anyway.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.api.auth import agent_for_request
from heedful.api.errors import error_response, too_large
from heedful.api.models import IdempotencyKey
from heedful.core.errors import ErrorCode

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LIFETIME = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class _KeyTaken(Exception):
    """Another request stored the same key while this one ran; its writes must roll back."""


def _conflict(message: str) -> HttpResponse:
    return error_response(409, ErrorCode.CONFLICT, message, {HEADER: [_("Use a new key for a new request.")]})


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(stored.response_body, status=stored.status_code,
                            content_type=stored.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def idempotent(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a ninja operation (use with ninja.decorators.decorate_view)."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        agent = agent_for_request(request)
        if key is None or agent is None:
            return run(request, *args, **kwargs)  # no key, or no valid token: answered as usual
        if not _valid_key(key):
            return error_response(400, ErrorCode.INVALID, _("The idempotency key is not valid."),
                                  {HEADER: [_("Use 1 to 255 printable ASCII characters.")]})
        try:
            digest = hashlib.sha256(request.body).hexdigest()
        except RequestDataTooBig:
            return too_large()
        path = request.path[:500]
        stored = IdempotencyKey.objects.filter(agent=agent, key=key).first()
        if stored is not None and stored.created_at < timezone.now() - LIFETIME:
            stored.delete()
            stored = None
        if stored is not None:
            if (stored.method, stored.path, stored.body_sha256) != (request.method, path, digest):
                return _conflict(_("This idempotency key was used for a different request."))
            return _replay(stored)
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
                    try:
                        with transaction.atomic():
                            IdempotencyKey.objects.create(
                                agent=agent, key=key, method=request.method or "POST", path=path,
                                body_sha256=digest, status_code=response.status_code,
                                content_type=response.get("Content-Type", "application/json")[:100],
                                response_body=response.content.decode(),
                            )
                    except IntegrityError:
                        raise _KeyTaken() from None
        except _KeyTaken:
            return _conflict(_("Another request with this idempotency key is being handled."))
        IdempotencyKey.objects.filter(agent=agent, created_at__lt=timezone.now() - LIFETIME).delete()
        return response

    return wrapper
