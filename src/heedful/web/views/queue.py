"""The agent's queues: filters, sort, cursor pages, saved filters and bulk changes.

Without ?queue= an agent lands on "mine" when they hold open tickets (finish what you own
first: one owner until resolved), else on "unassigned" (pick up what nobody holds yet).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.people.models import Agent, Team
from heedful.policy import Permission, Viewer, require, visible_tickets
from heedful.tickets import selectors
from heedful.tickets.actions import bulk_update_tickets
from heedful.tickets.models import Channel, SavedFilter, Ticket
from heedful.tickets.saved_filters import (
    can_delete_saved_filter,
    create_saved_filter,
    delete_saved_filter,
    params_for_queue,
    visible_saved_filters,
)
from heedful.web import forms
from heedful.web.common import agent_required, form_errors, viewer_of

QUEUE_LABELS = {
    "mine": gettext_lazy("Assigned to me"),
    "unassigned": gettext_lazy("Unassigned"),
    "my_teams": gettext_lazy("My teams"),
    "open": gettext_lazy("All open"),
    "all": gettext_lazy("All tickets"),
    "spam": gettext_lazy("Spam"),
}
SORT_LABELS = {
    "-updated": gettext_lazy("Recently updated"),
    "updated": gettext_lazy("Least recently updated"),
    "-created": gettext_lazy("Newest first"),
    "created": gettext_lazy("Oldest first"),
    "-priority": gettext_lazy("Highest priority"),
    "priority": gettext_lazy("Lowest priority"),
}
PAGE_SIZE = 50


def count_label(count: int | None) -> str:
    return "" if count is None else str(number_format(count))


def saved_filters_for(viewer: Viewer) -> list[SavedFilter]:
    return list(visible_saved_filters(viewer))


def render_queue(request: HttpRequest, query: QueryDict, *, error: HeedfulError | None = None,
                 status: int = 200, bulk: QueryDict | None = None) -> HttpResponse:
    """The queue page; `bulk` is a refused bulk change, shown again with its tickets still
    checked and its changes still chosen."""
    viewer = viewer_of(request)
    counts = selectors.queue_counts(viewer)
    queue = query.get("queue") or ("mine" if counts["mine"] else "unassigned")
    saved = saved_filters_for(viewer)
    filters = forms.filters_from(query, viewer)
    saved_current = next((s for s in saved if f"saved:{s.pk}" == queue), None)
    sort = query.get("sort") or (saved_current.params.get("sort") if saved_current else None) \
        or forms.DEFAULT_SORT
    page = selectors.Page(items=[], next_cursor=None)
    try:
        page = selectors.ticket_queue(viewer=viewer, queue=queue, filters=filters, sort=sort,
                                      row_fields=selectors.QUEUE_ROW_FIELDS,
                                      cursor=query.get("cursor") or None, limit=PAGE_SIZE)
    except HeedfulError as problem:
        error, status = error or problem, status if error else problem.http_status
    params = {"queue": queue, "sort": sort, **{k: query.get(k, "") for k in forms.FILTER_FIELDS}}
    current_query = urlencode({k: v for k, v in params.items() if v})
    agents = list(Agent.objects.filter(is_active=True).select_related("user"))
    context: dict[str, Any] = {
        "page": page, "queue": queue, "counts": counts, "sort": sort, "params": params,
        "queue_label": QUEUE_LABELS.get(queue, saved_current.name if saved_current else queue),
        "queues": [(key, label, count_label(counts[key])) for key, label in QUEUE_LABELS.items()],
        "sorts": list(SORT_LABELS.items()), "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices, "channels": Channel.choices,
        "teams": list(Team.objects.all()), "agents": agents, "saved_filters": saved,
        "saved_current": saved_current, "current_query": current_query,
        "deletable_filters": {s.pk for s in saved if can_delete_saved_filter(viewer, s)},
        "has_filters": any(query.get(k) for k in forms.FILTER_FIELDS),
        "cursor": query.get("cursor", ""),
        "bulk": bulk_values(bulk),
        **form_errors(error),
    }
    return render(request, "web/queue.html", context, status=status)


@require_GET
@agent_required
def queue_view(request: HttpRequest) -> HttpResponse:
    return render_queue(request, request.GET)


def _back_to_queue(request: HttpRequest) -> QueryDict:
    return QueryDict(request.POST.get("return_query", ""))


BULK_FIELDS = ("status", "priority", "assignee", "team", "add_tag", "transfer_reason")


def bulk_values(post: QueryDict | None) -> dict[str, Any]:
    """The bulk bar's choices and the checked tickets, empty on a fresh page."""
    values: dict[str, Any] = {name: (post.get(name, "") if post else "") for name in BULK_FIELDS}
    values["selected"] = {int(v) for v in post.getlist("tickets") if forms.is_id(v)} if post else set()
    return values


@require_POST
@agent_required
def bulk_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    query = _back_to_queue(request)
    try:
        require(viewer, Permission.TICKET_CHANGE)
        ids = forms.selected_ids(request.POST)
        changes = forms.bulk_changes(request.POST, viewer)
        tickets = list(visible_tickets(viewer).filter(pk__in=ids).order_by("pk"))
        if len(tickets) != len(set(ids)):
            raise Invalid(_("Some selected tickets are not available to you."))
        count = bulk_update_tickets(tickets=tickets, actor=request.user, changes=changes)
    except HeedfulError as problem:
        # The same page again (the cursor too), so that the checked tickets are on it.
        page = query.copy()
        if cursor := request.POST.get("cursor", ""):
            page["cursor"] = cursor
        return render_queue(request, page, error=problem, status=problem.http_status,
                            bulk=request.POST)
    messages.success(request, _("%(count)s tickets updated.") % {"count": count})
    return redirect(reverse("web:queue") + "?" + query.urlencode())


@require_POST
@agent_required
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    query = _back_to_queue(request)
    params: dict[str, Any] = dict(forms.filters_from(query, viewer))
    if query.get("sort"):
        params["sort"] = query["sort"]
    try:
        saved = create_saved_filter(
            viewer=viewer, name=request.POST.get("name", ""),
            params=params_for_queue(viewer, query.get("queue", ""), params),
            shared=request.POST.get("shared") == "on")
    except HeedfulError as problem:
        return render_queue(request, query, error=problem, status=problem.http_status)
    messages.success(request, _("Saved filter %(name)s created.") % {"name": saved.name})
    return redirect(reverse("web:queue") + "?" + urlencode({"queue": f"saved:{saved.pk}"}))


@require_POST
@agent_required
def saved_filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    try:
        saved = delete_saved_filter(viewer=viewer_of(request), filter_id=filter_id)
    except HeedfulError as problem:
        if problem.code == ErrorCode.NOT_FOUND:
            raise Http404(problem.message) from None
        return render_queue(request, QueryDict(), error=problem, status=problem.http_status)
    messages.success(request, _("Saved filter %(name)s deleted.") % {"name": saved.name})
    return redirect("web:queue")
