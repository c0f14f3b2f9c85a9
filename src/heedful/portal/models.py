"""One-time sign-in links for customers (contacts), who are not Django users."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from heedful.people.models import Contact


class SignInLink(models.Model):
    """A single-use link e-mailed to a contact; only the SHA-256 of its token is stored."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="sign_in_links", verbose_name=_("contact")
    )
    digest = models.CharField(_("token digest"), max_length=64, unique=True)
    email = models.CharField(_("sent to"), max_length=320, blank=True)
    next_path = models.CharField(_("then go to"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return f"sign-in link for contact {self.contact_id}"
