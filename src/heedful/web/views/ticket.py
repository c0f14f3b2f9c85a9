"""One ticket: its timeline, the composer, the side form, merge and split, and attachments."""

from __future__ import annotations

import contextlib
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from heedful.core.errors import ErrorCode, HeedfulError, Invalid, NotFound
from heedful.people.models import Agent, Team
from heedful.policy import Permission, Viewer, get_attachment_for, get_ticket_for, require, visible_events
from heedful.tickets import delivery, selectors
from heedful.tickets.actions import reply_to_ticket, update_ticket
from heedful.tickets.attachments import Upload
from heedful.tickets.downloads import attachment_response
from heedful.tickets.macros import render_saved_reply, saved_replies_for, saved_reply_effects
from heedful.tickets.merging import merge_tickets, preview_merge, split_message
from heedful.tickets.models import CustomFieldDefinition, Event, SavedReply, Ticket
from heedful.tickets.notify import ticket_group
from heedful.tickets.status import ALLOWED
from heedful.web import forms, presence, side_form
from heedful.web.common import agent_required, error_json, form_errors, viewer_of, wants_partial


def ticket_for(viewer: Viewer, number: int) -> Ticket:
    try:
        return get_ticket_for(viewer, number, by_number=True)
    except NotFound:
        raise Http404() from None


def ticket_url(ticket: Ticket) -> str:
    return reverse("web:ticket", args=[ticket.number])


def people_names(agents: list[Agent], teams: list[Team]) -> dict[str, dict[int, str]]:
    return {"agent_names": {a.user_id: str(a) for a in agents},
            "team_names": {t.pk: str(t.name) for t in teams}}


def render_ticket(
    request: HttpRequest, ticket: Ticket, *, error: HeedfulError | None = None, form: str = "",
    posted: QueryDict | None = None, status: int = 200,
) -> HttpResponse:
    """The ticket page; after a refusal, the form that failed keeps what was typed."""
    viewer = viewer_of(request)
    agent = viewer.agent
    assert agent is not None
    agents = list(Agent.objects.filter(is_active=True).select_related("user"))
    teams = list(Team.objects.all())
    composer = posted if form == "composer" else None
    events = list(selectors.timeline(viewer, ticket))
    reachable, default_channel = delivery.choices_for(ticket, events)
    context: dict[str, Any] = {
        "ticket": ticket,
        "events": events,
        "customer": selectors.contact_with_identities(ticket.requester_id),
        "history": selectors.customer_history(viewer, ticket.requester, exclude=ticket),
        "saved_replies": list(saved_replies_for(agent)),
        "next_statuses": [(v, label) for v, label in ticket.Status.choices if v in ALLOWED[ticket.status]],
        "composer": {
            "body": composer.get("body", "") if composer else "",
            "mode": composer.get("mode", "reply") if composer else "reply",
            "status": composer.get("status", "") if composer else "",
            "saved_reply": composer.get("saved_reply", "") if composer else "",
            "channel": (composer.get("channel", "") if composer else "") or default_channel or "",
            "channels": [backend.channel for backend in reachable],
        },
        "merge_target": posted.get("target", "") if posted is not None and form == "merge" else "",
        "failed_form": form if error else "",
        **side_context(ticket, agent, agents, teams, posted if form == "side" else None, error),
        **people_names(agents, teams),
        **form_errors(error),
    }
    return render(request, "web/ticket.html", context, status=status)


def side_context(
    ticket: Ticket, agent: Agent, agents: list[Agent], teams: list[Team],
    posted: QueryDict | None = None, error: HeedfulError | None = None,
) -> dict[str, Any]:
    """What the side form (web/_side_form.html) needs, with the values it is rendered with."""
    definitions = list(CustomFieldDefinition.objects.filter(active=True))
    tags = [tag.name for tag in ticket.tags.all()]
    if posted is not None:
        posted = side_form.shown_after_refusal(posted, ticket, tags, definitions, error)
    return {
        "agents": agents, "teams": teams, "tags": tags,
        "custom_fields": forms.custom_field_rows(definitions, ticket, posted),
        "statuses": ticket.Status.choices, "priorities": ticket.Priority.choices,
        "side": side_values(ticket, posted, agent, tags),
        "side_rendered": side_form.rendered_json(side_form.rendered_state(ticket, tags, definitions)),
    }


