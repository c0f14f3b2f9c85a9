"""Showing only the customer's new words: quoted history and signatures cut off, interleaved
answers kept. Patterns per language and client live in quote_patterns.toml."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from heedful.core.html import html_to_text

_DATA = Path(__file__).with_name("quote_patterns.toml")


@cache
def _patterns() -> dict[str, list[re.Pattern[str]]]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return {
        key: [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in values]
        for key, values in data.items() if isinstance(values, list)
    }


def _cut_at_quote_header(lines: list[str]) -> int | None:
    """Index of the first line of a quote header ("On ... wrote:", "-----Original Message-----",
    an Outlook From:/Sent: block ...) that is followed only by quoted or old text."""
    headers = _patterns()["quote_headers"]
    for index in range(len(lines)):
        # Headers wrap over up to three lines in some clients.
        window = "\n".join(lines[index:index + 3])
        for pattern in headers:
            match = pattern.match(window)
            if match:
                return index
    return None


def _strip_signature(lines: list[str]) -> list[str]:
    signatures = _patterns()["signatures"]
    for index, line in enumerate(lines):
        if index == 0:
            continue
        if any(p.match(line) for p in signatures):
            return lines[:index]
    return lines


def extract_reply(text: str, html: str = "") -> str:
    """The new text of a message. Quoted lines after the last own line go; quoted blocks between
    own lines (interleaved answers) stay."""
    body = (text or "").replace("\r\n", "\n")
    if not body.strip() and html:
        body = html_to_text(html)
    lines = body.split("\n")
    cut = _cut_at_quote_header(lines)
    if cut is not None:
        lines = lines[:cut]
    # Trailing ">" blocks are history; ">" blocks followed by own text are interleaved answers.
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    lines = _strip_signature(lines)
    result = "\n".join(lines).strip()
    return result or body.strip()
