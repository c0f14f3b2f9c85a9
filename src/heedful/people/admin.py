from __future__ import annotations

from django.contrib import admin

from heedful.core.admin import AuditedAdmin
from heedful.people.models import (
    Agent,
    ApiToken,
    Contact,
    ContactIdentity,
    ContactMerge,
    Organization,
    Skill,
    Team,
)


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    readonly_fields = ["normalized", "created_at"]


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ["__str__", "organization", "plan", "tier", "vip", "created_at"]
    list_filter = ["vip", "tier", "expertise"]
    search_fields = ["name", "identities__normalized"]
    inlines = [IdentityInline]
    exclude = ["password"]
    raw_id_fields = ["organization", "merged_into"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "managers_see_tickets", "created_at"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    search_fields = ["name"]


@admin.register(Skill)
class SkillAdmin(AuditedAdmin):
    search_fields = ["name"]


@admin.register(Agent)
class AgentAdmin(AuditedAdmin):
    list_display = ["__str__", "user", "role", "capacity", "restricted_to_teams", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    filter_horizontal = ["teams", "skills"]
    search_fields = ["display_name", "user__username"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "agent", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]


@admin.register(ContactMerge)
class ContactMergeAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "actor", "created_at"]
    readonly_fields = ["source", "target", "actor", "moved", "created_at"]
