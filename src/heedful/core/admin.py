"""Admin site: every change made through it is also written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from heedful.core import throttle
from heedful.core.audit import record_audit
from heedful.core.models import AuditLogEntry, SiteSettings
from heedful.core.throttle import client_ip


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions land in AuditLogEntry."""

    def _audit(self, request: HttpRequest, obj: models.Model, action: str, details: Any) -> None:
        record_audit(actor=request.user, action=f"admin.{action}", target=obj,
                     details={"summary": str(details)[:2000]},
                     ip_address=client_ip(request.META))

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "delete", str(obj))
        return super().log_deletions(request, queryset)


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin site's sign-in shares the agents' failure counts (core/throttle.py), so that
    /admin/login/ is no way around the pause: after the limit even the right password is refused
    until it ends. Refusals and sign-ins land in the audit log."""

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        address = client_ip(self.request.META) if self.request is not None else None
        if throttle.is_locked_out(username, address):
            self._audit("admin.login.locked", username, address)
            raise ValidationError(throttle.lockout_message(), code="throttled")
        try:
            cleaned: dict[str, Any] = super().clean()
        except ValidationError:
            throttle.record_failure(username, address)
            self._audit("admin.login.failed", username, address)
            raise
        throttle.clear_failures(username, address)
        user = self.get_user()
        record_audit(actor=user, action="admin.login", target=user, ip_address=address)
        return cleaned

    @staticmethod
    def _audit(action: str, username: str, address: str | None) -> None:
        record_audit(actor=None, action=action, details={"username": username[:150]},
                     ip_address=address)


admin.site.login_form = ThrottledAdminAuthenticationForm


class ReadOnlyAdmin(AuditedAdmin):
    """For records written only by the system (received mail, deliveries, the audit log)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SiteSettings)
class SiteSettingsAdmin(AuditedAdmin):
    list_display = ["name", "support_email", "support_phone", "chat_enabled"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SiteSettings.objects.exists()


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "ip_address"]
    list_filter = ["action"]
    search_fields = ["action", "target_id"]
    readonly_fields = [f.name for f in AuditLogEntry._meta.fields]
