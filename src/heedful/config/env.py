"""Typed readers for HEEDFUL_* environment variables.

This is the only module that reads os.environ; settings.py calls it and everything else reads
django.conf.settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

PREFIX = "HEEDFUL_"


class ConfigError(ValueError):
    """A HEEDFUL_* variable holds a value we cannot use; the message says which and why."""


def string(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


def boolean(name: str, default: bool) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{PREFIX}{name}={raw!r}: use true or false")


def integer(name: str, default: int) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: expected a whole number") from None


def str_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(string("DATA_DIR", "var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """The secret from HEEDFUL_SECRET_KEY, or one generated once and kept in the data dir."""
    explicit = os.environ.get(PREFIX + "SECRET_KEY")
    if explicit:
        return explicit
    path = directory / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Created with O_EXCL so that two processes starting at once keep the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database(url: str, directory: Path) -> dict[str, Any]:
    """Turn a database URL (sqlite:///path or postgres://user:pw@host:port/name) into Django's
    DATABASES entry."""
    parsed = urlparse(url)
    options: dict[str, Any] = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if parsed.scheme == "sqlite":
        # sqlite:///name.sqlite3 lives in the data dir; sqlite:////abs/name.sqlite3 is absolute.
        name = unquote(parsed.path)[1:] or "heedful.sqlite3"
        path = Path(name) if Path(name).is_absolute() else directory / name
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        # Server-side prepared statements after 5 runs of the same query: a queue page's join
        # costs more to plan (3-7 ms) than to run (under 1 ms). psycopg prepares only queries
        # whose parameters are bound by the server, so binding is server-side by default. Behind
        # PgBouncer in transaction mode add ?prepare_threshold=none&server_side_binding=false.
        threshold = options.pop("prepare_threshold", "5").lower()
        options["prepare_threshold"] = None if threshold in {"none", ""} else int(threshold)
        binding = options.pop("server_side_binding", "true").lower()
        options["server_side_binding"] = binding not in {"false", "0", "no", "off"}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "heedful",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", "60")),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ConfigError(
        f"{PREFIX}DATABASE_URL={url!r}: use sqlite:///file.sqlite3 or "
        "postgres://user:password@host:5432/name"
    )


def email(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings from HEEDFUL_EMAIL_URL; console output when it is empty."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parsed = urlparse(url)
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if parsed.scheme not in {"smtp", "smtps", "submission"}:
        raise ConfigError(
            f"{PREFIX}EMAIL_URL={url!r}: use smtp://host:port, smtp://user:pass@host:587?tls=1 "
            "or smtps://user:pass@host:465"
        )
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "127.0.0.1",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": options.get("tls", "0").lower() in {"1", "true", "yes"},
        "EMAIL_TIMEOUT": int(options.get("timeout", "20")),
    }
