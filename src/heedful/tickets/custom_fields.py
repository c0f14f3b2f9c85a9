"""Validating ticket custom-field values against the admin-defined, typed definitions."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.models import CustomFieldDefinition

Type = CustomFieldDefinition.Type


def _listing(definition: CustomFieldDefinition) -> str:
    return ", ".join(map(str, definition.choices))


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    """The stored (JSON) form of a value, or ValueError with the reason."""
    kind = definition.type
    if kind == Type.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Expected text."))
        if len(value) > 10_000:
            raise ValueError(_("At most 10,000 characters."))
        return value
    if kind == Type.INTEGER:
        if isinstance(value, bool):
            raise ValueError(_("Expected a whole number."))
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(_("Expected a whole number."))
        return value
    if kind == Type.DECIMAL:
        if isinstance(value, bool):
            raise ValueError(_("Expected a number."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_("Expected a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Expected a number."))
        return str(number)
    if kind == Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
            return value.lower() in {"true", "1", "yes"}
        raise ValueError(_("Expected true or false."))
    if kind == Type.DATE:
        if not isinstance(value, str):
            raise ValueError(_("Expected a date as YYYY-MM-DD."))
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(_("Expected a date as YYYY-MM-DD.")) from None
    if kind == Type.CHOICE:
        if value not in definition.choices:
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": _listing(definition)})
        return value
    if kind == Type.MULTI_CHOICE:
        if not isinstance(value, list) or any(v not in definition.choices for v in value):
            raise ValueError(_("Choose any of: %(choices)s.") % {"choices": _listing(definition)})
        return list(dict.fromkeys(value))
    raise ValueError(_("Unsupported field type."))


def active_definitions() -> dict[str, CustomFieldDefinition]:
    """The active field definitions by key: read once when checking many tickets."""
    return {d.key: d for d in CustomFieldDefinition.objects.filter(active=True)}


def clean_custom_fields(
    values: dict[str, Any],
    *,
    existing: dict[str, Any] | None = None,
    customer: bool = False,
    enforce_required: bool = False,
    definitions: dict[str, CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Merge `values` into `existing` after checking every key and type.

    Unknown keys, wrong types and (when asked) missing required fields raise one HeedfulError
    listing every problem, so a form can show them all at once. `None` clears a field.
    """
    if not isinstance(values, dict):
        raise HeedfulError(ErrorCode.INVALID, _("Custom fields must be an object."))
    if definitions is None:
        definitions = active_definitions()
    errors: dict[str, list[str]] = {}
    result = dict(existing or {})
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None or (customer and not definition.customer_editable):
            errors[f"custom_fields.{key}"] = [_("Unknown field.")]
            continue
        if value is None or value == "" or value == []:
            result.pop(key, None)
            continue
        try:
            result[key] = _coerce(definition, value)
        except ValueError as problem:
            errors[f"custom_fields.{key}"] = [str(problem)]
    if enforce_required:
        for key, definition in definitions.items():
            asked = not customer or definition.customer_editable
            if definition.required and asked and key not in result:
                errors[f"custom_fields.{key}"] = [_("This field is required.")]
    if errors:
        code = ErrorCode.UNKNOWN_FIELD if all(
            m == [_("Unknown field.")] for m in errors.values()
        ) else ErrorCode.INVALID
        raise HeedfulError(code, _("Some custom fields are not valid."), fields=errors)
    return result
