"""Page benchmark: server time and SQL queries of the agent's busiest pages at 100,000 tickets.

    .venv/bin/python bench/pages.py [--tickets 100000] [--events 5] [--db sqlite|postgres|both]
                                    [--pg-url URL] [--samples 200] [--reuse]

Builds (or, with --reuse, keeps) a demo database through heedful.demo.generate in its own data
directory (never var/), then requests, in-process through django.test.Client as a signed-in
agent: the queue "/?queue=all", "/?queue=open&sort=-priority", random ticket pages and the API
list. Prints ONE JSON document on stdout; progress goes to stderr.

Settings read the environment when Django starts, so each database runs in a child process of
this script with its own HEEDFUL_* variables; the parent merges their JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _runner import ROOT, machine, run_children

BUDGET_P95_MS = 50.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/heedful_bench"
AGENT_EMAIL = "mei@heedful.localhost"  # a plain agent who sees every ticket


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5, help="events per ticket, on average")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep a database built earlier")
    parser.add_argument("--data-dir", default="/tmp/heedful-bench")
    parser.add_argument("--profile", default="", help="print a pyinstrument profile of this page")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------------ parent
def run_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load_before = os.getloadavg()
    results = run_children(__file__, databases, data_dir=Path(args.data_dir),
                           sqlite_name="bench.sqlite3", pg_url=args.pg_url)
    document = {
        "benchmark": "pages",
        "command": " ".join(["python bench/pages.py", *sys.argv[1:]]),
        "machine": machine(load_before),
        "params": {"tickets": args.tickets, "events_per_ticket": args.events, "samples": args.samples,
                   "agent": AGENT_EMAIL},
        "budget_p95_ms": BUDGET_P95_MS,
        "databases": results,
        "within_budget": all(r.get("within_budget", False) for r in results.values()),
    }
    print(json.dumps(document, indent=2))


# ------------------------------------------------------------------------------------- child
def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fresh_database(database: str, pg_url: str, data_dir: Path) -> None:
    """Drop what an earlier run left, before Django connects."""
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.rmtree(data_dir / "media", ignore_errors=True)
        return
    import psycopg

    url = pg_url.replace("postgres://", "postgresql://", 1)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_pg_database(pg_url: str) -> None:
    import psycopg

    url = pg_url.replace("postgres://", "postgresql://", 1)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(client: Any, urls: list[str], headers: dict[str, str]) -> dict[str, Any]:
    """Time every URL once (server time in-process), after a short warm-up."""
    for url in urls[:5]:
        client.get(url, **headers)
    timings, statuses, sizes = [], set(), []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
        sizes.append(len(response.content))
    return {
        "samples": len(urls),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "statuses": sorted(statuses),
        "bytes_p50": int(statistics.median(sizes)),
    }


def count_queries(client: Any, url: str, headers: dict[str, str]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return len(captured.captured_queries)


def queue_queries(client: Any, url: str, rows: int) -> int:
    """Queries of a queue page showing `rows` tickets (the page size is a module constant)."""
    from heedful.web.views import queue

    saved = queue.PAGE_SIZE
    queue.PAGE_SIZE = rows
    try:
        return count_queries(client, url, {})
    finally:
        queue.PAGE_SIZE = saved


def run_child(args: argparse.Namespace) -> None:
    database = args.child
    data_dir = Path(os.environ["HEEDFUL_DATA_DIR"])
    if database == "postgres":
        ensure_pg_database(args.pg_url)
    if not args.reuse:
        fresh_database(database, args.pg_url, data_dir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from heedful.demo.generate import generate
    from heedful.people.models import Agent, Contact, ContactIdentity
    from heedful.people.tokens import issue_token
    from heedful.tickets.models import Event, Ticket

    call_command("migrate", verbosity=0)
    build_seconds = None
    existing = Ticket.objects.count()
    if not args.reuse or existing < args.tickets:
        log(f"{database}: building {args.tickets - existing} tickets x {args.events} events")
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 10 or done == total:
                last[0] = time.perf_counter()
                log(f"{database}: {100 * done // total}% ({done}/{total})")

        started = time.perf_counter()
        generate(tickets=args.tickets - existing, seed=1, progress=progress, events_per_ticket=args.events)
        build_seconds = round(time.perf_counter() - started, 1)
        log(f"{database}: built in {build_seconds} s")
    if database == "postgres":
        with connection.cursor() as cursor:  # what autovacuum does on a live system
            cursor.execute("ANALYZE")

    agent = Agent.objects.select_related("user").get(user__username=AGENT_EMAIL)
    client = Client()
    client.force_login(agent.user)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(agent=agent, name='bench')}"}
    rng = random.Random(42)
    low, high = Ticket.objects.order_by("number").values_list("number", flat=True)[0], \
        Ticket.objects.order_by("-number").values_list("number", flat=True)[0]
    numbers = [rng.randint(low, high) for _ in range(args.samples)]
    pages: dict[str, dict[str, Any]] = {}
    n = args.samples
    specs = {
        "queue_all": (["/?queue=all"] * n, {}),
        "queue_open_by_priority": (["/?queue=open&sort=-priority"] * n, {}),
        "ticket": ([f"/tickets/{number}/" for number in numbers], {}),
        "api_ticket_list": (["/api/v1/tickets?limit=50"] * n, bearer),
    }
    if args.profile:
        profile(client, *specs[args.profile])
    for name, (urls, headers) in specs.items():
        log(f"{database}: measuring {name}")
        stats = measure(client, urls, headers)
        stats["url"] = urls[0] if name != "ticket" else "/tickets/<random number>/"
        if name.startswith("queue"):
            stats["queries_10_rows"] = queue_queries(client, urls[0], 10)
            stats["queries_50_rows"] = queue_queries(client, urls[0], 50)
        elif name == "api_ticket_list":
            stats["queries_10_rows"] = count_queries(client, urls[0].replace("limit=50", "limit=10"), headers)
            stats["queries_50_rows"] = count_queries(client, urls[0], headers)
        else:
            counts = [count_queries(client, url, headers) for url in urls[:20]]
            stats["queries_min"], stats["queries_max"] = min(counts), max(counts)
        pages[name] = stats
    web_pages = ("queue_all", "queue_open_by_priority", "ticket")
    result = {
        "database": connection.vendor,
        "build_seconds": build_seconds,
        "rows": {"tickets": Ticket.objects.count(), "events": Event.objects.count(),
                 "contacts": Contact.objects.count(), "identities": ContactIdentity.objects.count()},
        "pages": pages,
        "budget_p95_ms": BUDGET_P95_MS,
        "within_budget": all(pages[p]["p95_ms"] <= BUDGET_P95_MS and pages[p]["statuses"] == [200]
                             for p in web_pages),
        "api_within_budget": pages["api_ticket_list"]["p95_ms"] <= BUDGET_P95_MS,
    }
    print(json.dumps(result))


def profile(client: Any, urls: list[str], headers: dict[str, str]) -> None:
    from pyinstrument import Profiler

    for url in urls[:3]:
        client.get(url, **headers)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for url in urls[:30]:
        client.get(url, **headers)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child:
        sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
        run_child(arguments)
    else:
        run_parent(arguments)
