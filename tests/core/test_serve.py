"""`heedful serve --host H --port P` starts a working help desk from nothing (the contract that
outside checks use)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_migrates_a_fresh_data_dir_and_answers_healthz_and_the_portal(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEEDFUL_")}
    env.update(HEEDFUL_DATA_DIR=str(tmp_path), HEEDFUL_SMTP_PORT=str(free_port()))
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "-m", "heedful.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                    body = json.loads(reply.read())
            except OSError:
                time.sleep(0.5)
        assert body == {"status": "ok"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/portal/", timeout=5) as reply:
            assert 'href="tel:' in reply.read().decode()
        assert (tmp_path / "heedful.sqlite3").exists() and (tmp_path / "secret_key").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
