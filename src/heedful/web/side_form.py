"""The ticket page's side form remembers what it showed.

The values the form was rendered with travel back in a hidden field, so that saving applies only
the fields the agent changed, and a field someone else changed meanwhile is refused instead of
being set back. (A reply sent over fetch with "Submit as: Pending" left the form showing the old
status, and the next "Save changes" silently reopened the ticket.)
"""

from __future__ import annotations

import json
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.policy import Viewer
from heedful.tickets.models import CustomFieldDefinition, Ticket
from heedful.tickets.tags import normalize_tags
from heedful.web import forms

RENDERED = "rendered"
FIELDS = ("assignee", "team", "status", "priority", "tags")
FREE_TEXT = ("transfer_reason", "handoff_note")
MULTI = CustomFieldDefinition.Type.MULTI_CHOICE


def rendered_state(ticket: Ticket, tags: list[str],
                   definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    """The ticket's values as the action compares them (ids, tag names, stored field values)."""
    return {
        "assignee": ticket.assignee_id, "team": ticket.team_id, "status": ticket.status,
        "priority": ticket.priority, "tags": sorted(tags),
        "custom_fields": {d.key: ticket.custom_fields.get(d.key) for d in definitions},
    }


def rendered_json(state: dict[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def _form_value(name: str, value: Any) -> str | list[str]:
    """A state value as the form shows it."""
    if name in {"assignee", "team"}:
        return "none" if value is None else str(value)
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _field_shown(definition: CustomFieldDefinition, value: Any) -> str | list[str]:
    if definition.type == MULTI:
        return sorted(str(v) for v in value or [])
    return _form_value(definition.key, value)


def _posted(post: QueryDict, name: str, multi: bool = False) -> str | list[str]:
    return sorted(post.getlist(name)) if multi else post.get(name, "").strip()


def _tags_differ(posted: str, rendered: list[str]) -> bool:
    try:
        return sorted(normalize_tags(posted)) != sorted(rendered)
    except Invalid:
        return True  # the action says what is wrong with them


def _state_of(post: QueryDict) -> dict[str, Any] | None:
    raw = post.get(RENDERED)
    if raw is None:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        state = None
    if not _has_rendered_shape(state):
        raise Invalid(_("This form is out of date. Reload the page and make your changes again."))
    return state


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float))


def _has_rendered_shape(state: Any) -> bool:
    """Whether the posted values are shaped as rendered_state writes them: the comparisons and
    the action sort and iterate them, so a hand-made value must not reach them."""
    if not isinstance(state, dict) or any(name not in state for name in FIELDS):
        return False
    tags, fields = state["tags"], state.get("custom_fields", {})
    return (
        isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)
        and all(isinstance(state[name], str) for name in ("status", "priority"))
        and all(state[name] is None or (isinstance(state[name], int) and not isinstance(state[name], bool))
                for name in ("assignee", "team"))
        and isinstance(fields, dict)
        and all(_scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))
                for value in fields.values())
    )


def changed_fields(post: QueryDict, state: dict[str, Any],
                   definitions: list[CustomFieldDefinition]) -> tuple[list[str], list[str]]:
    """The side-form fields and the custom-field keys whose posted value differs from what the
    form was rendered with; a field not posted at all is not changed."""
    names = []
    for name in FIELDS:
        if name not in post:
            continue
        if name == "tags":
            if _tags_differ(post.get("tags", ""), list(state.get("tags") or [])):
                names.append(name)
        elif _posted(post, name) != _form_value(name, state.get(name)):
            names.append(name)
    keys = []
    if post.get("custom_fields_present"):
        rendered = state.get("custom_fields", {})
        for definition in definitions:
            multi = definition.type == MULTI
            if _posted(post, f"cf_{definition.key}", multi) != _field_shown(
                    definition, rendered.get(definition.key)):
                keys.append(definition.key)
    return names, keys


def side_form_changes(
    post: QueryDict, viewer: Viewer, definitions: list[CustomFieldDefinition],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The changes for update_ticket, and what the agent saw of the fields they change.

    A post without the rendered values (the "Assign to me" button, a script) changes what it
    sends, as before."""
    state = _state_of(post)
    if state is None:
        return forms.ticket_changes(post, viewer, definitions), None
    names, keys = changed_fields(post, state, definitions)
    only = QueryDict(mutable=True)
    for name in (*names, *FREE_TEXT):
        if name in post:
            only[name] = post.get(name, "")
    changes = forms.ticket_changes(only, viewer, definitions)
    expected: dict[str, Any] = {name: state.get(name) for name in names}
    if keys:
        by_key = {d.key: d for d in definitions}
        changes["custom_fields"] = {key: _posted(post, f"cf_{key}", by_key[key].type == MULTI)
                                    for key in keys}
        expected["custom_fields"] = {key: state.get("custom_fields", {}).get(key) for key in keys}
    return changes, expected


def shown_after_refusal(
    post: QueryDict, ticket: Ticket, tags: list[str], definitions: list[CustomFieldDefinition],
    error: HeedfulError | None,
) -> QueryDict:
    """What the side form shows after a refusal: the agent's own changes as they typed them,
    everything else (and whatever someone else changed meanwhile) as the ticket is now."""
    try:
        state = _state_of(post)
    except Invalid:
        state = None
    if state is None:
        return post
    stale = set(error.fields) if error is not None and error.code == ErrorCode.CONFLICT else set()
    names, keys = changed_fields(post, state, definitions)
    now = rendered_state(ticket, tags, definitions)
    shown = QueryDict(mutable=True)
    for name in FIELDS:
        value = post.get(name, "") if name in names and name not in stale else _form_value(name, now[name])
        shown[name] = " ".join(value) if isinstance(value, list) else value
    for name in FREE_TEXT:
        shown[name] = post.get(name, "")
    shown["custom_fields_present"] = "1"
    for definition in definitions:
        name, multi = f"cf_{definition.key}", definition.type == MULTI
        mine = definition.key in keys and f"custom_fields.{definition.key}" not in stale
        value = (_posted(post, name, multi) if mine
                 else _field_shown(definition, now["custom_fields"].get(definition.key)))
        shown.setlist(name, value if isinstance(value, list) else [value])
    return shown
