"""Signing and sending one webhook delivery; retrying with exponential backoff."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

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


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
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
        check_target(hook.url, allow_private=hook.allow_private_target
                     or settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
        status = _post(hook.url, body, headers)
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
