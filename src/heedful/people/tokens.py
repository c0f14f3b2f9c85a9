"""API tokens: shown once when issued, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from heedful.people.models import Agent, ApiToken

TOKEN_PREFIX = "hdf_"  # noqa: S105 (a public marker, not a secret)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(*, agent: Agent, name: str = "") -> str:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(agent=agent, name=name, prefix=raw[:12], digest=_digest(raw))
    return raw


def agent_for_token(raw: str) -> Agent | None:
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("agent__user")
        .filter(digest=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.agent.is_active or not token.agent.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute per token, not on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.agent


def revoke_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
