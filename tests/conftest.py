"""Test harness: an isolated data dir, real database (SQLite or HEEDFUL_DATABASE_URL),
real task worker runs, and story helpers."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

# Before Django loads settings: keep tests' files, secret and SQLite out of the user's var/.
os.environ.setdefault("HEEDFUL_DATA_DIR", tempfile.mkdtemp(prefix="heedful-test-"))

import pytest
from django.core.management import call_command

from tests import factories


def pytest_configure(config: pytest.Config) -> None:
    url = os.environ.get("HEEDFUL_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        try:
            psycopg.connect(url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres",
                            connect_timeout=3).close()
        except psycopg.Error as problem:
            raise pytest.UsageError(
                f"HEEDFUL_DATABASE_URL points at PostgreSQL but it does not answer ({problem}). "
                "Start it (see docs/operations.md) or unset the variable to test on SQLite."
            ) from None


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}},
    }


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Iterator[None]:
    """A key prefix of its own for every test: with Redis shared by parallel workers, clearing
    the whole cache would wipe another test's counters."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a request with another Accept-Language leaves
    its language active in the thread, and the next test would read its messages in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def run_tasks() -> Any:
    """Run every task that is due now through the real database worker, as `heedful worker`
    would."""

    def run() -> None:
        from django.db import connection
        from django_tasks_db.management.commands import db_worker

        original = db_worker.close_old_connections
        if connection.in_atomic_block:
            # Inside a test's transaction the worker must keep the connection: closing it (as
            # it does between tasks) would end the transaction on PostgreSQL.
            db_worker.close_old_connections = lambda **kwargs: None
        try:
            call_command("db_worker", queue_name="*", batch=True, interval=0, reload=False,
                         startup_delay=False, verbosity=0)
        finally:
            db_worker.close_old_connections = original

    return run


@pytest.fixture
def agent(db: None) -> Any:
    return factories.make_agent(name="Alice Agent")


@pytest.fixture
def supervisor(db: None) -> Any:
    return factories.make_agent(role="supervisor", name="Sam Supervisor")


@pytest.fixture
def admin_agent(db: None) -> Any:
    return factories.make_agent(role="admin", name="Ada Admin")


@pytest.fixture
def contact(db: None) -> Any:
    return factories.make_contact(name="Carol Customer", email="carol@example.org")


@pytest.fixture
def ticket(contact: Any) -> Any:
    return factories.make_ticket(requester=contact)


@pytest.fixture
def agent_client(client: Any, agent: Any) -> Any:
    client.force_login(agent.user)
    return client
