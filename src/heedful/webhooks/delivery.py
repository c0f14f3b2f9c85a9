"""Signing and sending one webhook delivery; retrying with exponential backoff."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from heedful.core.errors import HeedfulError
from heedful.webhooks.models import WebhookDelivery
from heedful.webhooks.targets import check_target

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Heedful-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; receivers recompute and compare,
    and reject old timestamps to stop replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead to a private address that check_target never saw.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _pinned(connection_class: type[http.client.HTTPConnection], address: str) -> Any:
    """A connection class that opens its socket to `address` whatever the URL's host name
    resolves to now; TLS still checks the certificate against the host name."""

    class Pinned(connection_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = (
                lambda target, *rest, **options: socket.create_connection(
                    (address, target[1]), *rest, **options))

    return Pinned


class _PinnedHTTP(urllib.request.HTTPHandler):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_pinned(http.client.HTTPConnection, self.address), req)


class _PinnedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_pinned(http.client.HTTPSConnection, self.address), req,
                            context=self._context)  # type: ignore[attr-defined]


def _post(url: str, body: bytes, headers: dict[str, str], address: str | None = None) -> int:
    """POST to `url`; with `address`, to that checked address rather than a fresh DNS answer
    (which could rebind the host name to a private address between check and send)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    handlers: list[Any] = [_NoRedirect]
    if address is not None:
        handlers += [_PinnedHTTP(address), _PinnedHTTPS(address)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def attempt(delivery_id: int) -> str:
    """Try one delivery. Safe to run twice: a delivered or failed delivery is left alone."""
    from heedful.webhooks.tasks import deliver_webhook

    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.state in {WebhookDelivery.State.DELIVERED,
                                              WebhookDelivery.State.FAILED}:
        return "skipped"
    hook = delivery.webhook
    body = json.dumps({"id": delivery.pk, **delivery.payload}, sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Heedful-Webhooks/1",
        "X-Heedful-Event": delivery.event_type,
        "X-Heedful-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
    }
    delivery.attempts += 1
    try:
        checked = check_target(hook.url, allow_private=hook.allow_private_target
                               or settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
        status = _post(hook.url, body, headers, address=checked[0] if checked else None)
        delivery.last_status_code = status
        delivery.last_error = "" if 200 <= status < 300 else f"HTTP {status}"
    except HeedfulError as refused:
        # A refused target will not become acceptable by waiting.
        delivery.state = WebhookDelivery.State.FAILED
        delivery.last_error = refused.message
        delivery.save()
        return "refused"
    except (OSError, ValueError) as problem:
        delivery.last_status_code = None
        delivery.last_error = str(problem)[:1000] or problem.__class__.__name__
    if delivery.last_error == "":
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save()
        return "delivered"
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = WebhookDelivery.State.FAILED
        delivery.next_attempt_at = None
        delivery.save()
        return "failed"
    delivery.state = WebhookDelivery.State.RETRYING
    delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save()
    deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id=delivery.pk)
    return "retrying"


def retry_now(deliveries: list[WebhookDelivery]) -> int:
    """Give failed or waiting deliveries a fresh set of attempts, starting now. Delivered ones
    are left alone. Returns how many were queued."""
    from heedful.webhooks.tasks import deliver_webhook

    queued = 0
    with transaction.atomic():
        for delivery in deliveries:
            if delivery.state == WebhookDelivery.State.DELIVERED:
                continue
            delivery.state = WebhookDelivery.State.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = None
            delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
            deliver_webhook.enqueue(delivery_id=delivery.pk)
            queued += 1
    return queued
