"""Settings in the agent UI: the overview, roles and their permissions, and contact options.
Thin: policy decides who may, the actions check and write (and audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful import policy
from heedful.core.contact_options import EDITABLE as SITE_FIELDS
from heedful.core.contact_options import SWITCHES, update_contact_options
from heedful.core.errors import HeedfulError
from heedful.core.models import SiteSettings
from heedful.people.actions import change_agent_role
from heedful.people.models import Agent
from heedful.policy import Permission
from heedful.web.common import viewer_of
from heedful.web.views.settings_common import (
    SECTIONS,
    checked,
    render_settings,
    sections_for,
    settings_view,
)


@require_GET
@settings_view(permission=None)
def index_view(request: HttpRequest) -> HttpResponse:
    reachable = sections_for(viewer_of(request))
    return render_settings(request, "web/settings/index.html",
                           {"some_hidden": len(reachable) < len(SECTIONS)}, section="")


def roles_context(request: HttpRequest) -> dict[str, Any]:
    roles = list(Agent.Role)
    agents = list(Agent.objects.select_related("user").order_by("display_name", "id"))
    return {
        "roles": [{"value": role.value, "label": role.label,
                   "agents": [a for a in agents if a.role == role.value]} for role in roles],
        "matrix": [{"label": policy.PERMISSION_LABELS[permission],
                    "granted": [permission in policy.ROLE_PERMISSIONS[role] for role in roles]}
                   for permission in Permission],
        "can_change_roles": policy.can(viewer_of(request), Permission.AGENTS_MANAGE),
        "role_choices": Agent.Role.choices,
    }


@require_GET
@settings_view()
def roles_view(request: HttpRequest) -> HttpResponse:
    return render_settings(request, "web/settings/roles.html", roles_context(request),
                           section="web:settings_roles")


@require_POST
@settings_view(permission=Permission.AGENTS_MANAGE)
def role_change_view(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent.objects.select_related("user"), pk=agent_id)
    try:
        change_agent_role(agent=agent, role=request.POST.get("role", ""), actor=request.user)
    except HeedfulError as problem:
        context = {**roles_context(request), "failed_agent": agent.pk}
        return render_settings(request, "web/settings/roles.html", context,
                               section="web:settings_roles", error=problem,
                               status=problem.http_status)
    messages.success(request, _("%(agent)s is now %(role)s.") % {
        "agent": agent, "role": agent.get_role_display()})
    return redirect("web:settings_roles")


@require_http_methods(["GET", "POST"])
@settings_view()
def contact_options_view(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.current()
    values: dict[str, Any] = {name: getattr(site, name) for name in SITE_FIELDS}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in SITE_FIELDS - set(SWITCHES)}
        values.update({name: checked(request.POST, name) for name in SWITCHES})
        try:
            update_contact_options(actor=request.user, changes=values)
        except HeedfulError as problem:
            return render_settings(request, "web/settings/contact_options.html",
                                   {"values": values}, section="web:settings_contact",
                                   error=problem, status=problem.http_status)
        messages.success(request, _("Contact options saved."))
        return redirect("web:settings_contact")
    return render_settings(request, "web/settings/contact_options.html", {"values": values},
                           section="web:settings_contact")

