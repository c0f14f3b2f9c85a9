from __future__ import annotations

from pathlib import Path

import pytest

from heedful.config import env


def test_sqlite_url_is_relative_to_data_dir(tmp_path: Path):
    db = env.database("sqlite:///desk.sqlite3", tmp_path)
    assert db["NAME"] == str(tmp_path / "desk.sqlite3")


def test_sqlite_url_may_be_absolute(tmp_path: Path):
    assert env.database("sqlite:////srv/desk.db", tmp_path)["NAME"] == "/srv/desk.db"


def test_postgres_url_is_split_into_parts(tmp_path: Path):
    db = env.database("postgres://u:p%40ss@db.example:6543/desk?sslmode=require", tmp_path)
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u", "p@ss", "db.example", "6543", "desk")
    assert db["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5, "server_side_binding": True}


def test_prepared_statements_can_be_switched_off_for_pgbouncer(tmp_path: Path):
    db = env.database("postgres://u@h/desk?prepare_threshold=none&server_side_binding=false", tmp_path)
    assert db["OPTIONS"]["prepare_threshold"] is None
    assert db["OPTIONS"]["server_side_binding"] is False


def test_unknown_database_scheme_says_what_to_use(tmp_path: Path):
    with pytest.raises(env.ConfigError, match="postgres://"):
        env.database("mysql://x/y", tmp_path)


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HEEDFUL_SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    assert env.secret_key(tmp_path) == first and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_boolean_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HEEDFUL_DEBUG", "maybe")
    with pytest.raises(env.ConfigError, match="HEEDFUL_DEBUG"):
        env.boolean("DEBUG", False)
