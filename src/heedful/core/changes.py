"""What an edit changed, in a form the audit log can keep (settings pages audit every change)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError


def plain(value: Any) -> Any:
    """A JSON-safe form of a field value: rows by their primary key, numbers as text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def apply_changes(instance: models.Model, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the values that differ on `instance` (not saved) and answer {field: {before, after}}."""
    changed: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        before = getattr(instance, name)
        if before != value:
            setattr(instance, name, value)
            changed[name] = {"before": plain(before), "after": plain(value)}
    return changed


def refuse_unknown(changes: dict[str, Any], allowed: set[str] | frozenset[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise HeedfulError(ErrorCode.UNKNOWN_FIELD, _("These fields cannot be changed here."),
                           fields={key: [_("Unknown field.")] for key in sorted(unknown)})
