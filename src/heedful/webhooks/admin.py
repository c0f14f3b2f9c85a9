"""Admins manage webhooks here; deliveries are read-only, with a "retry now" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedful.core.errors import HeedfulError
from heedful.webhooks.delivery import retry_now
from heedful.webhooks.models import Webhook, WebhookDelivery
from heedful.webhooks.targets import check_target


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("target URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(name, name) for name in Webhook.EVENT_TYPES],
        help_text=gettext_lazy("None ticked: every event."),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "event_types", "active", "allow_private_target"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        url = cleaned.get("url")
        if url:
            allow = bool(cleaned.get("allow_private_target")) or settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
            try:
                check_target(url, allow_private=allow)
            except HeedfulError as refused:
                self.add_error("url", refused.message)
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "active", "allow_private_target", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "event_types", "active", "allow_private_target", "signing_secret",
              "created_at"]
    readonly_fields = ["signing_secret", "created_at"]

    @admin.display(description=gettext_lazy("signing secret"))
    def signing_secret(self, obj: Webhook) -> str:
        # Receivers need it to verify X-Heedful-Signature; it is made when the webhook is saved.
        return str(obj.secret) if obj.pk else _("Shown once the webhook is saved.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "webhook", "event_type", "state", "attempts", "last_status_code",
                    "last_error", "next_attempt_at", "delivered_at", "created_at"]
    list_filter = ["state", "event_type", "webhook"]
    list_select_related = ["webhook"]
    readonly_fields = ["webhook", "event_type", "payload", "state", "attempts", "last_status_code",
                       "last_error", "next_attempt_at", "delivered_at", "created_at"]
    actions = ["retry_deliveries_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("webhooks.change_webhookdelivery"))

    @admin.action(description=gettext_lazy("Retry now"), permissions=["retry"])
    def retry_deliveries_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        queued = retry_now(list(queryset))
        self.message_user(
            request, _("%(count)d deliveries queued; delivered ones were left alone.") % {"count": queued},
            messages.SUCCESS,
        )
