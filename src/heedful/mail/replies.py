"""Showing only the customer's new words: quoted history and signatures cut off, interleaved
answers kept. Patterns per language and client live in quote_patterns.toml; HTML quote containers
are read by html_quotes.py.

The steps, on lines of text:
1. quote headers ("On ... wrote:", Outlook's From/Sent block, "-----Original Message-----"): a
   header followed by unquoted text starts history, which is cut; a header followed by "> " lines
   is dropped and the quoted lines are judged in step 2;
2. (after step 3) quoted lines after the customer's last own line are history and go; quoted lines between own
   lines stay (interleaved answers keep the questions they answer), except a single quoted block
   above a bottom-posted answer, which is history too;
3. a signature ("-- ", "Sent from my iPhone" and translations) and what follows it go (before
   step 2, so that quoted history above a signature is still seen as trailing).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from heedful.core.html import html_to_text
from heedful.mail.html_quotes import quoted_text

_DATA = Path(__file__).with_name("quote_patterns.toml")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_HEADER_SPAN = 3  # lines a wrapped header may take
_WRAPPED_ADDRESS_END = re.compile(r">\)?[ \t]*[:：]$")
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？")


@dataclass(frozen=True)
class _HeaderPattern:
    regex: re.Pattern[str]
    strong: bool
    ends_with_colon: bool  # tried only on lines ending with a colon: keeps long texts fast


@dataclass(frozen=True)
class _Patterns:
    headers: list[_HeaderPattern]
    signatures: list[re.Pattern[str]]


@cache
def _patterns() -> _Patterns:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    headers = [
        _HeaderPattern(re.compile(source, re.IGNORECASE | re.MULTILINE), strong,
                       source.rstrip().endswith(r"[:：][ \t]*$"))
        for key, strong in (("quote_headers", True), ("attribution_lines", False))
        for source in data.get(key, [])
    ]
    signatures = [re.compile(p, re.IGNORECASE) for p in data.get("signatures", [])]
    return _Patterns(headers, signatures)


def _is_quoted(line: str) -> bool:
    """A "> " line; not the ">:" a wrapped attribution leaves when it breaks inside "<address>"."""
    stripped = line.strip()
    return stripped.startswith(">") and not _WRAPPED_ADDRESS_END.match(stripped)


@dataclass(frozen=True)
class _Header:
    start: int
    end: int  # index of the header's last line
    strong: bool


def _match_at(lines: list[str], index: int) -> _Header | None:
    """The shortest header starting at this line, if any; strong patterns first. A header wrapped
    over several lines never starts with a line ending a sentence (that is the customer's own text
    above it)."""
    first = lines[index]
    if not first.strip() or _is_quoted(first):
        return None
    ends_sentence = first.rstrip().endswith(_SENTENCE_ENDS)
    for span in range(1, _HEADER_SPAN + 1):
        window = lines[index:index + span]
        if len(window) < span or (span > 1 and (ends_sentence or _is_quoted(window[-1])
                                                or not window[-1].strip())):
            return None
        text = "\n".join(window)
        colon_at_end = window[-1].rstrip().endswith((":", "："))
        for pattern in _patterns().headers:
            if pattern.ends_with_colon and not colon_at_end:
                continue
            match = pattern.regex.match(text)
            if match:
                return _Header(index, index + match.group(0).rstrip("\n").count("\n"), pattern.strong)
    return None


def _find_header(lines: list[str], start: int) -> _Header | None:
    """The first header at or after `start` outside quoted lines."""
    for index in range(start, len(lines)):
        if not _is_quoted(lines[index]):
            header = _match_at(lines, index)
            if header is not None:
                return header
    return None


def _next_text_line(lines: list[str], index: int) -> str:
    for line in lines[index:]:
        if line.strip():
            return line
    return ""


def _remove_headers(lines: list[str]) -> list[str]:
    position = 0
    while True:
        header = _find_header(lines, position)
        if header is None:
            return lines
        if _is_quoted(_next_text_line(lines, header.end + 1)):
            lines = lines[:header.start] + lines[header.end + 1:]
            position = header.start
        elif header.strong:
            return lines[:header.start]
        else:
            position = header.start + 1


def _quoted_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each run of quoted lines; blank lines inside a run join it."""
    blocks: list[tuple[int, int]] = []
    for index, line in enumerate(lines):
        if not _is_quoted(line):
            continue
        if blocks and all(not lines[i].strip() for i in range(blocks[-1][1] + 1, index)):
            blocks[-1] = (blocks[-1][0], index)
        else:
            blocks.append((index, index))
    return blocks


def _drop_quoted_history(lines: list[str]) -> list[str]:
    own = [i for i, line in enumerate(lines) if line.strip() and not _is_quoted(line)]
    if not own:
        return []
    kept, history_after = lines[:own[-1] + 1], any(_is_quoted(x) for x in lines[own[-1] + 1:])
    blocks = _quoted_blocks(kept)
    if len(blocks) == 1 and not history_after and blocks[0][0] < own[0]:
        # Bottom-posting: the whole history above, the answer below it.
        first, last = blocks[0]
        return kept[:first] + kept[last + 1:]
    return kept


def _strip_signature(lines: list[str]) -> list[str]:
    signatures = _patterns().signatures
    seen_text = False
    for index, line in enumerate(lines):
        if seen_text and not _is_quoted(line) and any(p.match(line.strip()) for p in signatures):
            return lines[:index]
        seen_text = seen_text or bool(line.strip())
    return lines


def tidy(text: str) -> str:
    """Line ends, trailing spaces and runs of blank lines made uniform."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n").strip()


def _letters(text: str) -> int:
    return len(_LETTERS.findall(text))


def text_is_poor(text: str, html: str) -> bool:
    """True when the plain-text part is missing or a stub next to the HTML part ("view this
    message in HTML", a bare link, or a rendition that lost most of the words)."""
    if not html.strip():
        return False
    own = _letters(text)
    if own == 0:
        return True
    rendered = _letters(html_to_text(html))
    return rendered > 40 and own * 3 < rendered


def extract_reply(text: str, html: str = "") -> str:
    """The new text of a message: quoted history after the last own line, quote headers and
    signatures go; quoted lines between own lines (interleaved answers) stay. Reads the HTML part
    when the text part is missing or poor. Falls back to the whole text when nothing is left
    (a forward without a note, a message that is all quote)."""
    body = tidy(text or "")
    source = tidy(quoted_text(html)) if html and text_is_poor(body, html) else body
    lines = _remove_headers(source.split("\n"))
    lines = _strip_signature(lines)
    lines = _drop_quoted_history(lines)
    result = tidy("\n".join(lines))
    if result:
        return result
    return body or (tidy(html_to_text(html)) if html else "")
