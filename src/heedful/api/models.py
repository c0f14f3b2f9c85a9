"""What the API keeps for itself: answers to POST requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from heedful.people.models import Agent


class IdempotencyKey(models.Model):
    """The stored answer to one POST, so that a client retrying after a timeout gets the same
    answer instead of a second ticket. Keys are per agent and expire after a day."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    body_sha256 = models.CharField(_("SHA-256 of the request body"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    content_type = models.CharField(_("content type"), max_length=100)
    response_body = models.TextField(_("response body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "key"], name="idempotency_key_per_agent")
        ]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
