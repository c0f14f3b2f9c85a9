"""Saved replies in settings: every agent keeps their own; supervisors keep the shared ones.
The same pages serve both; which list a reply is looked up in is the access rule (an agent
never reaches another's personal reply, and only SETTINGS_MANAGE reaches the shared ones)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful.core.errors import HeedfulError
from heedful.people.models import Team
from heedful.tickets.models import SavedReply, Ticket
from heedful.tickets.saved_replies import (
    create_saved_reply,
    personal_replies_of,
    shared_replies,
    update_saved_reply,
)
from heedful.web.views.settings_common import checked, render_settings, settings_view

SECTION = {True: "web:settings_my_replies", False: "web:settings_shared_replies"}
URL_NAMES = {
    True: {"new": "web:settings_my_reply_new", "edit": "web:settings_my_reply",
           "active": "web:settings_my_reply_active"},
    False: {"new": "web:settings_shared_reply_new", "edit": "web:settings_shared_reply",
            "active": "web:settings_shared_reply_active"},
}


def _replies(request: HttpRequest, personal: bool) -> QuerySet[SavedReply]:
    return personal_replies_of(request.user) if personal else shared_replies()


def _posted(post: QueryDict, personal: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"title": post.get("title", ""), "body": post.get("body", ""),
                              "set_status": post.get("set_status", ""),
                              "add_tags": post.get("add_tags", ""), "active": checked(post, "active")}
    if not personal:
        raw = post.get("team", "").strip()
        team = Team.objects.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
        # An unknown team goes on as typed, so that the action says so beside the field.
        values["team"] = team if team is not None or not raw else raw
    return values


def _form_values(reply: SavedReply | None) -> dict[str, Any]:
    if reply is None:
        return {"title": "", "body": "", "team": "", "set_status": "", "add_tags": "", "active": True}
    return {"title": reply.title, "body": reply.body, "team": str(reply.team_id or ""),
            "set_status": reply.set_status, "add_tags": " ".join(reply.add_tags),
            "active": reply.active}


def _render_form(request: HttpRequest, *, personal: bool, reply: SavedReply | None,
                 values: dict[str, Any], error: HeedfulError | None = None,
                 status: int = 200) -> HttpResponse:
    context = {"personal": personal, "reply": reply, "values": values,
               "teams": list(Team.objects.all()) if not personal else [],
               "statuses": Ticket.Status.choices, "list_url": reverse(SECTION[personal]),
               "names": URL_NAMES[personal]}
    return render_settings(request, "web/settings/saved_reply_form.html", context,
                           section=SECTION[personal], error=error, status=status)


def _list(request: HttpRequest, personal: bool) -> HttpResponse:
    return render_settings(request, "web/settings/saved_replies.html",
                           {"replies": list(_replies(request, personal)), "personal": personal,
                            "names": URL_NAMES[personal]},
                           section=SECTION[personal])


def _edit(request: HttpRequest, personal: bool, reply_id: int | None) -> HttpResponse:
    reply = get_object_or_404(_replies(request, personal), pk=reply_id) if reply_id else None
    if request.method != "POST":
        return _render_form(request, personal=personal, reply=reply, values=_form_values(reply))
    values = _posted(request.POST, personal)
    try:
        if reply is None:
            reply = create_saved_reply(actor=request.user, personal=personal, **values)
            messages.success(request, _("Saved reply %(title)s added.") % {"title": reply.title})
        else:
            update_saved_reply(reply=reply, actor=request.user, changes=values)
            messages.success(request, _("Saved reply %(title)s saved.") % {"title": reply.title})
    except HeedfulError as problem:
        shown = {**values, "team": request.POST.get("team", "")}
        return _render_form(request, personal=personal, reply=reply, values=shown, error=problem,
                            status=problem.http_status)
    return redirect(SECTION[personal])


def _set_active(request: HttpRequest, personal: bool, reply_id: int) -> HttpResponse:
    reply = get_object_or_404(_replies(request, personal), pk=reply_id)
    active = request.POST.get("active") == "1"
    try:
        update_saved_reply(reply=reply, actor=request.user, changes={"active": active})
    except HeedfulError as problem:  # a reply made elsewhere that fails today's checks
        return _render_form(request, personal=personal, reply=reply, values=_form_values(reply),
                            error=problem, status=problem.http_status)
    if active:
        messages.success(request, _("Saved reply %(title)s is available again.") % {"title": reply.title})
    else:
        messages.success(request, _("Saved reply %(title)s deactivated.") % {"title": reply.title})
    return redirect(SECTION[personal])


@require_GET
@settings_view(permission=None)
def my_replies_view(request: HttpRequest) -> HttpResponse:
    return _list(request, True)


@require_http_methods(["GET", "POST"])
@settings_view(permission=None)
def my_reply_edit_view(request: HttpRequest, reply_id: int | None = None) -> HttpResponse:
    return _edit(request, True, reply_id)


@require_POST
@settings_view(permission=None)
def my_reply_active_view(request: HttpRequest, reply_id: int) -> HttpResponse:
    return _set_active(request, True, reply_id)


@require_GET
@settings_view()
def shared_replies_view(request: HttpRequest) -> HttpResponse:
    return _list(request, False)


@require_http_methods(["GET", "POST"])
@settings_view()
def shared_reply_edit_view(request: HttpRequest, reply_id: int | None = None) -> HttpResponse:
    return _edit(request, False, reply_id)


@require_POST
@settings_view()
def shared_reply_active_view(request: HttpRequest, reply_id: int) -> HttpResponse:
    return _set_active(request, False, reply_id)
