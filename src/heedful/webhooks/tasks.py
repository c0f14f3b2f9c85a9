"""The worker side of webhooks: sign, send, retry with backoff."""

from __future__ import annotations

from django_tasks import task

from heedful.webhooks import delivery


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> str:
    return delivery.attempt(delivery_id)
