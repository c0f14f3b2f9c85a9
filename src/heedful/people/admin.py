from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from heedful.core.admin import AuditedAdmin, ReadOnlyAdmin
from heedful.core.errors import HeedfulError
from heedful.people.actions import add_identity, check_identity_free, check_live, remove_identity
from heedful.people.identities import normalize_identity
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


class IdentityInlineForm(forms.ModelForm):
    """A new identity, checked here as add_identity checks it, so that a refusal is an error
    beside the field (the unique constraint is on the normalised value, which no form field
    holds, so Django's own checks would let a clash through to the database)."""

    class Meta:
        model = ContactIdentity
        fields = ["kind", "value"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk is not None or not cleaned.get("kind") or "value" not in cleaned:
            return cleaned
        contact = self.instance.contact if self.instance.contact_id else None
        try:
            cleaned["normalized"] = normalize_identity(cleaned["kind"], cleaned["value"])
            check_identity_free(cleaned["kind"], cleaned["normalized"], except_contact=contact)
        except HeedfulError as refused:
            self.add_error("value", refused.message)
        return cleaned


def _marked_for_deletion(form: forms.BaseForm) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get("DELETE"))


class IdentityInlineFormSet(BaseInlineFormSet):
    def _added(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.extra_forms
                if form.has_changed() and not _marked_for_deletion(form)
                and "normalized" in getattr(form, "cleaned_data", {})]

    def clean(self) -> None:
        super().clean()
        added = self._added()
        keys = [(row["kind"], row["normalized"]) for row in added]
        if len(set(keys)) != len(keys):
            raise ValidationError(_("The same address or number is listed twice."))
        if added and self.instance.pk is not None:
            try:
                check_live(self.instance)
            except HeedfulError as refused:
                raise ValidationError(refused.message) from None
        removed = [form for form in self.initial_forms if _marked_for_deletion(form)]
        if removed and len(removed) == len(self.initial_forms) and not added:
            raise ValidationError(_("This is the contact's only address or number: add another "
                                    "before removing it."))


class IdentityInline(admin.TabularInline):
    """Identities are added and removed through people.actions (normalised, checked, audited);
    one that exists is shown, not edited: a changed address is a new identity."""

    model = ContactIdentity
    form = IdentityInlineForm
    formset = IdentityInlineFormSet
    extra = 0
    readonly_fields = ["normalized", "verified", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ["__str__", "organization", "plan", "tier", "vip", "created_at"]
    list_filter = ["vip", "tier", "expertise"]
    search_fields = ["name", "identities__normalized"]
    inlines = [IdentityInline]
    exclude = ["password"]
    raw_id_fields = ["organization"]
    # A merge moves tickets and writes their events: only the merge action may set it.
    readonly_fields = ["merged_into"]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ContactIdentity:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        try:
            # Added first: removing the last identity is refused, replacing it is not.
            for identity in formset.new_objects:
                add_identity(contact=form.instance, kind=identity.kind, value=identity.value,
                             actor=request.user)
            for identity in formset.deleted_objects:
                remove_identity(identity=identity, actor=request.user)
        except HeedfulError as refused:  # changed by someone else since the form was checked
            self.message_user(request, refused.message, messages.ERROR)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Tickets and events PROTECT the contacts they name, and merge records cannot be
        deleted here (so neither can their contacts); a CC would vanish from its ticket
        silently, so it protects the contact too (one at a time or in bulk)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Through the reverse accessor: people does not import tickets.
        cc = Contact.cc_tickets.through.objects.filter(contact__in=list(objs)).select_related(
            "ticket", "contact")
        protected = list(protected) + [
            _("%(contact)s is CC on ticket #%(number)s") % {"contact": row.contact,
                                                             "number": row.ticket.number}
            for row in cc
        ]
        return deleted, counts, perms_needed, protected


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

    # Tokens are issued by people.tokens.issue_token (`heedful token`), which shows the secret
    # once; a row added here would have no secret anyone knows.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ContactMerge)
class ContactMergeAdmin(ReadOnlyAdmin):
    """The record of what a merge moved: written by people.actions.merge_contacts only."""

    list_display = ["source", "target", "actor", "created_at"]
    readonly_fields = ["source", "target", "actor", "moved", "created_at"]
