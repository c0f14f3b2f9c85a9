"""What every settings page shares: who may open it, the section menu, refusals as a 403 page,
and reading posted form fields into the plain values the actions take."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from heedful import policy
from heedful.core.errors import ErrorCode, HeedfulError
from heedful.policy import Permission, Viewer
from heedful.web.common import View, agent_required, form_errors, viewer_of

# (url name, title, what it is for, the permission it needs; None: every agent)
SECTIONS: list[tuple[str, Any, Any, Permission | None]] = [
    ("web:settings_my_replies", gettext_lazy("My saved replies"),
     gettext_lazy("Answers you reuse, with placeholders for the customer and the ticket."), None),
    ("web:settings_shared_replies", gettext_lazy("Shared saved replies"),
     gettext_lazy("Saved replies for everyone or for one team."), Permission.SETTINGS_MANAGE),
    ("web:settings_fields", gettext_lazy("Custom fields"),
     gettext_lazy("Typed fields on tickets, and which of them customers see or fill in."),
     Permission.SETTINGS_MANAGE),
    ("web:settings_teams", gettext_lazy("Teams"),
     gettext_lazy("Teams and the agents who belong to them."), Permission.SETTINGS_MANAGE),
    ("web:settings_mailboxes", gettext_lazy("Mailboxes"),
     gettext_lazy("Addresses customers write to, IMAP polling and acknowledgements."),
     Permission.SETTINGS_MANAGE),
    ("web:settings_contact", gettext_lazy("Contact options"),
     gettext_lazy("How customers can reach you, shown on every portal page."),
     Permission.SETTINGS_MANAGE),
    ("web:settings_roles", gettext_lazy("Roles and permissions"),
     gettext_lazy("What each role may do, and who has which role."), Permission.SETTINGS_MANAGE),
]


def sections_for(viewer: Viewer) -> list[dict[str, Any]]:
    return [{"url_name": name, "url": reverse(name), "title": title, "about": about}
            for name, title, about, permission in SECTIONS
            if permission is None or policy.can(viewer, permission)]


def render_settings(request: HttpRequest, template: str, context: dict[str, Any], *,
                    section: str, error: HeedfulError | None = None, status: int = 200) -> HttpResponse:
    """A settings page inside the settings layout; after a refusal, its message and the
    per-field messages that the form shows beside each field."""
    full = {"sections": sections_for(viewer_of(request)), "section": section,
            **form_errors(error), **context}
    return render(request, template, full, status=status)


def forbidden(request: HttpRequest, problem: HeedfulError) -> HttpResponse:
    return render(request, "web/settings/forbidden.html",
                  {"message": problem.message, "sections": sections_for(viewer_of(request))},
                  status=403)


def settings_view(permission: Permission | None = Permission.SETTINGS_MANAGE) -> Callable[[View], View]:
    """Agents only; then the policy decides. A refusal anywhere in the view is a 403 page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if permission is not None:
                    policy.require(viewer_of(request), permission)
                return view(request, *args, **kwargs)
            except HeedfulError as problem:
                if problem.code != ErrorCode.PERMISSION_DENIED:
                    raise
                return forbidden(request, problem)

        return agent_required(wrapper)

    return decorate


def checked(post: QueryDict, name: str) -> bool:
    return post.get(name) in {"on", "1", "true"}


def number(post: QueryDict, name: str) -> int | str:
    """A whole number, or the text as typed so that the action names the problem."""
    raw = post.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else raw


def lines(post: QueryDict, name: str) -> list[str]:
    return [line.strip() for line in post.get(name, "").splitlines() if line.strip()]
