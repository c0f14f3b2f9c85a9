"""The worker side of webhooks: sign, send, retry with backoff."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from heedful.webhooks import delivery


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> str:
    return delivery.attempt(delivery_id)


@task(queue_name="webhooks")
def deliver_webhooks(delivery_ids: list[int]) -> dict[str, int]:
    """First attempts of the deliveries one change queued (a mail batch queues hundreds), in
    order, in one job; each retry later gets a job of its own."""
    from heedful.webhooks.models import WebhookDelivery

    hook_of = dict(WebhookDelivery.objects.filter(pk__in=delivery_ids).values_list("pk", "webhook_id"))
    struggling: set[int] = set()
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        if hook_of.get(delivery_id) in struggling:
            # Its receiver just failed: try it in a job of its own, a little later, rather than
            # make the rest of this batch wait for the same timeout again and again.
            later = timezone.now() + delivery.backoff(1)
            deliver_webhook.using(run_after=later).enqueue(delivery_id=delivery_id)
            outcome = "handed_on"
        else:
            outcome = delivery.attempt(delivery_id)
            if outcome == "retrying":
                struggling.add(hook_of.get(delivery_id, 0))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
