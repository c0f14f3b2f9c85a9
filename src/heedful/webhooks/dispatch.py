"""Queueing webhook deliveries in the same transaction as the change they announce."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from heedful.webhooks.models import Webhook, WebhookDelivery


def queue_deliveries(event_type: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    return queue_many([(event_type, payload)])


def queue_many(announcements: list[tuple[str, dict[str, Any]]]) -> list[WebhookDelivery]:
    """One delivery per announcement and subscribed webhook, with one read of the subscriptions
    however many announcements a change makes (mail intake makes two or three per message)."""
    from heedful.webhooks.tasks import deliver_webhooks

    if not announcements:
        return []
    hooks = list(Webhook.objects.filter(active=True))
    if not hooks:
        return []
    now = timezone.now().isoformat()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event_type=event_type,
                        payload={"type": event_type, "occurred_at": now, "data": payload})
        for event_type, payload in announcements
        for hook in hooks if hook.wants(event_type)
    )
    if deliveries:
        deliver_webhooks.enqueue(delivery_ids=[delivery.pk for delivery in deliveries])
    return deliveries
