"""Posting admin change forms as a browser would: the form's current values, changed by the test."""

from __future__ import annotations

from typing import Any


def admin_form_data(response: Any) -> dict[str, Any]:
    """What the admin page's form would send unchanged: its fields, every inline's management
    form and the ids of the rows it shows."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for row in formset.initial_forms:
            data[f"{row.prefix}-id"] = row.instance.pk
            data[f"{row.prefix}-{formset.fk.name}"] = formset.instance.pk
    return data


def add_inline_rows(data: dict[str, Any], prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The same form with new rows typed into an inline."""
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{start + offset}-{key}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = start + len(rows)
    return data
