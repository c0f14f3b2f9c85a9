"""The core never imports the capabilities that plug into it: `tickets` knows no mail, webhooks
or UI; `people` knows no tickets; `core` knows no domain app. Later apps register instead
(hooks, event kinds, delivery backends, scheduled jobs)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "heedful"
LATER_APPS = {"mail", "webhooks", "web", "portal", "api", "demo", "chat", "phone", "service",
              "knowledge", "search", "feedback", "reports", "ops"}
FORBIDDEN = {
    "tickets": LATER_APPS,
    "people": LATER_APPS | {"tickets", "policy"},
    "core": LATER_APPS | {"tickets", "people", "policy"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "heedful" and len(parts) > 1:
                found.add(parts[1])
    return found


def sources(app: str) -> list[Path]:
    return [p for p in sorted((SRC / app).rglob("*.py")) if "migrations" not in p.parts]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_core_apps_import_no_app_that_plugs_into_them(app: str) -> None:
    offending = {
        str(path.relative_to(SRC)): sorted(imported_apps(path) & FORBIDDEN[app])
        for path in sources(app) if imported_apps(path) & FORBIDDEN[app]
    }
    assert offending == {}


def test_the_checker_sees_imports() -> None:
    assert "tickets" in imported_apps(SRC / "policy.py")
