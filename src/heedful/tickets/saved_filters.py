"""Saved filters (named queues, personal or shared with every agent): the one way to create and
delete them, and who may see and delete which."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.errors import ErrorCode, HeedfulError, Invalid, NotFound
from heedful.policy import Permission, Viewer, can, require_agent
from heedful.tickets import selectors
from heedful.tickets.models import SavedFilter, Ticket

NAME_MAX_LENGTH = 100
# What the built-in queues mean as filters, so that a filter saved from one stands alone.
_OPEN_QUEUES = {"mine", "unassigned", "my_teams", "open"}


def visible_saved_filters(viewer: Viewer) -> QuerySet[SavedFilter]:
    agent = require_agent(viewer)
    return SavedFilter.objects.filter(Q(owner_id=agent.user_id) | Q(shared=True))


def can_delete_saved_filter(viewer: Viewer, saved_filter: SavedFilter) -> bool:
    """Its owner may; a shared one is everyone's queue, so whoever manages the desk's settings
    (a supervisor) may tidy it away too."""
    if viewer.agent is None:
        return False
    if saved_filter.owner_id == viewer.agent.user_id:
        return True
    return saved_filter.shared and can(viewer, Permission.SETTINGS_MANAGE)


def check_saved_filter_name(name: str) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH:
        raise Invalid(_("Give the saved filter a name of at most 100 characters."),
                      fields={"name": [_("This is required.")]})
    return cleaned


def check_saved_filter_params(params: dict[str, Any]) -> dict[str, str]:
    """Only the queue's filter keys and a sort, each a text value the queue accepts."""
    unknown = sorted(set(params) - selectors.FILTER_KEYS - {"sort"})
    if unknown:
        raise Invalid(_("Unknown filters."), fields={key: [_("Unknown filter.")] for key in unknown})
    not_text = sorted(key for key, value in params.items() if not isinstance(value, str))
    if not_text:
        raise Invalid(_("Unknown filters."),
                      fields={key: [_("Use text, several values separated by commas.")]
                              for key in not_text})
    cleaned = {key: value.strip() for key, value in params.items() if value.strip()}
    sort = cleaned.pop("sort", None)
    selectors.apply_filters(Ticket.objects.none(), cleaned)  # refuses unknown values now
    if sort is not None:
        if sort not in selectors.SORTS:
            raise Invalid(_("Unknown sort order."),
                          fields={"sort": [_("Choose a sort order from the list.")]})
        cleaned["sort"] = sort
    return cleaned


def params_for_queue(viewer: Viewer, queue: str, params: dict[str, Any]) -> dict[str, Any]:
    """The filters on a queue page as a saved filter keeps them: what the built-in queue (or the
    saved filter being refined) meant is written out, the page's own filters win."""
    agent = require_agent(viewer)
    base: dict[str, Any] = {}
    saved_id = queue[6:] if queue.startswith("saved:") else ""
    if saved_id.isascii() and saved_id.isdigit() and len(saved_id) <= 18:
        refined = visible_saved_filters(viewer).filter(pk=int(saved_id)).first()
        base = dict(refined.params) if refined is not None else {}
    if queue in {"mine", "unassigned"}:
        base["assignee"] = str(agent.user_id) if queue == "mine" else "none"
    if queue in _OPEN_QUEUES:
        base["status"] = ",".join(selectors.OPEN_STATUSES)
    return {**base, **params}


def create_saved_filter(*, viewer: Viewer, name: str, params: dict[str, Any],
                        shared: bool = False) -> SavedFilter:
    agent = require_agent(viewer)
    cleaned_name = check_saved_filter_name(name)
    cleaned_params = check_saved_filter_params(params)
    with transaction.atomic():
        saved_filter = SavedFilter.objects.create(name=cleaned_name, owner_id=agent.user_id,
                                                  params=cleaned_params, shared=shared)
        if shared:
            record_audit(actor=agent.user, action="saved_filter.create", target=saved_filter,
                         details={"name": saved_filter.name, "params": cleaned_params})
    return saved_filter


def delete_saved_filter(*, viewer: Viewer, filter_id: int) -> SavedFilter:
    """Delete one saved filter; answers it (unsaved now) so that the caller can name it. A
    filter the viewer cannot see is not found; a shared one they may not delete is refused."""
    with transaction.atomic():
        saved_filter = visible_saved_filters(viewer).select_for_update().filter(pk=filter_id).first()
        if saved_filter is None:
            raise NotFound(_("No such saved filter."))
        if not can_delete_saved_filter(viewer, saved_filter):
            raise HeedfulError(ErrorCode.PERMISSION_DENIED, _(
                "Only its owner or a supervisor may delete a shared saved filter."))
        if saved_filter.shared:
            record_audit(actor=viewer.user, action="saved_filter.delete", target=saved_filter,
                         details={"name": saved_filter.name, "owner": saved_filter.owner_id})
        saved_filter.delete()
    return saved_filter
