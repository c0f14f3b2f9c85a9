"""The one way to define ticket custom fields (tickets/custom_fields.py checks their values).

A field's key and type are fixed once it exists: tickets keep their values under the key, in the
type's form, and a changed key or type would strand them. To change either, add a new field and
deactivate the old one; deactivated fields keep their values on tickets and can come back.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.changes import apply_changes, plain, refuse_unknown
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.tickets.models import CustomFieldDefinition

Type = CustomFieldDefinition.Type
LIST_TYPES = frozenset({Type.CHOICE, Type.MULTI_CHOICE})
EDITABLE = frozenset({"label", "choices", "required", "customer_visible", "customer_editable",
                      "active", "position"})
_KEY = re.compile(r"[a-z][a-z0-9_]*")


def _key_taken(key: str) -> HeedfulError:
    return HeedfulError(ErrorCode.CONFLICT, _("Another custom field already uses this key."),
                        fields={"key": [_("The key %(key)s is taken: choose another.") % {"key": key}]})


def check_new_key(key: str, errors: dict[str, list[str]]) -> None:
    if not key:
        errors["key"] = [_("Give the field a key, like order_number.")]
    elif len(key) > 64 or not _KEY.fullmatch(key):
        errors["key"] = [_("Use at most 64 lower-case letters, digits and _, starting with a letter.")]


def _clean_choices(raw: Any, kind: str, errors: dict[str, list[str]]) -> list[str]:
    choices = [" ".join(str(c).split()) for c in raw or []]
    choices = [c for c in choices if c]
    if kind in LIST_TYPES and not choices:
        errors["choices"] = [_("A list field needs at least one choice: write one per line.")]
    elif kind not in LIST_TYPES and choices:
        errors["choices"] = [_("Only list fields have choices: leave this empty or change the type.")]
    elif len(set(choices)) != len(choices):
        errors["choices"] = [_("Each choice must appear once.")]
    elif any(len(c) > 200 for c in choices):
        errors["choices"] = [_("Each choice can be at most 200 characters.")]
    return choices


def clean_definition(values: dict[str, Any], *, kind: str) -> dict[str, Any]:
    """The editable values checked at once, so that a form shows each problem beside its field."""
    errors: dict[str, list[str]] = {}
    label = " ".join(str(values.get("label") or "").split())
    if not label:
        errors["label"] = [_("Give the field a label agents and customers will read.")]
    elif len(label) > 200:
        errors["label"] = [_("At most 200 characters.")]
    choices = _clean_choices(values.get("choices"), kind, errors)
    position = values.get("position")
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 100_000:
        errors["position"] = [_("Use a whole number from 0 to 100000.")]
    if errors:
        raise Invalid(_("The custom field was not saved: see the marked fields."), fields=errors)
    return {"label": label, "choices": choices, "position": position,
            **{flag: bool(values.get(flag)) for flag in
               ("required", "customer_visible", "customer_editable", "active")}}


def create_custom_field(
    *, actor: Any, key: str, label: str, type: str, choices: list[str] | None = None,
    required: bool = False, customer_visible: bool = False, customer_editable: bool = False,
    active: bool = True, position: int | None = None,
) -> CustomFieldDefinition:
    """A new field; without a position it goes after the others."""
    key = key.strip()
    errors: dict[str, list[str]] = {}
    check_new_key(key, errors)
    if type not in Type.values:
        errors["type"] = [_("Choose a type from the list.")]
    if position is None:
        last = CustomFieldDefinition.objects.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    try:
        cleaned = clean_definition({"label": label, "choices": choices, "required": required,
                                    "customer_visible": customer_visible, "active": active,
                                    "customer_editable": customer_editable, "position": position},
                                   kind=type)
    except Invalid as problem:
        errors = {**problem.fields, **errors}
    if errors:
        raise Invalid(_("The custom field was not saved: see the marked fields."), fields=errors)
    if CustomFieldDefinition.objects.filter(key=key).exists():
        raise _key_taken(key)
    try:
        with transaction.atomic():
            definition = CustomFieldDefinition.objects.create(key=key, type=type, **cleaned)
            record_audit(actor=actor, action="custom_field.create", target=definition,
                         details={"key": key, "type": type, **{k: plain(v) for k, v in cleaned.items()}})
    except IntegrityError:  # created by another request a moment ago
        raise _key_taken(key) from None
    return definition


def update_custom_field(
    *, definition: CustomFieldDefinition, actor: Any, changes: dict[str, Any]
) -> CustomFieldDefinition:
    """Change some of the editable fields; deactivating is {"active": False}."""
    refuse_unknown(changes, EDITABLE)
    current = {name: getattr(definition, name) for name in EDITABLE}
    cleaned = clean_definition({**current, **changes}, kind=definition.type)
    with transaction.atomic():
        changed = apply_changes(definition, cleaned)
        if changed:
            definition.save()
            record_audit(actor=actor, action="custom_field.update", target=definition,
                         details={"key": definition.key, "changes": changed})
    return definition
