"""Cross-cutting records: the audit log, site-wide contact options, and number sequences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogEntry(models.Model):
    """What an admin or supervisor changed, when and from where; never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"


class SiteSettings(models.Model):
    """The ways customers can reach the team, shown on every portal page; one row, edited by
    admins in the admin site."""

    name = models.CharField(_("help desk name"), max_length=200, default="Heedful Support")
    support_email = models.EmailField(_("support e-mail"), blank=True)
    support_phone = models.CharField(_("support phone"), max_length=40, blank=True)
    phone_hours = models.CharField(_("phone hours"), max_length=200, blank=True)
    chat_enabled = models.BooleanField(_("live chat enabled"), default=False)
    portal_passwords_enabled = models.BooleanField(
        _("customers may set a password"), default=True,
        help_text=_("Customers can always sign in with a one-time link sent by e-mail."),
    )
    organization_managers_see_tickets = models.BooleanField(
        _("organization managers see their organization's tickets"), default=True
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(self.name)

    @classmethod
    def current(cls) -> SiteSettings:
        site, _created = cls.objects.get_or_create(pk=1, defaults={
            "name": settings.SUPPORT_NAME, "support_phone": settings.SUPPORT_PHONE,
            "support_email": settings.SUPPORT_EMAIL,
        })
        return site


class Sequence(models.Model):
    """Named counters (ticket numbers) handed out in blocks under a row lock."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PeriodicJob(models.Model):
    """Which period each registered periodic job (core/schedule.py) last started a run for.

    A worker claims a period by moving `last_period_start` forward with a compare-and-set
    UPDATE in the transaction that enqueues the run, so across any number of workers a period
    starts at most one run. The row is a cache of the registry: deleting it means "due now"."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    last_period_start = models.DateTimeField(_("last period started"), null=True, blank=True)
    last_enqueued_at = models.DateTimeField(_("last run queued at"), null=True, blank=True)
    last_task_id = models.UUIDField(_("last run's task"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return str(self.name)
