"""The registry of event kinds: what facts a timeline can hold, who may see them, how they render.

`tickets` registers the core kinds below; other apps register theirs in `AppConfig.ready()`
(`service` an SLA breach, `feedback` a survey answer), so a new fact needs neither a `tickets`
migration nor an `elif` in a core template. See docs/decisions/0010-registered-event-kinds.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heedful.core.errors import Invalid

# The JSON types a kind's `data` may declare for its keys.
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "bool": (bool,), "number": (int, float), "list": (list,),
    "dict": (dict,), "any": (object,),
}


@dataclass(frozen=True)
class EventKind:
    """One kind of fact.

    `template` renders it on the agents' timeline; `portal_template` on the customer's, and a
    kind without one is never shown to customers (its events cannot be public). `data` names
    the keys its `data` may carry and their JSON types (a trailing "?" means the key may be
    missing or null); unknown keys are refused, so a typo cannot slip into history."""

    name: str
    label: str | Promise
    template: str = "web/events/unknown.html"
    portal_template: str | None = None
    message: bool = False
    data: Mapping[str, str] = field(default_factory=dict)
    # Kinds that existed before the registry keep their old rows readable; a kind marked
    # `legacy` renders old events but new ones of it are refused.
    legacy: bool = False

    @property
    def customer_visible(self) -> bool:
        return self.portal_template is not None

    def check_data(self, data: Mapping[str, Any]) -> None:
        unknown = sorted(set(data) - set(self.data))
        if unknown:
            raise Invalid(f"Event kind {self.name!r} does not take {', '.join(unknown)}.")
        for key, spec in self.data.items():
            kind_of_value = spec.rstrip("?")
            value = data.get(key)
            if value is None:
                if not spec.endswith("?"):
                    raise Invalid(f"Event kind {self.name!r} needs {key!r}.")
                continue
            types = JSON_TYPES[kind_of_value]
            # bool is an int to isinstance(); a flag is not a number.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types
                                                and kind_of_value != "any"):
                raise Invalid(f"{key!r} of {self.name!r} must be {kind_of_value}.")


_KINDS: dict[str, EventKind] = {}


def register_kind(kind: EventKind) -> EventKind:
    """Add a kind; registering the same name twice with a different definition is a mistake
    worth failing loudly on at start-up."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"event kind {kind.name!r} is already registered differently")
    if len(kind.name) > 40:
        raise ValueError(f"event kind name {kind.name!r} is longer than the column")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> EventKind:
    """The kind of that name; an unknown one (an app that was removed) still renders, as its
    name, and is never shown to customers."""
    return _KINDS.get(name) or EventKind(name=name, label=name, template="web/events/unknown.html")


def registered_kinds() -> list[EventKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)


def check_new_event(kind: str, *, public: bool, data: Mapping[str, Any]) -> EventKind:
    """What build_event asks before any event is written."""
    found = _KINDS.get(kind)
    if found is None or found.legacy:
        raise Invalid(f"Unknown event kind {kind!r}.")
    if public and not found.customer_visible:
        raise Invalid(f"Events of kind {kind!r} are never shown to customers.")
    found.check_data(data)
    return found


_STATUS = {"from": "str", "to": "str", "reopen": "bool?"}
_OWNER = {"from_assignee": "int?", "to_assignee": "int?", "from_team": "int?", "to_team": "int?",
          "reason": "str?"}
_MESSAGE = {
    "split_from_event": "int?", "split_from_ticket": "int?", "released_from": "int?",
    "received_at": "str?", "saved_reply": "int?",
    # The agent who wrote down a customer's words for them (a phone call, a letter).
    "entered_by": "int?",
}

CORE_KINDS = (
    EventKind("message_in", _("Message from customer"), "web/events/message.html",
              "portal/events/message.html", message=True, data=_MESSAGE),
    EventKind("message_out", _("Reply to customer"), "web/events/message.html",
              "portal/events/message.html", message=True, data=_MESSAGE),
    EventKind("note", _("Internal note"), "web/events/message.html", message=True, data=_MESSAGE),
    EventKind("status", _("Status change"), "web/events/status.html", data=_STATUS),
    EventKind("priority", _("Priority change"), "web/events/priority.html",
              data={"from": "str", "to": "str"}),
    EventKind("assignment", _("Assignment"), "web/events/owner.html", data=_OWNER),
    EventKind("transfer", _("Transfer"), "web/events/owner.html", data=_OWNER),
    EventKind("tags", _("Tags change"), "web/events/tags.html",
              data={"from": "list", "to": "list", "saved_reply": "int?"}),
    EventKind("field", _("Field change"), "web/events/field.html",
              data={"from": "any?", "to": "any?", "field": "str", "event": "int?"}),
    EventKind("participants", _("Participants change"), "web/events/participants.html",
              data={"from": "list", "to": "list", "reason": "str?"}),
    EventKind("merge", _("Merge"), "web/events/merge.html",
              data={"merged_from": "int?", "merged_from_number": "int?", "merged_into": "int?",
                    "merged_into_number": "int?"}),
    EventKind("split", _("Split"), "web/events/split.html",
              data={"event": "int", "new_ticket": "int", "new_ticket_number": "int"}),
    EventKind("requester", _("Requester change"), "web/events/requester.html",
              data={"from": "int?", "to": "int?", "reason": "str?", "from_organization": "int?",
                    "to_organization": "int?"}),
)


def register_core_kinds() -> None:
    for kind in CORE_KINDS:
        register_kind(kind)
