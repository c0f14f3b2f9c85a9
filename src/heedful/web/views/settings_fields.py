"""Custom fields in settings: list, add, edit, deactivate. tickets.custom_field_admin decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful.core.errors import HeedfulError
from heedful.tickets.custom_field_admin import LIST_TYPES, create_custom_field, update_custom_field
from heedful.tickets.models import CustomFieldDefinition
from heedful.web.views.settings_common import checked, lines, number, render_settings, settings_view

SECTION = "web:settings_fields"
FLAGS = ("required", "customer_visible", "customer_editable", "active")


def _posted(post: QueryDict, *, new: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"label": post.get("label", ""), "choices": lines(post, "choices"),
                              "position": number(post, "position"),
                              **{flag: checked(post, flag) for flag in FLAGS}}
    if new:
        values.update(key=post.get("key", ""), type=post.get("type", ""))
    return values


def _form_values(definition: CustomFieldDefinition | None) -> dict[str, Any]:
    if definition is None:
        return {"key": "", "label": "", "type": CustomFieldDefinition.Type.TEXT, "choices": "",
                "position": "", "required": False, "customer_visible": False,
                "customer_editable": False, "active": True}
    return {"key": definition.key, "label": definition.label, "type": definition.type,
            "choices": "\n".join(map(str, definition.choices)), "position": definition.position,
            **{flag: getattr(definition, flag) for flag in FLAGS}}


def _render_form(request: HttpRequest, definition: CustomFieldDefinition | None,
                 values: dict[str, Any], error: HeedfulError | None = None,
                 status: int = 200) -> HttpResponse:
    context = {"definition": definition, "values": values,
               "types": CustomFieldDefinition.Type.choices, "list_types": sorted(LIST_TYPES)}
    return render_settings(request, "web/settings/field_form.html", context, section=SECTION,
                           error=error, status=status)


@require_GET
@settings_view()
def fields_view(request: HttpRequest) -> HttpResponse:
    definitions = list(CustomFieldDefinition.objects.order_by("-active", "position", "id"))
    return render_settings(request, "web/settings/fields.html", {"definitions": definitions},
                           section=SECTION)


@require_http_methods(["GET", "POST"])
@settings_view()
def field_edit_view(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=field_id) if field_id else None
    if request.method != "POST":
        return _render_form(request, definition, _form_values(definition))
    values = _posted(request.POST, new=definition is None)
    try:
        if definition is None:
            # An empty position means "after the others".
            position = values.pop("position")
            definition = create_custom_field(actor=request.user,
                                             position=None if position == "" else position, **values)
            messages.success(request, _("Custom field %(label)s added.") % {"label": definition.label})
        else:
            update_custom_field(definition=definition, actor=request.user, changes=values)
            messages.success(request, _("Custom field %(label)s saved.") % {"label": definition.label})
    except HeedfulError as problem:
        shown = {**_form_values(definition), **values, "choices": request.POST.get("choices", ""),
                 "position": request.POST.get("position", "")}
        return _render_form(request, definition, shown, error=problem, status=problem.http_status)
    return redirect(SECTION)


@require_POST
@settings_view()
def field_active_view(request: HttpRequest, field_id: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=field_id)
    active = request.POST.get("active") == "1"
    try:
        update_custom_field(definition=definition, actor=request.user, changes={"active": active})
    except HeedfulError as problem:  # a field made elsewhere that fails today's checks
        return _render_form(request, definition, _form_values(definition), error=problem,
                            status=problem.http_status)
    if active:
        messages.success(request, _("Custom field %(label)s is active again.") % {"label": definition.label})
    else:
        messages.success(request, _("Custom field %(label)s deactivated: tickets keep their values.")
                         % {"label": definition.label})
    return redirect(SECTION)
