"""Small display helpers for portal templates."""

from __future__ import annotations

import re

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from heedful.tickets.display import html_with_inline_images
from heedful.tickets.kinds import get_kind
from heedful.tickets.models import Event, Ticket

register = template.Library()

S = Ticket.Status


@register.simple_tag(takes_context=True)
def portal_event(context: template.Context, event: Event, last: bool = False) -> SafeString:
    """One event of the customer's conversation, through its kind's portal template; kinds
    without one are never shown to customers (tickets/kinds.py)."""
    kind = get_kind(event.kind)
    if kind.portal_template is None:
        return SafeString("")
    assert context.template is not None
    with context.push(event=event, kind=kind, latest=last):
        return SafeString(context.template.engine.get_template(kind.portal_template).render(context))


@register.filter
def tel_href(phone: str) -> str:
    """'+1 (555) 0100' -> 'tel:+15550100': digits only, with a leading + kept."""
    raw = str(phone or "").strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("00"):
        digits, raw = digits[2:], "+"
    if not digits:
        return ""
    return "tel:" + ("+" if raw.startswith("+") else "") + digits


@register.filter
def customer_status(status: str) -> str:
    """The status in words that mean something to the customer."""
    labels: dict[str, str] = {
        S.NEW: _("Received"),
        S.OPEN: _("In progress"),
        S.PENDING: _("Waiting for your reply"),
        S.ON_HOLD: _("In progress"),
        S.SOLVED: _("Solved"),
        S.CLOSED: _("Closed"),
    }
    return str(labels.get(status, status))


@register.filter
def status_class(status: str) -> str:
    classes: dict[str, str] = {S.PENDING: "status-waiting", S.SOLVED: "status-done", S.CLOSED: "status-done"}
    return classes.get(status, "status-active")


@register.simple_tag
def chat_url() -> str:
    """The live chat page when the chat app provides one; empty otherwise."""
    for name in ("chat:start", "chat:index", "chat:widget"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag
def language_choices() -> list[dict[str, str]]:
    """The site's languages, each named in its own script when Django knows it."""
    choices = []
    for code, name in settings.LANGUAGES:
        try:
            local = str(translation.get_language_info(code)["name_local"])
        except KeyError:
            local = str(name)
        choices.append({"code": code, "name_local": local})
    return choices


@register.filter
def message_html(event: Event) -> SafeString:
    """The message's HTML with inline images pointing at their attachments."""
    return html_with_inline_images(
        event.body_html, event.attachments.all(),
        lambda a: reverse("portal:attachment", args=[a.pk]) + "?inline=1")
