"""Template helpers of the customer pages: compact timeline rows and merged authors."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.text import Truncator

from heedful.tickets.kinds import get_kind

register = template.Library()


@register.filter
def kind_label(name: str) -> str:
    """The label an event kind registered (tickets/kinds.py), whichever app it belongs to."""
    return str(get_kind(name).label)


@register.filter
def first_line(text: Any, length: int = 160) -> str:
    """The first line that says something, cut to `length` characters."""
    for line in str(text or "").splitlines():
        if line.strip() and not line.lstrip().startswith(">"):
            return Truncator(" ".join(line.split())).chars(length)
    return ""
