"""Portal uses of heedful.core.throttle, counted apart from the agents' sign-in failures."""

from __future__ import annotations

from django.http import HttpRequest

from heedful.core import throttle


def _keys(request: HttpRequest, kind: str, email: str) -> tuple[str, str | None]:
    ip = throttle.client_ip(request.META)
    return f"portal-{kind}:{email.strip().lower()}", (f"portal-{kind}:{ip}" if ip else None)


def is_throttled(request: HttpRequest, kind: str, email: str) -> bool:
    return throttle.is_locked_out(*_keys(request, kind, email))


def count_attempt(request: HttpRequest, kind: str, email: str) -> None:
    throttle.record_failure(*_keys(request, kind, email))


def clear_attempts(request: HttpRequest, kind: str, email: str) -> None:
    throttle.clear_failures(*_keys(request, kind, email))
