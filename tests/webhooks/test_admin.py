"""Admins manage webhooks in the Django admin: targets are checked on save, deliveries are
read-only and a failed one can be retried now."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tasks_db.models import DBTaskResult

from heedful.webhooks.models import Webhook, WebhookDelivery
from tests.factories import make_ticket
from tests.webhooks.conftest import Receiver


def _admin(client: Client, admin_agent: Any) -> Client:
    client.force_login(admin_agent.user)
    return client


def _form(url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "CRM", "url": url, "event_types": ["ticket.created"], "active": "on", **extra}


def test_admin_refuses_a_private_target_unless_allowed(
    client: Client, admin_agent: Any, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    admin = _admin(client, admin_agent)
    response = admin.post("/admin/webhooks/webhook/add/", _form("http://127.0.0.1:9/hook"))
    assert response.status_code == 200
    assert "private, loopback or link-local" in response.content.decode()
    assert not Webhook.objects.exists()

    response = admin.post("/admin/webhooks/webhook/add/",
                          _form("http://127.0.0.1:9/hook", allow_private_target="on"))
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert hook.event_types == ["ticket.created"]
    assert hook.secret


def test_admin_accepts_a_public_ip_target(client: Client, admin_agent: Any) -> None:
    response = _admin(client, admin_agent).post("/admin/webhooks/webhook/add/",
                                                _form("https://93.184.216.34/hook"))
    assert response.status_code == 302
    assert Webhook.objects.get().url == "https://93.184.216.34/hook"


def test_admin_shows_the_secret_of_a_saved_webhook(client: Client, admin_agent: Any) -> None:
    hook = Webhook.objects.create(name="CRM", url="https://93.184.216.34/hook")
    page = _admin(client, admin_agent).get(f"/admin/webhooks/webhook/{hook.pk}/change/")
    assert hook.secret in page.content.decode()


def test_deliveries_are_read_only_with_state_attempts_and_error(
    client: Client, admin_agent: Any, contact: Any
) -> None:
    hook = Webhook.objects.create(name="CRM", url="http://127.0.0.1:9/", event_types=["ticket.created"])
    make_ticket(requester=contact)
    WebhookDelivery.objects.update(state="failed", attempts=8, last_error="HTTP 500")
    admin = _admin(client, admin_agent)
    listing = admin.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert "HTTP 500" in listing and "Retry now" in listing
    assert admin.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    delivery = WebhookDelivery.objects.get(webhook=hook)
    admin.post(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/", {"state": "delivered"})
    delivery.refresh_from_db()
    assert delivery.state == "failed"


def test_retry_now_resets_a_failed_delivery_and_delivers_it(
    client: Client, admin_agent: Any, contact: Any, receiver: Receiver, run_tasks: Any
) -> None:
    Webhook.objects.create(name="CRM", url=receiver.url, allow_private_target=True,
                           event_types=["ticket.created"])
    make_ticket(requester=contact)
    WebhookDelivery.objects.update(state="failed", attempts=8, last_error="HTTP 500")
    DBTaskResult.objects.all().delete()
    delivery = WebhookDelivery.objects.get()

    response = _admin(client, admin_agent).post("/admin/webhooks/webhookdelivery/", {
        "action": "retry_deliveries_now", "_selected_action": [delivery.pk],
    })
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__delivery_id=delivery.pk).count() == 1

    run_tasks()
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert len(receiver.requests) == 1


def test_add_page_does_not_show_a_secret_that_will_not_be_saved(client: Client, admin_agent: Any) -> None:
    page = _admin(client, admin_agent).get("/admin/webhooks/webhook/add/").content.decode()
    assert "Shown once the webhook is saved." in page
