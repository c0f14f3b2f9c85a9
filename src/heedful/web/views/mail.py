"""Agents' decisions on mail from the ticket page: spam or not spam, accept or refuse a message
held for review. Thin: the policy finds the objects, heedful.mail.actions decides."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedful.core.errors import HeedfulError, Invalid, NotFound
from heedful.mail.actions import accept_held_message, mark_spam, reject_held_message
from heedful.policy import Permission, require
from heedful.tickets import selectors
from heedful.web.common import agent_required, viewer_of
from heedful.web.views.ticket import _refused, ticket_for, ticket_url

SPAM_VALUES = {"spam": True, "not_spam": False}
HELD_ACTIONS = {"accept": accept_held_message, "reject": reject_held_message}


@require_POST
@agent_required
def spam_view(request: HttpRequest, number: int) -> HttpResponse:
    """value=spam moves the ticket to the spam queue; value=not_spam brings it back. Either
    teaches the classifier."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    value = request.POST.get("value", "")
    try:
        require(viewer, Permission.TICKET_CHANGE, ticket)
        if value not in SPAM_VALUES:
            raise Invalid(_("Choose spam or not spam."), fields={"value": [_("Use spam or not_spam.")]})
        mark_spam(ticket=ticket, actor=request.user, spam=SPAM_VALUES[value])
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "spam")
    if ticket.spam:
        messages.success(request, _("Moved to the spam queue. Similar mail will be caught too."))
    else:
        messages.success(request, _("Marked as not spam."))
    return redirect(ticket_url(ticket))


@require_POST
@agent_required
def held_view(request: HttpRequest, number: int, event_id: int) -> HttpResponse:
    """action=accept adds a held message to the conversation (its sender joins as a CC);
    action=reject keeps it on record, internal."""
    viewer = viewer_of(request)
    ticket = ticket_for(viewer, number)
    action = request.POST.get("action", "")
    try:
        require(viewer, Permission.TICKET_CHANGE, ticket)
        event = selectors.timeline(viewer, ticket).filter(pk=event_id).first()
        if event is None:
            raise NotFound(_("That message is not on this ticket."))
        if action not in HELD_ACTIONS:
            raise Invalid(_("Choose accept or refuse."), fields={"action": [_("Use accept or reject.")]})
        HELD_ACTIONS[action](event=event, actor=request.user)
    except HeedfulError as problem:
        return _refused(request, ticket, problem, "held")
    if action == "accept":
        messages.success(request, _("Message accepted; its sender is now copied on this ticket."))
    else:
        messages.success(request, _("Message refused; it stays on record as internal."))
    return redirect(f"{ticket_url(ticket)}#event-{event_id}")
