"""The interface speaks every target locale: catalogs are complete and well-formed, the compiled
.mo files match them, and pages render translated."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "heedful" / "locale"
# Language code as Django names it -> catalog directory, plural rule.
LOCALES = {
    "zh-hans": ("zh_Hans", "nplurals=1; plural=0;"),
    "eo": ("eo", "nplurals=2; plural=(n != 1);"),
    "te": ("te", "nplurals=2; plural=(n != 1);"),
    "bn": ("bn", "nplurals=2; plural=(n != 1);"),
    "lo": ("lo", "nplurals=1; plural=0;"),
}
PLACEHOLDER = re.compile(
    r"%%|%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
)


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (enough for what makemessages writes): no polib needed."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None
    seen_text = False

    def finish() -> None:
        nonlocal entry, current, seen_text
        if seen_text:
            entries.append(entry)
        entry, current, seen_text = Entry(), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            assert current is not None, f"{path}: continuation line without a keyword: {raw}"
        else:
            value = ast.literal_eval(rest)
            if keyword == "msgid" and seen_text and current is not None and current[0] == "msgstr":
                finish()  # an entry without a blank line before the next one
            if keyword.startswith("msgstr["):
                current = ("msgstr", int(keyword[7:-1]))
                entry.msgstr[current[1]] = ""
            elif keyword == "msgstr":
                current = ("msgstr", 0)
                entry.msgstr[0] = ""
            elif keyword in ("msgid", "msgid_plural", "msgctxt"):
                current = (keyword, 0)
                if keyword == "msgid_plural":
                    entry.msgid_plural = ""
            else:
                raise AssertionError(f"{path}: unexpected line {raw!r}")
            seen_text = True
        kind, index = current
        if kind == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif kind == "msgid":
            entry.msgid += value
        elif kind == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif kind == "msgstr":
            entry.msgstr[index] += value
    finish()
    return [e for e in entries if not e.obsolete]


def header(entries: list[Entry]) -> dict[str, str]:
    head = next(e for e in entries if e.msgid == "")
    pairs = (line.partition(":") for line in head.msgstr[0].splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, _colon, value in pairs}


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def edges(text: str) -> tuple[str, str]:
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]


@pytest.mark.parametrize("language", LOCALES)
def test_catalog_is_complete_and_keeps_every_placeholder(language: str) -> None:
    directory, plural_forms = LOCALES[language]
    entries = parse_po(LOCALE_DIR / directory / "LC_MESSAGES" / "django.po")
    meta = header(entries)
    assert meta["Language"] == directory
    assert "charset=UTF-8" in meta["Content-Type"]
    assert meta["Plural-Forms"] == plural_forms
    nplurals = int(re.search(r"nplurals=(\d+)", plural_forms).group(1))  # type: ignore[union-attr]
    messages = [e for e in entries if e.msgid]
    assert len(messages) > 100
    problems = []
    for e in messages:
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.msgid!r}")
        expected = range(nplurals) if e.msgid_plural is not None else range(1)
        for index in expected:
            text = e.msgstr.get(index, "")
            source = e.msgid if index == 0 or e.msgid_plural is None else e.msgid_plural
            if not text.strip():
                problems.append(f"empty: {e.msgid!r}[{index}]")
            elif placeholders(text) != placeholders(source) and not (
                # a plural form may leave the count out (e.g. "one file"), never a named value
                e.msgid_plural is not None and set(placeholders(text)) <= set(placeholders(source))
            ):
                problems.append(f"placeholders differ: {e.msgid!r} -> {text!r}")
            elif edges(text) != edges(source) or text.count("\n") != source.count("\n"):
                problems.append(f"whitespace differs: {e.msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def translated(compiled: gettext.GNUTranslations, entry: Entry) -> str:
    if entry.msgctxt is not None:
        return compiled.pgettext(entry.msgctxt, entry.msgid)
    return compiled.gettext(entry.msgid)


@pytest.mark.parametrize("language", LOCALES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    directory, _plural = LOCALES[language]
    folder = LOCALE_DIR / directory / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        e.msgid
        for e in parse_po(folder / "django.po")
        if e.msgid and e.msgid_plural is None and translated(compiled, e) != e.msgstr[0]
    ]
    assert not stale, f"django.mo is older than django.po; run compilemessages: {stale[:5]}"


@pytest.mark.parametrize("language", LOCALES)
def test_key_strings_translate(language: str) -> None:
    with translation.override(language):
        for text in ("Sign in", "New request", "Send reply", "My requests", "Internal note"):
            assert _(text) != text, f"{text!r} is not translated into {language}"
        welcome = _("Welcome to %(name)s") % {"name": "Acme Support"}
        assert "Acme Support" in welcome
        assert not welcome.startswith("Welcome")
        merged = _("This ticket was merged into #%(number)s.") % {"number": 1042}
        assert "#1042" in merged
        assert merged != "This ticket was merged into #1042."


@pytest.mark.django_db
@pytest.mark.parametrize("language", LOCALES)
def test_portal_renders_in_the_language_of_the_cookie(language: str) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    with translation.override(language):
        for text in ("Ask for help", "Sign in", "Follow your requests"):
            translated = _(text)
            assert translated != text
            assert escape(translated) in html, f"{text!r} not rendered in {language}"
    assert "Ask for help" not in html
