"""Helpers for the agent UI tests."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from tests import factories


@pytest.fixture
def team(db: None) -> Any:
    return factories.TeamFactory(name="Billing")


def ticket_page(client: Any, ticket: Any) -> Any:
    return client.get(f"/tickets/{ticket.number}/")


class _FormReader(HTMLParser):
    """The values a browser would submit from the first <form> carrying `marker`."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker, self.inside, self.done = marker, False, False
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.multiple = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.marker in a and not self.done:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in {"checkbox", "radio", "file", "submit"}:
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("name") and a.get("type") in {"checkbox", "radio"} and "checked" in a:
            self.values.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self.select, self.options, self.multiple = a.get("name"), [], "multiple" in a
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected]
            if not chosen and not self.multiple and self.options:
                chosen = [self.options[0][0]]
            self.values += [(self.select, v) for v in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.values.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_values(html: str, marker: str) -> dict[str, Any]:
    """What the form marked `marker` (an attribute, e.g. data-side-form) would post as is;
    several values of one name become a list."""
    reader = _FormReader(marker)
    reader.feed(html)
    result: dict[str, Any] = {}
    for name, value in reader.values:
        if name in result:
            result[name] = [*(result[name] if isinstance(result[name], list) else [result[name]]), value]
        else:
            result[name] = value
    return result
