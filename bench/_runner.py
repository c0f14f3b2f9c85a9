"""What every benchmark shares: one child process per database (settings read HEEDFUL_* when
Django starts), and a description of the machine the numbers came from."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_children(
    script: str, databases: list[str], *, data_dir: Path, sqlite_name: str, pg_url: str,
    extra_env: dict[str, str] | None = None, extra_args: list[str] | None = None,
) -> dict[str, Any]:
    """Run `script --child DB <the parent's arguments> <extra_args>` once per database, each
    with its own data dir under `data_dir`, and collect the JSON each prints."""
    results: dict[str, Any] = {}
    for database in databases:
        directory = data_dir / database
        directory.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "heedful.config.settings",
            "HEEDFUL_DATA_DIR": str(directory),
            "HEEDFUL_DATABASE_URL": f"sqlite:///{sqlite_name}" if database == "sqlite" else pg_url,
            "HEEDFUL_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            **(extra_env or {}),
        }
        child = [sys.executable, script, "--child", database, *sys.argv[1:], *(extra_args or [])]
        done = subprocess.run(child, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            results[database] = {"error": f"child exited with {done.returncode}; see stderr"}
            continue
        results[database] = json.loads(done.stdout)
    return results


def machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    import django

    return {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "django": django.get_version(), "platform": platform.platform(),
        # Other processes on the machine slow every number down; say how busy it was.
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
    }