def side_values(ticket: Ticket, posted: QueryDict | None, agent: Agent, tags: list[str]) -> dict[str, str]:
    """The side form's values: the ticket's, or what was just posted when it was refused."""
    values = {
        "assignee": str(ticket.assignee_id or "none"), "team": str(ticket.team_id or "none"),
        "status": ticket.status, "priority": ticket.priority,
        "tags": " ".join(tags),
        "transfer_reason": "", "handoff_note": "",
    }
    for key in values:
        if posted is not None and key in posted:
            values[key] = posted.get(key, "")
    if values["assignee"] == "me":
        values["assignee"] = str(agent.user_id)
    return values


@require_GET
@agent_required
def ticket_view(request: HttpRequest, number: int) -> HttpResponse:
    return render_ticket(request, ticket_for(viewer_of(request), number))


def _refused(request: HttpRequest, ticket: Ticket, problem: HeedfulError, form: str) -> HttpResponse:
    if wants_partial(request):
        return error_json(problem)
    return render_ticket(request, ticket, error=problem, form=form, posted=request.POST,
                         status=problem.http_status)


@require_POST
@agent_required
def reply_view(request: HttpRequest, number: int) -> HttpResponse:
    """A public reply or an internal note, with attachments and an optional new status."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    try:
        require(viewer, Permission.TICKET_CHANGE, ticket)
        saved = _saved_reply(viewer, request.POST.get("saved_reply", ""))
        uploads = [Upload.from_file(f, name=f.name or "attachment", content_type=f.content_type or "")
                   for f in request.FILES.getlist("attachments")]
        event = reply_to_ticket(
            ticket=ticket, body=request.POST.get("body", ""), author_user=request.user,
            public=request.POST.get("mode", "reply") != "note", attachments=uploads,
            delivery_channel=None if request.POST.get("mode") == "note"
            else (request.POST.get("channel") or None),
            **saved_reply_effects(saved, status=request.POST.get("status") or None),
        )
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "composer")
    if wants_partial(request):
        new_events = (visible_events(viewer, ticket).filter(pk__gte=event.pk)
                      .select_related("author_user__agent", "author_contact", "ticket")
                      .prefetch_related("attachments").order_by("created_at", "id"))
        ticket = ticket_for(viewer, number)
        html = render_to_string("web/_events.html", {"events": new_events, "ticket": ticket},
                                request=request)
        return JsonResponse({"html": html, "status": ticket.status,
                             "status_label": str(ticket.get_status_display()),
                             "side_html": _side_html(request, ticket)}, status=201)
    messages.success(request, _("Note added.") if event.kind == Event.Kind.NOTE else _("Reply sent."))
    return redirect(f"{ticket_url(ticket)}#event-{event.pk}")


def _saved_reply(viewer: Viewer, raw: str) -> SavedReply | None:
    """The saved reply the composer's text was made from, if any (one this agent may use)."""
    if not raw:
        return None
    assert viewer.agent is not None
    reply = (saved_replies_for(viewer.agent).filter(pk=int(raw)).first()
             if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None)
    if reply is None:
        raise Invalid(_("That saved reply is not available any more. Insert it again or write "
                        "the reply yourself."), fields={"saved_reply": [_("Unknown saved reply.")]})
    return reply


def _side_html(request: HttpRequest, ticket: Ticket) -> str:
    """The side form as the ticket is now, for the page to swap in after a reply over fetch."""
    agent = viewer_of(request).agent
    assert agent is not None
    agents = list(Agent.objects.filter(is_active=True).select_related("user"))
    context = {"ticket": ticket, "failed_form": "", **form_errors(None),
               **side_context(ticket, agent, agents, list(Team.objects.all()))}
    return render_to_string("web/_side_form.html", context, request=request)


