"""Preparing stored message HTML for a page: inline images (`cid:`) point at their attachments."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from django.utils.safestring import SafeString, mark_safe

from heedful.tickets.models import Attachment

_CID_SRC = re.compile(r'src="cid:([^"]*)"')


def html_with_inline_images(
    body_html: str, attachments: Iterable[Attachment], url_for: Callable[[Attachment], str]
) -> SafeString:
    """The event's sanitised HTML with every `src="cid:..."` replaced by the URL of the
    attachment carrying that Content-ID; unknown ones are left as they are (they show nothing).

    body_html was cleaned by nh3 when it was stored; the only text put in here is our own URL.
    """
    by_cid = {a.content_id: a for a in attachments if a.content_id}
    if not by_cid or "cid:" not in body_html:
        return mark_safe(body_html)  # noqa: S308 (sanitised when stored)

    def swap(match: re.Match[str]) -> str:
        found = by_cid.get(html.unescape(match.group(1)))
        return f'src="{html.escape(url_for(found))}"' if found else match.group(0)

    return mark_safe(_CID_SRC.sub(swap, body_html))  # noqa: S308 (sanitised when stored)
