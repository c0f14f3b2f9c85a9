"""HTML mail as plain text in which quoted history is marked the way plain-text mail marks it.

Mail clients put quoted history in containers rather than "> " lines: Gmail's blockquote.gmail_quote,
Apple Mail's and Thunderbird's blockquote[type=cite], Yahoo's div.yahoo_quoted. Outlook puts no
container around it at all: everything after a header block (div#divRplyFwdMsg, #appendonsend,
the new Outlook's reference-message container, or Outlook desktop's "border-top" header div) is
history. `quoted_text` renders the former as "> " lines and stops at the latter, so that reply
extraction (replies.py) treats HTML and plain-text mail alike.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

_BLOCKS = {
    "address", "article", "blockquote", "center", "dd", "div", "dl", "dt", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_SKIPPED_TAGS = {"head", "script", "style", "title", "template", "xml"}
_QUOTE_CLASSES = {"yahoo_quoted"}
_SIGNATURE_CLASSES = {"gmail_signature", "gmail_signature_prefix", "moz-signature"}
_HISTORY_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}
_HISTORY_CLASSES = {"outlookmessageheader"}
_OUTLOOK_HEADER_STYLE = re.compile(r"border-top:\s*solid[^;]*;\s*padding:\s*3\.0pt", re.IGNORECASE)
_OUTLOOK_QUOTE_STYLE = re.compile(r"border-left:\s*solid[^;]*;\s*padding:\s*0(in|cm)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\u200b]+")

NORMAL, QUOTE, SKIP, PRE = 0, 1, 2, 3
_SELF_CLOSING_SIBLINGS = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
_SEARCH_LIMIT = 200  # how far down the stack an end tag looks for its start tag


class _QuoteMarkingText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.stack: list[tuple[str, int]] = []
        self.pieces: list[str] = []
        self.saw_space_only = False
        self.line_depth = 0
        self.history_reached = False
        self.counts = {QUOTE: 0, SKIP: 0, PRE: 0}

    # -- structure ---------------------------------------------------------------------------
    def _kind(self, tag: str, attrs: dict[str, str]) -> int:
        classes = set(attrs.get("class", "").lower().split())
        if tag in _SKIPPED_TAGS or classes & _SIGNATURE_CLASSES or attrs.get("id", "") == "Signature":
            return SKIP
        if tag == "blockquote" or classes & _QUOTE_CLASSES:
            return QUOTE
        if tag == "pre":
            return PRE
        if _OUTLOOK_QUOTE_STYLE.search(attrs.get("style", "")):
            return QUOTE
        return NORMAL

    def _starts_history(self, attrs: dict[str, str]) -> bool:
        if attrs.get("id", "").lower() in _HISTORY_IDS:
            return True
        if set(attrs.get("class", "").lower().split()) & _HISTORY_CLASSES:
            return True
        return bool(_OUTLOOK_HEADER_STYLE.search(attrs.get("style", "")))

    @property
    def _depth(self) -> int:
        return self.counts[QUOTE]

    @property
    def _skipping(self) -> bool:
        return self.counts[SKIP] > 0

    def _push(self, tag: str, kind: int) -> None:
        if tag in _SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1][0] == tag:
            self._pop_from(len(self.stack) - 1)  # <p>a<p>b: the second p closes the first
        self.stack.append((tag, kind))
        if kind in self.counts:
            self.counts[kind] += 1

    def _pop_from(self, index: int) -> None:
        for _tag, kind in self.stack[index:]:
            if kind in self.counts:
                self.counts[kind] -= 1
        del self.stack[index:]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.history_reached:
            return
        values = {key.lower(): value or "" for key, value in attrs}
        if not self._skipping and self._starts_history(values):
            self._break()
            self.history_reached = True
            return
        if tag == "br":
            self._break(blank_if_empty=True)
            return
        if tag in _BLOCKS:
            self._break()
        if tag not in _VOID:
            self._push(tag, self._kind(tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self._pop_from(len(self.stack) - 1)

    def handle_endtag(self, tag: str) -> None:
        if self.history_reached:
            return
        if tag in _BLOCKS:
            self._break()
        for index in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - _SEARCH_LIMIT), -1):
            if self.stack[index][0] == tag:
                self._pop_from(index)
                break

    # -- text --------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.history_reached or self._skipping:
            return
        preformatted = self.counts[PRE] > 0
        if preformatted and "\n" in data:
            first, *rest = data.split("\n")
            self.handle_data(first)
            for line in rest:
                self._break(blank_if_empty=True)
                self.handle_data(line)
            return
        text = data if preformatted else _SPACES.sub(" ", data)
        if not text.replace("\xa0", " ").strip():
            self.saw_space_only = self.saw_space_only or "\xa0" in text
            if self.pieces:
                self.pieces.append(" ")
            return
        if not self.pieces:
            self.line_depth = self._depth
        self.pieces.append(text)

    def _break(self, *, blank_if_empty: bool = False) -> None:
        line = "".join(self.pieces).replace("\xa0", " ").strip()
        if line:
            self.lines.append("> " * self.line_depth + line)
        elif blank_if_empty or self.saw_space_only:
            self.lines.append(">" * min(self._depth, 1) if self._depth else "")
        self.pieces = []
        self.saw_space_only = False

    def text(self) -> str:
        self._break()
        joined = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip("\n")


def quoted_text(html: str) -> str:
    """The HTML as text, quoted history marked with "> " and Outlook history left out."""
    parser = _QuoteMarkingText()
    with contextlib.suppress(Exception):  # HTMLParser is lenient; whatever was read is kept
        parser.feed(html or "")
        parser.close()
    return parser.text()
