"""Admins set up mailboxes here (the IMAP password is stored encrypted and never shown again);
received and outbound messages are read-only, with "reprocess" and "retry" for failed ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedful.core.admin import AuditedAdmin, ReadOnlyAdmin
from heedful.mail.actions import reprocess_raw_message, retry_outbound_message
from heedful.mail.crypto import encrypt_secret
from heedful.mail.models import Mailbox, OutboundMessage, RawMessage


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=gettext_lazy("IMAP password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted. Leave empty to keep the current password."),
    )
    clear_imap_password = forms.BooleanField(label=gettext_lazy("remove the stored password"),
                                             required=False)

    class Meta:
        model = Mailbox
        fields = ["name", "address", "from_name", "team", "auto_acknowledge", "active",
                  "imap_host", "imap_port", "imap_ssl", "imap_username", "imap_folder",
                  "after_import", "move_to_folder"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("after_import") == Mailbox.AfterImport.MOVE and not cleaned.get("move_to_folder"):
            self.add_error("move_to_folder", _("Name the folder to move imported messages to."))
        return cleaned

    def save(self, commit: bool = True) -> Mailbox:
        mailbox: Mailbox = super().save(commit=False)
        if self.cleaned_data.get("imap_password"):
            mailbox.imap_password_encrypted = encrypt_secret(self.cleaned_data["imap_password"])
        elif self.cleaned_data.get("clear_imap_password"):
            mailbox.imap_password_encrypted = ""
        if commit:
            mailbox.save()
            self.save_m2m()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    form = MailboxForm
    list_display = ["name", "address", "team", "active", "imap_host", "imap_checked_at",
                    "imap_last_error"]
    list_filter = ["active", "team"]
    search_fields = ["name", "address"]
    readonly_fields = ["password_stored", "imap_uidvalidity", "imap_last_uid", "imap_checked_at",
                       "imap_last_error"]
    fieldsets = [
        (None, {"fields": ["name", "address", "from_name", "team", "auto_acknowledge", "active"]}),
        (gettext_lazy("IMAP polling"), {"fields": [
            "imap_host", "imap_port", "imap_ssl", "imap_username", "imap_password",
            "clear_imap_password", "password_stored", "imap_folder", "after_import",
            "move_to_folder", "imap_checked_at", "imap_last_error", "imap_uidvalidity",
            "imap_last_uid"]}),
    ]
    actions = ["fetch_now"]

    @admin.display(description=gettext_lazy("password stored"), boolean=True)
    def password_stored(self, obj: Mailbox) -> bool:
        return bool(obj.imap_password_encrypted)

    @admin.action(description=gettext_lazy("Fetch new mail now"))
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        from heedful.mail.imap import fetch_mailbox_by_id

        for mailbox in queryset:
            line = fetch_mailbox_by_id(mailbox.pk)
            mailbox.refresh_from_db()
            level = messages.ERROR if mailbox.imap_last_error else messages.SUCCESS
            self.message_user(request, line, level)


@admin.register(RawMessage)
class RawMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "message_id", "via", "mailbox", "state", "size", "received_at",
                    "ticket_link"]
    list_filter = ["state", "via", "mailbox"]
    search_fields = ["message_id", "sha256", "envelope_from"]
    readonly_fields = ["sha256", "storage_name", "size", "via", "mailbox", "envelope_from",
                       "envelope_to", "message_id", "state", "error", "ticket_link", "event",
                       "received_at", "processed_at"]
    exclude = ["ticket"]
    actions = ["reprocess"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RawMessage]:
        return super().get_queryset(request).select_related("mailbox", "ticket")

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_link(self, obj: RawMessage) -> str:
        if obj.ticket is None:
            return "—"
        return format_html('<a href="{}">#{}</a>', reverse("web:ticket", args=[obj.ticket.number]),
                           obj.ticket.number)

    @admin.action(description=gettext_lazy("Process failed messages again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[RawMessage]) -> None:
        done = sum(reprocess_raw_message(record=record) for record in queryset)
        skipped = queryset.count() - done
        self.message_user(request, _("%(done)s message(s) queued for processing; %(skipped)s skipped "
                                     "(only failed messages are processed again).") % {
            "done": done, "skipped": skipped})


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "message_id", "mailbox", "state", "attempts", "last_error", "sent_at",
                    "created_at"]
    list_filter = ["state", "mailbox"]
    search_fields = ["message_id"]
    readonly_fields = ["event", "mailbox", "message_id", "recipients", "state", "attempts",
                       "last_error", "sent_at", "created_at"]
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboundMessage]:
        return super().get_queryset(request).select_related("mailbox")

    @admin.action(description=gettext_lazy("Retry delivery of failed messages"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        done = sum(retry_outbound_message(outbound=outbound) for outbound in queryset)
        skipped = queryset.count() - done
        self.message_user(request, _("%(done)s message(s) queued for delivery; %(skipped)s skipped "
                                     "(only failed messages are retried).") % {
            "done": done, "skipped": skipped})
