"""Kill -9 tests with real processes: the SMTP intake and the worker die mid-way, restart, and
nothing is lost or duplicated.

These run `heedful` subprocesses against a database of their own (a SQLite file in a temporary
data dir, or a fresh PostgreSQL database next to HEEDFUL_DATABASE_URL), migrated by
`heedful migrate`, and read it back with plain SQL: pytest-django's test database is not involved.
"""

from __future__ import annotations

import os
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Desk:
    """A Heedful installation in a temporary directory, driven through its `heedful` command."""

    directory: Path
    database_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HEEDFUL_")}
        env.update(HEEDFUL_DATA_DIR=str(self.directory), HEEDFUL_DATABASE_URL=self.database_url,
                   HEEDFUL_SECRET_KEY="durability-test-key-" + "x" * 40, HEEDFUL_LOG_LEVEL="WARNING",
                   HEEDFUL_SMTP_PORT="0", PYTHONUNBUFFERED="1", **extra)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = open(self.directory / f"{args[0]}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", "heedful.cli", *args],  # noqa: S603
                                   env=self.env(**env), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def run(self, *args: str, timeout: float = 60, **env: str) -> str:
        done = subprocess.run([sys.executable, "-m", "heedful.cli", *args],  # noqa: S603
                              env=self.env(**env), capture_output=True, timeout=timeout, check=False)
        output = (done.stdout + done.stderr).decode(errors="replace")
        assert done.returncode == 0, f"heedful {' '.join(args)} failed:\n{output[-3000:]}"
        return output

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.directory.glob("*.log")))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database_url.startswith("sqlite"):
            with sqlite3.connect(self.directory / "desk.sqlite3", timeout=20) as conn:
                return list(conn.execute(sql).fetchall())
        import psycopg

        with psycopg.connect(_libpq(self.database_url), autocommit=True) as conn:
            return list(conn.execute(sql).fetchall())

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path="/" + name))


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    directory = Path(tempfile.mkdtemp(prefix="heedful-durability-"))
    base = os.environ.get("HEEDFUL_DATABASE_URL", "")
    admin_url = ""
    if base.startswith("postgres"):
        import psycopg

        name = f"heedful_durability_{uuid.uuid4().hex[:10]}"
        admin_url = _libpq(_with_database(base, "postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _with_database(base, name)
    else:
        url = f"sqlite:///{directory / 'desk.sqlite3'}"
    installation = Desk(directory, url)
    try:
        installation.run("migrate", "--noinput", timeout=120)
        yield installation
    finally:
        installation.stop_all()
        if admin_url:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(directory, ignore_errors=True)


def send(port: int, raw: bytes, sender: str) -> bool:
    """One delivery attempt, as an MTA makes it: True only when the server said 250."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            return client.sendmail(sender, ["support@heedful.test"], raw) == {}
    except (OSError, smtplib.SMTPException):
        return False


def batch_of(tag: str, count: int) -> list[tuple[str, bytes]]:
    return [(f"c{i}@example.org", raw_mail(
        sender=f"Customer {i} <c{i}@example.org>", subject=f"{tag} message {i}",
        message_id=f"<{tag}-{i}@durability.test>", body=f"Message number {i} of the {tag} run."))
        for i in range(count)]


def assert_each_stored_and_recorded_once(desk: Desk, tag: str, count: int) -> None:
    # The tags are this module's own constants; nothing outside reaches these queries.
    like = f"LIKE '<{tag}-%'"
    rows, distinct = desk.query(
        f"SELECT COUNT(*), COUNT(DISTINCT message_id) FROM mail_rawmessage WHERE message_id {like}"  # noqa: S608
    )[0]
    assert (rows, distinct) == (count, count), desk.logs()
    states = desk.query(
        f"SELECT state, COUNT(*) FROM mail_rawmessage WHERE message_id {like} GROUP BY state")  # noqa: S608
    assert states == [("processed", count)], states
    events = desk.query(
        f"SELECT message_id, COUNT(*) FROM tickets_event WHERE message_id {like} GROUP BY message_id"  # noqa: S608
    )
    assert len(events) == count and {n for _id, n in events} == {1}, events
    tickets = desk.scalar(
        f"SELECT COUNT(*) FROM tickets_ticket WHERE subject LIKE '{tag} message %'")  # noqa: S608
    assert tickets == count


def test_killed_smtp_intake_loses_nothing_and_duplicates_nothing(desk: Desk) -> None:
    port = free_port()
    server = desk.start("mail", "serve", "--port", str(port))
    wait_for(lambda: port_answers(port), 20, "the SMTP intake")
    messages = batch_of("smtpkill", 30)
    delivered = [False] * len(messages)

    def deliver_all() -> None:
        for index, (sender, raw) in enumerate(messages):
            delivered[index] = send(port, raw, sender)
            time.sleep(0.01)

    thread = threading.Thread(target=deliver_all)
    thread.start()
    wait_for(lambda: sum(delivered) >= 8, 20, "the first deliveries")
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    thread.join(timeout=60)
    undelivered = [index for index, ok in enumerate(delivered) if not ok]
    assert undelivered, "the server was killed too late to prove anything"

    # Back up; the MTA retries every message it did not see a 250 for.
    server = desk.start("mail", "serve", "--port", str(port))
    wait_for(lambda: port_answers(port), 20, "the restarted SMTP intake")
    for index in undelivered:
        assert send(port, messages[index][1], messages[index][0]), desk.logs()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)

    desk.run("worker", "--batch", "--interval", "0")
    assert_each_stored_and_recorded_once(desk, "smtpkill", len(messages))


def test_killed_worker_loses_nothing_and_duplicates_nothing(desk: Desk) -> None:
    port = free_port()
    server = desk.start("mail", "serve", "--port", str(port))
    wait_for(lambda: port_answers(port), 20, "the SMTP intake")
    messages = batch_of("workerkill", 40)
    for sender, raw in messages:
        assert send(port, raw, sender)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)

    processed = ("SELECT COUNT(*) FROM mail_rawmessage WHERE message_id LIKE '<workerkill-%' "
                 "AND state = 'processed'")
    # Small batches, so that some are committed before the kill and one is in flight.
    worker = desk.start("worker", "--batch", "--interval", "0", HEEDFUL_MAIL_BATCH_SIZE="2")
    running = "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    # Kill it in the middle of a job, after a few are done.
    wait_for(lambda: desk.scalar(processed) >= 5 and desk.scalar(running) > 0, 30,
             "the worker to be in the middle of a job")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert desk.scalar(processed) < len(messages), "the worker was killed too late to prove anything"
    left_running = desk.scalar(running)

    time.sleep(1.2)  # older than HEEDFUL_TASK_STALE_SECONDS below
    output = desk.run("worker", "--batch", "--interval", "0", HEEDFUL_TASK_STALE_SECONDS="1")
    if left_running:
        assert f"Requeued {left_running} task(s)" in output
    assert_each_stored_and_recorded_once(desk, "workerkill", len(messages))
    unfinished = desk.scalar("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
                             "WHERE status IN ('READY', 'RUNNING') "
                             "AND task_path = 'heedful.mail.tasks.process_pending_mail'")
    assert unfinished == 0
