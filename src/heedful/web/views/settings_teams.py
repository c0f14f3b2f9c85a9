"""Teams in settings: list with members, add, rename, choose who belongs (people.actions decides).

Teams have no "inactive" state yet: tickets, mailboxes and saved replies point at them, so a
team is emptied or renamed rather than removed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from heedful.core.errors import HeedfulError
from heedful.people.actions import set_up_team, update_team
from heedful.people.models import Agent, Team
from heedful.web.views.settings_common import render_settings, settings_view

SECTION = "web:settings_teams"


def _members(post: QueryDict, agents: list[Agent]) -> list[Any]:
    """The chosen agents; an id that is no active agent goes on as typed for the action to
    refuse beside the field."""
    by_id = {str(agent.pk): agent for agent in agents}
    return [by_id.get(raw, raw) for raw in post.getlist("members")]


def _render_form(request: HttpRequest, team: Team | None, values: dict[str, Any],
                 agents: list[Agent], error: HeedfulError | None = None,
                 status: int = 200) -> HttpResponse:
    context = {"team": team, "values": values, "agents": agents}
    return render_settings(request, "web/settings/team_form.html", context, section=SECTION,
                           error=error, status=status)


@require_GET
@settings_view()
def teams_view(request: HttpRequest) -> HttpResponse:
    members = Agent.objects.select_related("user").order_by("display_name", "id")
    teams = list(Team.objects.annotate(mailbox_count=Count("mailboxes", distinct=True))
                 .prefetch_related(Prefetch("agents", queryset=members)))
    return render_settings(request, "web/settings/teams.html", {"teams": teams}, section=SECTION)


@require_http_methods(["GET", "POST"])
@settings_view()
def team_edit_view(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id) if team_id else None
    agents = list(Agent.objects.filter(is_active=True).select_related("user"))
    if request.method != "POST":
        member_ids = {str(pk) for pk in team.agents.values_list("pk", flat=True)} if team else set()
        values = {"name": team.name if team else "",
                  "description": team.description if team else "", "members": member_ids}
        return _render_form(request, team, values, agents)
    changes: dict[str, Any] = {"name": request.POST.get("name", ""),
                               "description": request.POST.get("description", ""),
                               "members": _members(request.POST, agents)}
    try:
        if team is None:
            team = set_up_team(actor=request.user, **changes)
            messages.success(request, _("Team %(name)s added.") % {"name": team.name})
        else:
            update_team(team=team, actor=request.user, changes=changes)
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
    except HeedfulError as problem:
        values = {**changes, "members": set(request.POST.getlist("members"))}
        return _render_form(request, team, values, agents, error=problem, status=problem.http_status)
    return redirect(SECTION)
