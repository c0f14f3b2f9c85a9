"""The checks behind `heedful check`: each says what is wrong and what to run next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True)
class Diagnosis:
    name: str
    ok: bool
    detail: str
    hint: str = ""


def check_database() -> Diagnosis:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as problem:
        return Diagnosis("database", False, str(problem)[:200],
                         "check HEEDFUL_DATABASE_URL and that the server is running")
    return Diagnosis("database", True, f"{connection.vendor} {connection.settings_dict['NAME']}")


def check_migrations() -> Diagnosis:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as problem:
        return Diagnosis("migrations", False, str(problem)[:200], "run heedful migrate")
    if pending:
        return Diagnosis("migrations", False, f"{len(pending)} pending", "run heedful migrate")
    return Diagnosis("migrations", True, "up to date")


def check_cache() -> Diagnosis:
    key = f"heedful-check-{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as problem:  # any cache backend error is a finding, not a crash
        return Diagnosis("cache", False, str(problem)[:200], "check HEEDFUL_REDIS_URL")
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return Diagnosis("cache", ok, backend, "" if ok else "the cache does not keep values")


def check_storage() -> Diagnosis:
    name = f"healthcheck/{uuid.uuid4().hex}"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(saved)
    except Exception as problem:  # any storage error is a finding, not a crash
        return Diagnosis("storage", False, str(problem)[:200],
                         "check HEEDFUL_DATA_DIR is writable or the storage backend settings")
    return Diagnosis("storage", True, default_storage.__class__.__name__)


def check_tasks() -> Diagnosis:
    try:
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(status="READY").count()
        failed = DBTaskResult.objects.filter(status="FAILED").count()
    except DatabaseError as problem:
        return Diagnosis("tasks", False, str(problem)[:200], "run heedful migrate")
    return Diagnosis("tasks", True, f"{waiting} waiting, {failed} failed")


def run_diagnostics() -> list[Diagnosis]:
    database = check_database()
    if not database.ok:
        return [database]
    return [database, check_migrations(), check_cache(), check_storage(), check_tasks()]
