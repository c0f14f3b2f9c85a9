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

from heedful.core.errors import HeedfulError, Invalid, NotFound
from heedful.people.models import Agent, Team
from heedful.policy import Viewer, get_attachment_for, get_ticket_for, visible_events
from heedful.tickets import selectors
from heedful.tickets.actions import reply_to_ticket, update_ticket
from heedful.tickets.attachments import Upload
from heedful.tickets.downloads import attachment_response
from heedful.tickets.macros import render_saved_reply, saved_replies_for
from heedful.tickets.merging import merge_tickets, split_message
from heedful.tickets.models import CustomFieldDefinition, Event, Ticket
from heedful.tickets.notify import ticket_group
from heedful.tickets.status import ALLOWED
from heedful.web import forms, presence
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
    definitions = list(CustomFieldDefinition.objects.filter(active=True))
    tags = [tag.name for tag in ticket.tags.all()]
    side_posted = posted if form == "side" else None
    composer = posted if form == "composer" else None
    context: dict[str, Any] = {
        "ticket": ticket,
        "events": list(selectors.timeline(viewer, ticket)),
        "customer": selectors.contact_with_identities(ticket.requester_id),
        "history": selectors.customer_history(viewer, ticket.requester, exclude=ticket),
        "agents": agents, "teams": teams, "tags": tags,
        "saved_replies": list(saved_replies_for(agent)),
        "custom_fields": forms.custom_field_rows(definitions, ticket, side_posted),
        "statuses": ticket.Status.choices, "priorities": ticket.Priority.choices,
        "next_statuses": [(v, label) for v, label in ticket.Status.choices if v in ALLOWED[ticket.status]],
        "composer": {
            "body": composer.get("body", "") if composer else "",
            "mode": composer.get("mode", "reply") if composer else "reply",
            "status": composer.get("status", "") if composer else "",
        },
        "side": side_values(ticket, side_posted, agent, tags),
        "merge_target": posted.get("target", "") if posted is not None and form == "merge" else "",
        "failed_form": form if error else "",
        **people_names(agents, teams),
        **form_errors(error),
    }
    return render(request, "web/ticket.html", context, status=status)


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
        uploads = [Upload.from_file(f, name=f.name or "attachment", content_type=f.content_type or "")
                   for f in request.FILES.getlist("attachments")]
        event = reply_to_ticket(
            ticket=ticket, body=request.POST.get("body", ""), author_user=request.user,
            public=request.POST.get("mode", "reply") != "note", attachments=uploads,
            status=request.POST.get("status") or None,
        )
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "composer")
    if wants_partial(request):
        new_events = (visible_events(viewer, ticket).filter(pk__gte=event.pk)
                      .select_related("author_user__agent", "author_contact", "ticket")
                      .prefetch_related("attachments").order_by("created_at", "id"))
        ticket.refresh_from_db(fields=["status"])
        html = render_to_string("web/_events.html", {"events": new_events, "ticket": ticket},
                                request=request)
        return JsonResponse({"html": html, "status": ticket.status,
                             "status_label": str(ticket.get_status_display())}, status=201)
    messages.success(request, _("Note added.") if event.kind == Event.Kind.NOTE else _("Reply sent."))
    return redirect(f"{ticket_url(ticket)}#event-{event.pk}")


@require_POST
@agent_required
def update_view(request: HttpRequest, number: int) -> HttpResponse:
    """The side form (assignment, transfer, status, priority, tags, custom fields)."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    definitions = list(CustomFieldDefinition.objects.filter(active=True))
    try:
        changes = forms.ticket_changes(request.POST, viewer, definitions)
        events = update_ticket(ticket=ticket, actor=request.user, changes=changes)
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "side")
    if events:
        messages.success(request, _("Ticket updated."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(ticket_url(ticket))


@require_POST
@agent_required
def merge_view(request: HttpRequest, number: int) -> HttpResponse:
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    raw = request.POST.get("target", "").strip().lstrip("#")
    try:
        if not raw.isdigit():
            raise Invalid(_("Enter the number of the ticket to merge into."),
                          fields={"target": [_("A ticket number, like 1042.")]})
        target = get_ticket_for(viewer, int(raw), by_number=True)
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
    event = selectors.timeline(viewer, ticket).filter(pk=int(raw)).first() if raw.isdigit() else None
    try:
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
