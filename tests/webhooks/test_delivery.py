"""Outbound webhooks against a real HTTP server: signed, retried with backoff, then given up;
private targets refused unless an admin allowed them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from heedful.core.errors import Invalid
from heedful.webhooks import delivery
from heedful.webhooks.models import Webhook, WebhookDelivery
from heedful.webhooks.targets import check_target
from tests.factories import agent_reply, make_ticket
from tests.webhooks.conftest import Receiver


def _hook(url: str, **extra: Any) -> Webhook:
    return Webhook.objects.create(name="CRM", url=url, **extra)


def _signature_is_valid(secret: str, header: str, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    return delivery.sign(secret, int(parts["t"]), body) == header


def test_ticket_changes_reach_the_receiver_signed(
    receiver: Receiver, contact: Any, agent: Any, run_tasks: Any
) -> None:
    hook = _hook(receiver.url, allow_private_target=True)
    ticket = make_ticket(requester=contact)
    reply = agent_reply(ticket, agent, body="On it")
    run_tasks()

    assert WebhookDelivery.objects.exclude(state=WebhookDelivery.State.DELIVERED).count() == 0
    payloads = []
    for request in receiver.requests:
        assert request.path == "/hooks/heedful"
        assert request.headers["Content-Type"] == "application/json"
        assert _signature_is_valid(hook.secret, request.headers[delivery.SIGNATURE_HEADER], request.body)
        payload = json.loads(request.body)
        assert request.headers["X-Heedful-Event"] == payload["type"]
        assert request.headers["X-Heedful-Delivery"] == str(payload["id"])
        payloads.append(payload)
    types = sorted(p["type"] for p in payloads)
    assert types.count("ticket.created") == 1
    assert "ticket.updated" in types
    added = [p["data"] for p in payloads if p["type"] == "event.added"]
    assert {"ticket_id": ticket.pk, "event_id": reply.pk} in added
    assert all(p["data"]["ticket_id"] == ticket.pk for p in payloads)


def test_a_tampered_body_fails_verification(receiver: Receiver, contact: Any, run_tasks: Any) -> None:
    hook = _hook(receiver.url, allow_private_target=True, event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    [request] = receiver.requests
    header = request.headers[delivery.SIGNATURE_HEADER]
    assert _signature_is_valid(hook.secret, header, request.body)
    assert not _signature_is_valid(hook.secret, header, request.body.replace(b"ticket", b"tickex"))
    assert not _signature_is_valid("another secret", header, request.body)


def test_server_error_schedules_a_retry_with_backoff(
    receiver: Receiver, contact: Any, run_tasks: Any
) -> None:
    receiver.status = 500
    _hook(receiver.url, allow_private_target=True, event_types=["ticket.created"])
    make_ticket(requester=contact)
    before = timezone.now()
    run_tasks()

    sent = WebhookDelivery.objects.get()
    assert sent.state == WebhookDelivery.State.RETRYING
    assert sent.attempts == 1
    assert sent.last_status_code == 500
    assert sent.last_error == "HTTP 500"
    assert sent.next_attempt_at is not None and sent.next_attempt_at > before
    waiting = DBTaskResult.objects.filter(
        task_path="heedful.webhooks.tasks.deliver_webhook", status="READY",
        args_kwargs__kwargs__delivery_id=sent.pk,
    )
    assert [t.run_after for t in waiting] == [sent.next_attempt_at]
    assert len(receiver.requests) == 1  # the retry waits for its time


def test_after_max_attempts_the_delivery_failed(receiver: Receiver, contact: Any, run_tasks: Any) -> None:
    receiver.status = 503
    _hook(receiver.url, allow_private_target=True, event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    sent = WebhookDelivery.objects.get()
    outcomes = [delivery.attempt(sent.pk) for _ in range(delivery.MAX_ATTEMPTS - 1)]
    assert outcomes == ["retrying"] * (delivery.MAX_ATTEMPTS - 2) + ["failed"]
    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.next_attempt_at) == (
        WebhookDelivery.State.FAILED, delivery.MAX_ATTEMPTS, None)
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS
    assert delivery.attempt(sent.pk) == "skipped"


def test_backoff_grows_and_is_capped() -> None:
    waits = [delivery.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[:3] == [30, 60, 120]
    assert waits == sorted(waits)
    assert max(waits) == 6 * 3600


def test_loopback_target_without_permission_is_refused(
    receiver: Receiver, contact: Any, run_tasks: Any, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _hook(receiver.url, event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    refused = WebhookDelivery.objects.get()
    assert refused.state == WebhookDelivery.State.FAILED
    assert "private, loopback or link-local" in refused.last_error
    assert receiver.requests == []


def test_recovering_receiver_gets_the_delivery_on_retry(
    receiver: Receiver, contact: Any, run_tasks: Any
) -> None:
    receiver.status = 500
    _hook(receiver.url, allow_private_target=True, event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    receiver.status = 204
    sent = WebhookDelivery.objects.get()
    assert delivery.attempt(sent.pk) == "delivered"
    sent.refresh_from_db()
    assert sent.state == WebhookDelivery.State.DELIVERED
    assert sent.delivered_at is not None
    assert receiver.requests[0].body == receiver.requests[1].body


def test_inactive_and_uninterested_webhooks_get_nothing(contact: Any, receiver: Receiver) -> None:
    _hook(receiver.url, allow_private_target=True, active=False)
    _hook(receiver.url, allow_private_target=True, event_types=["event.added"])
    make_ticket(requester=contact)
    assert set(WebhookDelivery.objects.values_list("event_type", flat=True)) == {"event.added"}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://10.0.0.5/hook", "http://10.255.1.1/",
    "http://192.168.1.10/", "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://100.64.0.1/", "http://2130706433/",
])
def test_check_target_refuses_private_addresses(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_target(url, allow_private=False)
    assert "url" in refused.value.fields


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://93.184.216.34:8443/x",
                                 "https://[2606:4700:4700::1111]/hook"])
def test_check_target_accepts_public_ip_literals(url: str) -> None:
    check_target(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/", "file:///etc/passwd", "http:///nohost",
                                 "http://93.184.216.34:99999/", "javascript:alert(1)"])
def test_check_target_refuses_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(Invalid):
        check_target(url, allow_private=True)


def test_allowed_private_target_passes_the_check() -> None:
    check_target("http://127.0.0.1:9/hook", allow_private=True)


def test_many_deliveries_of_one_change_share_one_job(
    receiver: Receiver, contact: Any, agent: Any, run_tasks: Any
) -> None:
    from heedful.tickets.actions import TicketRequest, open_tickets

    _hook(receiver.url, allow_private_target=True)
    Webhook.objects.create(name="Chat", url=receiver.url, allow_private_target=True)
    open_tickets([TicketRequest(requester=contact, subject=f"Question {n}", body="Hello",
                                channel="email") for n in range(5)])
    jobs = DBTaskResult.objects.filter(task_path__startswith="heedful.webhooks.tasks.")
    assert [job.task_path for job in jobs] == ["heedful.webhooks.tasks.deliver_webhooks"]
    run_tasks()
    assert WebhookDelivery.objects.count() == 5 * 2 * 2  # created + event.added, for each hook
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {
        WebhookDelivery.State.DELIVERED}
    assert len(receiver.requests) == 20


def test_a_failing_receiver_does_not_hold_back_the_rest_of_a_batch(
    receiver: Receiver, contact: Any, run_tasks: Any
) -> None:
    from heedful.tickets.actions import TicketRequest, open_tickets

    broken = _hook("http://127.0.0.1:9/nobody-listens", allow_private_target=True,
                   event_types=["ticket.created"])
    working = _hook(receiver.url, allow_private_target=True, event_types=["ticket.created"])
    open_tickets([TicketRequest(requester=contact, subject=f"Question {n}", body="Hello",
                                channel="email") for n in range(4)])
    run_tasks()
    assert WebhookDelivery.objects.filter(
        webhook=working, state=WebhookDelivery.State.DELIVERED).count() == 4
    failed = WebhookDelivery.objects.filter(webhook=broken)
    # One was tried and waits for its retry; the others were handed to later jobs untried.
    assert sorted(failed.values_list("attempts", flat=True)) == [0, 0, 0, 1]
    later = DBTaskResult.objects.filter(task_path="heedful.webhooks.tasks.deliver_webhook",
                                        status="READY")
    assert later.count() == 4 and all(job.run_after > timezone.now() for job in later)


def test_delivery_connects_to_the_address_it_checked_not_to_a_fresh_dns_answer(
    receiver: Receiver, contact: Any, run_tasks: Any, monkeypatch: Any
) -> None:
    from urllib.parse import urlparse

    # The host name resolves nowhere: only the checked address, pinned, reaches the receiver.
    port = urlparse(receiver.url).port
    _hook(f"http://rebinding.invalid:{port}/hooks/heedful", event_types=["ticket.created"])
    monkeypatch.setattr(delivery, "check_target", lambda url, allow_private: ["127.0.0.1"])
    make_ticket(requester=contact)
    run_tasks()
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED
    [request] = receiver.requests
    assert request.headers["Host"] == f"rebinding.invalid:{port}"


def test_check_target_returns_the_addresses_it_checked() -> None:
    assert check_target("https://93.184.216.34/hook", allow_private=False) == ["93.184.216.34"]
    assert check_target("http://127.0.0.1:9/hook", allow_private=True) == []


def test_https_delivery_to_a_pinned_address_still_checks_the_certificate_of_the_host_name(
    tls_receiver: Receiver, contact: Any, run_tasks: Any, monkeypatch: Any
) -> None:
    import ssl
    from urllib.parse import urlparse

    port = urlparse(tls_receiver.url).port
    monkeypatch.setattr(ssl, "_create_default_https_context",
                        lambda: ssl.create_default_context(cafile=tls_receiver.cafile))
    monkeypatch.setattr(delivery, "check_target", lambda url, allow_private: ["127.0.0.1"])
    good = _hook(f"https://hooks.heedful.test:{port}/hooks/heedful", event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    assert WebhookDelivery.objects.get(webhook=good).state == WebhookDelivery.State.DELIVERED

    # The same address under a name the certificate does not cover is refused by TLS.
    Webhook.objects.filter(pk=good.pk).update(active=False)
    wrong = Webhook.objects.create(name="Other", url=f"https://other.heedful.test:{port}/hooks/heedful",
                                   event_types=["ticket.created"])
    make_ticket(requester=contact)
    run_tasks()
    refused = WebhookDelivery.objects.get(webhook=wrong)
    assert refused.state == WebhookDelivery.State.RETRYING
    assert "certificate" in refused.last_error.lower()
    assert len(tls_receiver.requests) == 1
