from __future__ import annotations

from django.contrib import admin

from heedful.core.admin import AuditedAdmin
from heedful.tickets.models import CustomFieldDefinition, SavedFilter, SavedReply, Tag, Ticket


@admin.register(Ticket)
class TicketAdmin(AuditedAdmin):
    list_display = ["number", "subject", "status", "priority", "channel", "assignee", "updated_at"]
    list_filter = ["status", "priority", "channel"]
    search_fields = ["subject", "number"]
    raw_id_fields = ["requester", "organization", "participants", "assignee", "team", "merged_into"]
    readonly_fields = ["number", "created_at", "updated_at"]

    # View only: tickets change through actions (agent UI, portal, API, mail) so that every
    # change lands on the timeline; an admin form would be a second write path. Nor are they
    # deleted here (one by one or with the bulk action): that would cascade to their events,
    # attachments and outbound mail, and the history would be gone.
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(AuditedAdmin):
    list_display = ["label", "key", "type", "required", "customer_editable", "active", "position"]
    list_editable = ["position", "active"]


@admin.register(SavedReply)
class SavedReplyAdmin(AuditedAdmin):
    list_display = ["title", "team", "owner", "active"]
    list_filter = ["active", "team"]


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    search_fields = ["name"]


@admin.register(SavedFilter)
class SavedFilterAdmin(AuditedAdmin):
    """Seen and tidied away here; made on the queue page through tickets.saved_filters, which
    checks the name and that every filter is one the queue knows (a raw JSON field would not)."""

    list_display = ["name", "owner", "shared"]
    readonly_fields = ["name", "owner", "params", "shared", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
