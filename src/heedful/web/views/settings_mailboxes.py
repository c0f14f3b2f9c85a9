"""Mailboxes in settings: list, add, edit, deactivate (mail.mailbox_settings decides).

The stored IMAP password never goes back to the browser: the form says whether one is stored,
and an empty password field keeps it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful.core.errors import HeedfulError
from heedful.mail.mailbox_settings import DEFAULTS, FIELDS, create_mailbox, update_mailbox
from heedful.mail.models import Mailbox
from heedful.people.models import Team
from heedful.web.views.settings_common import checked, number, render_settings, settings_view

SECTION = "web:settings_mailboxes"
SWITCHES = ("auto_acknowledge", "active", "imap_ssl")


def _posted(post: QueryDict) -> dict[str, Any]:
    values: dict[str, Any] = {name: post.get(name, "") for name in FIELDS}
    values.update({name: checked(post, name) for name in SWITCHES})
    values["imap_port"] = number(post, "imap_port")
    raw = post.get("team", "").strip()
    team = Team.objects.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
    # An unknown team goes on as typed, so that the action says so beside the field.
    values["team"] = team if team is not None or not raw else raw
    return values


def _form_values(mailbox: Mailbox | None) -> dict[str, Any]:
    source = DEFAULTS if mailbox is None else {name: getattr(mailbox, name) for name in FIELDS}
    values = dict(source)
    values["team"] = str(mailbox.team_id or "") if mailbox is not None else ""
    return values


def _render_form(request: HttpRequest, mailbox: Mailbox | None, values: dict[str, Any],
                 error: HeedfulError | None = None, status: int = 200) -> HttpResponse:
    context = {"mailbox": mailbox, "values": values, "teams": list(Team.objects.all()),
               "after_import_choices": Mailbox.AfterImport.choices,
               "password_stored": bool(mailbox and mailbox.imap_password_encrypted)}
    return render_settings(request, "web/settings/mailbox_form.html", context, section=SECTION,
                           error=error, status=status)


@require_GET
@settings_view()
def mailboxes_view(request: HttpRequest) -> HttpResponse:
    mailboxes = list(Mailbox.objects.select_related("team").order_by("-active", "name", "id"))
    return render_settings(request, "web/settings/mailboxes.html", {"mailboxes": mailboxes},
                           section=SECTION)


@require_http_methods(["GET", "POST"])
@settings_view()
def mailbox_edit_view(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id) if mailbox_id else None
    if request.method != "POST":
        return _render_form(request, mailbox, _form_values(mailbox))
    values = _posted(request.POST)
    # strip=False: a password may begin or end with a space.
    password = request.POST.get("imap_password", "")
    try:
        if mailbox is None:
            mailbox = create_mailbox(actor=request.user, imap_password=password, **values)
            messages.success(request, _("Mailbox %(name)s added.") % {"name": mailbox.name})
        else:
            changes = dict(values)
            if password:
                changes["imap_password"] = password
            elif checked(request.POST, "clear_imap_password"):
                changes["imap_password"] = None
            update_mailbox(mailbox=mailbox, actor=request.user, changes=changes)
            messages.success(request, _("Mailbox %(name)s saved.") % {"name": mailbox.name})
    except HeedfulError as problem:
        # What was typed comes back, except the password: it is never sent to the browser.
        shown = {**values, "team": request.POST.get("team", ""),
                 "imap_port": request.POST.get("imap_port", "")}
        return _render_form(request, mailbox, shown, error=problem, status=problem.http_status)
    return redirect(SECTION)


@require_POST
@settings_view()
def mailbox_active_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id)
    active = request.POST.get("active") == "1"
    try:
        update_mailbox(mailbox=mailbox, actor=request.user, changes={"active": active})
    except HeedfulError as problem:  # a mailbox set up elsewhere that fails today's checks
        return _render_form(request, mailbox, _form_values(mailbox), error=problem,
                            status=problem.http_status)
    if active:
        messages.success(request, _("Mailbox %(name)s receives mail again.") % {"name": mailbox.name})
    else:
        messages.success(request, _("Mailbox %(name)s deactivated: it is not fetched and replies "
                           "no longer go out from it.")
                         % {"name": mailbox.name})
    return redirect(SECTION)
