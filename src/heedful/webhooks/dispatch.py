"""Queueing webhook deliveries in the same transaction as the change they announce."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from heedful.webhooks.models import Webhook, WebhookDelivery


def queue_deliveries(event_type: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    from heedful.webhooks.tasks import deliver_webhook

    targets = [hook for hook in Webhook.objects.filter(active=True) if hook.wants(event_type)]
    if not targets:
        return []
    body = {"type": event_type, "occurred_at": timezone.now().isoformat(), "data": payload}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event_type=event_type, payload=body) for hook in targets
    )
    for delivery in deliveries:
        deliver_webhook.enqueue(delivery_id=delivery.pk)
    return deliveries
