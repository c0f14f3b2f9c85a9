"""Reading the demo content (content.toml): people, organizations, scenarios per language."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_PATH = Path(__file__).with_name("content.toml")
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    code: str
    weight: int
    timezones: list[str]
    phone_prefix: str
    currency: str
    first: list[tuple[str, str]]  # (written form, ASCII form for e-mail addresses)
    last: list[tuple[str, str]]
    family_name_first: bool

    def full_name(self, first: str, last: str) -> str:
        if self.family_name_first:
            return f"{last}{first}"
        return f"{first} {last}"


@dataclass(frozen=True)
class Scenario:
    key: str
    team: str
    tags: list[str]
    priority: str
    product_area: str
    notes: list[str]
    texts: dict[str, dict[str, str]]

    def text(self, language: str) -> tuple[str, dict[str, str]]:
        """The scenario's words in `language`, or in English when nobody wrote them yet;
        returns the language actually used."""
        if language in self.texts:
            return language, self.texts[language]
        return FALLBACK_LANGUAGE, self.texts[FALLBACK_LANGUAGE]


def ascii_form(text: str) -> str:
    """Kovács -> kovacs: for e-mail local parts."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def _pairs(items: list[Any]) -> list[tuple[str, str]]:
    return [(item[0], item[1]) if isinstance(item, list) else (item, ascii_form(item)) for item in items]


@dataclass(frozen=True)
class Content:
    raw: dict[str, Any]
    languages: list[Language]
    scenarios: list[Scenario]

    @property
    def password(self) -> str:
        return str(self.raw["password"])

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]


@cache
def load_content(path: Path = CONTENT_PATH) -> Content:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    languages = [
        Language(
            code=code, weight=int(spec["weight"]), timezones=list(spec["timezones"]),
            phone_prefix=spec["phone_prefix"], currency=spec["currency"],
            first=_pairs(spec["first"]), last=_pairs(spec["last"]),
            family_name_first=bool(spec.get("family_name_first", False)),
        )
        for code, spec in raw["languages"].items()
    ]
    scenarios = [
        Scenario(
            key=spec["key"], team=spec["team"], tags=list(spec["tags"]), priority=spec["priority"],
            product_area=spec["product_area"], notes=list(spec["notes"]), texts=dict(spec["text"]),
        )
        for spec in raw["scenario"]
    ]
    for scenario in scenarios:
        if FALLBACK_LANGUAGE not in scenario.texts:
            raise ValueError(f"{path}: scenario {scenario.key} has no English text")
    return Content(raw=raw, languages=languages, scenarios=scenarios)
