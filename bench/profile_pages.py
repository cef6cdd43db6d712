"""Where the CPU of the load-test pages goes: each page through Django's test client, DEBUG off, on bench/load.py's data.

Seeds like bench/load.py (same database, LOAD_DATABASE_URL; idempotent), then for each page makes PROFILE_REQUESTS
requests (default 200) as a few of the load users and prints the CPU milliseconds per request (process time, this
process only: PostgreSQL's share is not in it) and the queries per request. ``PROFILE_TOP=N`` (default 0) also
prints the N functions with the most cumulative time under cProfile; ``PROFILE_PAGES=home,api_campaigns`` picks
pages. A figure to compare before and after a change on the same machine, not a target.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from bench import load  # noqa: E402  (sets the database and the environment before Django starts)

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "200"))
TOP = int(os.environ.get("PROFILE_TOP", "0"))
ONLY = [name for name in os.environ.get("PROFILE_PAGES", "").split(",") if name]


def main() -> None:
    load.ensure_database()
    data = load.seed()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    assert not settings.DEBUG, "profile with DEBUG off"
    pages = {
        "trivial": ("/bench/trivial/", "web"),
        "home": ("/", "web"),
        "campaign_overview": (f"/campaigns/{data['campaigns'][0]}/", "web"),
        "risk_register": ("/risks/", "web"),
        "signoff_queue": ("/budgets/awaiting-my-signoff/", "web"),
        "api_campaigns": ("/api/v1/campaigns/", "api"),
    }
    settings.ROOT_URLCONF = "bench.urls"
    users = range(0, len(data["sessions"]), max(len(data["sessions"]) // 5, 1))
    clients = []
    for u in users:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.cookies[settings.SESSION_COOKIE_NAME] = data["sessions"][u]
        clients.append((client, data["tokens"][u]))
    for name, (path, kind) in pages.items():
        if ONLY and name not in ONLY:
            continue

        def get(i: int, path: str = path, kind: str = kind):
            client, token = clients[i % len(clients)]
            if kind == "api":
                response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")
            else:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        for i in range(10):
            get(i)
        queries: list[str] = []

        def count(execute, sql, *args, queries=queries):
            queries.append(sql)
            return execute(sql, *args)

        # Not CaptureQueriesContext: Django empties the query log when a request starts.
        with connection.execute_wrapper(count):
            get(0)
        profiler = cProfile.Profile() if TOP else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        for i in range(REQUESTS):
            get(i)
        if profiler:
            profiler.disable()
        cpu_ms = 1000 * (time.process_time() - started) / REQUESTS
        print(f"{name:<18} {cpu_ms:7.2f} ms CPU/request  {len(queries):3d} queries  {path}", flush=True)
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(TOP)
            print(out.getvalue())


if __name__ == "__main__":
    main()
