"""Sign-in throttling: a few failures per account and per client address, then a pause.

Counts live in the cache (Redis when configured, so every web process shares them).
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


def _keys(identifier: str, ip_address: str | None) -> list[str]:
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
    keys = [f"login-fail:id:{digest}"]
    if ip_address:
        keys.append(f"login-fail:ip:{ip_address}")
    return keys


def is_locked_out(identifier: str, ip_address: str | None) -> bool:
    limit = settings.LOGIN_ATTEMPTS_LIMIT
    # The address limit is wider: an office behind one NAT has many people.
    limits = [limit, limit * 4]
    counts = [cache.get(key, 0) for key in _keys(identifier, ip_address)]
    return any(count >= cap for count, cap in zip(counts, limits, strict=False))


def record_failure(identifier: str, ip_address: str | None) -> None:
    for key in _keys(identifier, ip_address):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def clear_failures(identifier: str, ip_address: str | None) -> None:
    cache.delete(_keys(identifier, ip_address)[0])


def lockout_message() -> str:
    minutes = max(1, math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60))
    return _("Too many attempts, try again in %(minutes)s minutes.") % {"minutes": minutes}


def client_ip(meta: dict[str, str]) -> str | None:
    return meta.get("REMOTE_ADDR") or None