@require_POST
@agent_required
def update_view(request: HttpRequest, number: int) -> HttpResponse:
    """The side form (assignment, transfer, status, priority, tags, custom fields). Only what
    the agent changed since the form was rendered is applied (web/side_form.py)."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    definitions = list(CustomFieldDefinition.objects.filter(active=True))
    try:
        require(viewer, Permission.TICKET_CHANGE, ticket)
        changes, expected = side_form.side_form_changes(request.POST, viewer, definitions)
        events = update_ticket(ticket=ticket, actor=request.user, changes=changes, expected=expected)
    except HeedfulError as problem:
        if problem.code == ErrorCode.CONFLICT:
            ticket = ticket_for(viewer, number)  # show what someone else changed
        return _refused(request, ticket, problem, "side")
    if events:
        messages.success(request, _("Ticket updated."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(ticket_url(ticket))


@require_POST
@agent_required
def merge_view(request: HttpRequest, number: int) -> HttpResponse:
    """First a preview of what the merge moves; the merge itself only once confirmed."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    raw = request.POST.get("target", "").strip().lstrip("#")
    try:
        require(viewer, Permission.TICKET_MERGE, ticket)
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise Invalid(_("Enter the number of the ticket to merge into."),
                          fields={"target": [_("A ticket number, like 1042.")]})
        target = get_ticket_for(viewer, int(raw), by_number=True)
        require(viewer, Permission.TICKET_MERGE, target)
        if request.POST.get("confirm") != "1":
            preview = preview_merge(source=ticket, target=target)
            return render(request, "web/merge_preview.html", {"ticket": ticket, "preview": preview})
        merge_tickets(source=ticket, target=target, actor=request.user)
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "merge")
    messages.success(request, _("Ticket #%(source)s was merged into this one.") % {"source": ticket.number})
    return redirect(ticket_url(target))


@require_POST
@agent_required
def split_view(request: HttpRequest, number: int) -> HttpResponse:
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    raw = request.POST.get("event", "")
    event = (selectors.timeline(viewer, ticket).filter(pk=int(raw)).first()
             if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None)
    try:
        require(viewer, Permission.TICKET_MERGE, ticket)
        if event is None:
            raise NotFound(_("That message is not on this ticket."))
        new = split_message(event=event, actor=request.user, subject=request.POST.get("subject", ""))
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "split")
    messages.success(request, _("New ticket #%(number)s started from the message.") % {"number": new.number})
    return redirect(ticket_url(new))


@require_GET
@agent_required
def saved_reply_view(request: HttpRequest, number: int, reply_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    agent = viewer.agent
    assert agent is not None
    ticket = ticket_for(viewer, number)
    reply = saved_replies_for(agent).filter(pk=reply_id).first()
    if reply is None:
        return error_json(NotFound(_("No such saved reply.")))
    return JsonResponse({"id": reply.pk, "title": reply.title, "set_status": reply.set_status,
                         "add_tags": list(reply.add_tags or []),
                         "text": render_saved_reply(reply, ticket=ticket, agent=agent)})


@require_POST
@agent_required
def presence_view(request: HttpRequest, number: int) -> HttpResponse:
    """The HTTP fallback for the presence socket: mark me, answer who else is here."""
    viewer = viewer_of(request)
    agent = viewer.agent
    assert agent is not None
    ticket = ticket_for(viewer, number)
    state = request.POST.get("state", "")
    if state not in presence.STATES:
        return error_json(Invalid(_("State must be viewing or replying."),
                                  fields={"state": [_("Use viewing or replying.")]}))
    everyone = presence.mark(ticket.pk, agent, state)
    _tell_sockets(ticket.pk, everyone)
    return JsonResponse({"others": presence.others(everyone, agent.user_id)})


def _tell_sockets(ticket_id: int, everyone: list[presence.Presence]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    # Presence is best effort: a realtime hiccup must not fail the poll, which answers anyway.
    with contextlib.suppress(Exception):
        async_to_sync(layer.group_send)(ticket_group(ticket_id), {
            "type": "presence.update", "presence": [dict(p) for p in everyone]})


@require_GET
@agent_required
def attachment_view(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    try:
        attachment = get_attachment_for(viewer_of(request), attachment_id)
    except NotFound:
        raise Http404() from None
    return attachment_response(attachment, inline=request.GET.get("inline") == "1")
