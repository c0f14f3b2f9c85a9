"""Turning posted form fields into the plain values actions and selectors take.

Only what the form sent is changed: a field that is absent stays as it is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.people.models import Team
from heedful.policy import Viewer
from heedful.tickets.models import CustomFieldDefinition, Ticket

FILTER_FIELDS = ("status", "priority", "team", "assignee", "tag", "channel", "language", "q")
DEFAULT_SORT = "-updated"


def filters_from(query: QueryDict, viewer: Viewer) -> dict[str, str]:
    """Queue filters from a GET form; several values of one field mean "any of these"."""
    result: dict[str, str] = {}
    for key in FILTER_FIELDS:
        values = [v.strip() for v in query.getlist(key) if v.strip()]
        if key == "assignee" and viewer.agent is not None:
            values = [str(viewer.agent.user_id) if v == "me" else v for v in values]
        if values:
            result[key] = ",".join(values)
    return result


def is_id(value: str) -> bool:
    """Whether a posted value can be a row id: ASCII digits that fit a 64-bit column (str.isdigit
    alone takes "²", which int() refuses, and any length, which the database refuses)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def _int(value: str, field: str) -> int:
    value = value.strip()
    if not is_id(value):
        raise Invalid(_("Choose from the list."), fields={field: [_("Choose from the list.")]})
    return int(value)


def resolve_assignee(value: str, viewer: Viewer) -> Any:
    """"me", "none" or a user id of an active agent."""
    if value == "none":
        return None
    if value == "me" and viewer.agent is not None:
        return viewer.agent.user
    user = get_user_model().objects.filter(pk=_int(value, "assignee"), agent__is_active=True).first()
    if user is None:
        raise Invalid(_("This agent cannot take tickets."),
                      fields={"assignee": [_("Choose an active agent.")]})
    return user


def resolve_team(value: str) -> Team | None:
    if value == "none":
        return None
    team = Team.objects.filter(pk=_int(value, "team")).first()
    if team is None:
        raise Invalid(_("No such team."), fields={"team": [_("Choose a team from the list.")]})
    return team


def owner_changes(post: QueryDict, viewer: Viewer) -> dict[str, Any]:
    """Assignee and team changes, with the reason and handoff note a transfer needs."""
    changes: dict[str, Any] = {}
    if assignee := post.get("assignee", "").strip():
        changes["assignee"] = resolve_assignee(assignee, viewer)
    if team := post.get("team", "").strip():
        changes["team"] = resolve_team(team)
    if changes:
        changes["transfer_reason"] = post.get("transfer_reason", "").strip()
        changes["handoff_note"] = post.get("handoff_note", "").strip()
    return changes


def ticket_changes(
    post: QueryDict, viewer: Viewer, definitions: list[CustomFieldDefinition]
) -> dict[str, Any]:
    """Everything the ticket side form can change, for tickets.actions.update_ticket."""
    changes = owner_changes(post, viewer)
    for name in ("status", "priority"):
        if value := post.get(name, "").strip():
            changes[name] = value
    if "tags" in post:
        changes["tags"] = post.get("tags", "")
    if post.get("custom_fields_present"):
        values: dict[str, Any] = {}
        for definition in definitions:
            name = f"cf_{definition.key}"
            if definition.type == CustomFieldDefinition.Type.MULTI_CHOICE:
                values[definition.key] = post.getlist(name)
            else:
                values[definition.key] = post.get(name, "").strip()
        changes["custom_fields"] = values
    return changes


def bulk_changes(post: QueryDict, viewer: Viewer) -> dict[str, Any]:
    changes = owner_changes(post, viewer)
    if status := post.get("status", "").strip():
        changes["status"] = status
    if priority := post.get("priority", "").strip():
        changes["priority"] = priority
    if tag := post.get("add_tag", "").strip():
        changes["add_tags"] = tag
    if not changes:
        raise Invalid(_("Choose a change to apply to the selected tickets."))
    return changes


def selected_ids(post: QueryDict) -> list[int]:
    ids = [int(v) for v in post.getlist("tickets") if is_id(v)]
    if not ids:
        raise Invalid(_("Select at least one ticket."),
                      fields={"tickets": [_("Select at least one ticket.")]})
    return ids


def custom_field_rows(definitions: list[CustomFieldDefinition], ticket: Ticket,
                      posted: QueryDict | None = None) -> list[dict[str, Any]]:
    """The side form's custom fields with their current (or just posted) values."""
    rows = []
    for definition in definitions:
        name = f"cf_{definition.key}"
        if posted is not None and posted.get("custom_fields_present"):
            value: Any = (posted.getlist(name)
                          if definition.type == CustomFieldDefinition.Type.MULTI_CHOICE
                          else posted.get(name, ""))
        else:
            value = ticket.custom_fields.get(definition.key, "")
        if definition.type == CustomFieldDefinition.Type.BOOLEAN and isinstance(value, bool):
            value = "true" if value else "false"
        rows.append({"definition": definition, "name": name, "value": value,
                     "values": value if isinstance(value, list) else [value]})
    return rows
