"""Where the CPU of the load-test pages goes: each page through Django's test client, DEBUG off, on bench/load.py's data.

Seeds like bench/load.py (same database, LOAD_DATABASE_URL; idempotent), then for each page makes PROFILE_REQUESTS
requests (default 200) as a few of the load users and prints the CPU milliseconds per request (process time, this
process only: PostgreSQL's share is not in it) and the queries per request. ``PROFILE_TOP=N`` (default 0) also
prints the N functions with the most cumulative time under cProfile (``PROFILE_SORT=tottime``: own time); ``PROFILE_PAGES=home,api_campaigns`` picks
pages; ``PROFILE_QUERIES=N`` prints each query of one request with its time (first N characters of the SQL).
A figure to compare before and after a change on the same machine, not a target.

Then, per page, **where the time goes**: a second pass of the same requests with a sampling thread that looks at
the request's stack every ~0.5 ms (wall time, so PostgreSQL's share is in it) and files each sample under the
first of these that the stack holds: *database* (psycopg and Django's backend: the SQL sent, PostgreSQL working,
rows read), *ORM* (querysets built, SQL compiled, rows turned into objects), *translation* (gettext lookups),
*templates* (rendering), *URLs* (reverse/resolve), *view code* (the rest of the view: project Python), *request
cycle* (the rest: the handler, the test client). Two overlapping shares are printed beside it: *outside the view*
(middleware, session and authentication before and after the view, whatever layer they are in) and *permission
scoping* (stacks under a ``permissions.py`` of the project).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from bench import load  # noqa: E402  (sets the database and the environment before Django starts)

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "200"))
TOP = int(os.environ.get("PROFILE_TOP", "0"))
ONLY = [name for name in os.environ.get("PROFILE_PAGES", "").split(",") if name]
QUERIES = int(os.environ.get("PROFILE_QUERIES", "0"))  # >0: print each query of one request, its time, N characters
ROOT = str(Path(__file__).resolve().parent.parent)
LAYERS = (
    ("database", ("/psycopg/", "/django/db/backends/")),
    ("ORM", ("/django/db/models/",)),
    ("translation", ("/django/utils/translation/", "/gettext.py")),
    ("templates", ("/django/template/", "/templatetags/", "/template_partials/")),
    ("URLs", ("/django/urls/",)),
)


def _layer(files: list[str]) -> str:
    for name, markers in LAYERS:
        if any(marker in f for f in files for marker in markers):
            return name
    project = [f for f in files if f.startswith(ROOT) and "/.venv/" not in f and "/bench/" not in f]
    if any(not f.endswith("core/middleware.py") for f in project):
        return "view code"
    return "request cycle"


class Sampler:
    """Samples one thread's stack every ``interval`` seconds and counts layers (see the module docstring)."""

    def __init__(self, thread_id: int, interval: float = 0.0005) -> None:
        self.thread_id, self.interval = thread_id, interval
        self.layers: Counter[str] = Counter()
        self.outside_view = self.permissions = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = sys._current_frames().get(self.thread_id)
            files, in_view = [], False
            while frame is not None:
                code = frame.f_code
                files.append(code.co_filename)
                if code.co_name == "_get_response" and code.co_filename.endswith("django/core/handlers/base.py"):
                    in_view = True
                frame = frame.f_back
            if any(f.endswith("django/core/handlers/base.py") for f in files):  # inside a request
                self.samples += 1
                self.layers[_layer(files)] += 1
                self.outside_view += not in_view
                self.permissions += any(f.startswith(ROOT) and f.endswith("permissions.py") for f in files)
            time.sleep(self.interval)

    def __enter__(self) -> Sampler:
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)  # let the sampler in often enough
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)

    def report(self, wall_ms: float) -> str:
        n = max(self.samples, 1)
        order = [name for name, _ in LAYERS] + ["view code", "request cycle"]
        parts = [f"{name} {100 * self.layers[name] / n:.0f}%" for name in order if self.layers[name]]
        return (
            f"    split of {n} samples: " + ", ".join(parts) + f"; outside the view {100 * self.outside_view / n:.0f}%"
            f", permission scoping {100 * self.permissions / n:.0f}%  (of {wall_ms:.1f} ms wall per request while sampled)"
        )


def main() -> None:
    load.ensure_database()
    data = load.seed()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: pages need the static manifest
    assert not settings.DEBUG, "profile with DEBUG off"
    pages = {
        "trivial": ("/bench/trivial/", "web"),
        "home": ("/", "web"),
        "campaign_overview": (f"/campaigns/{data['campaigns'][0]}/", "web"),
        "risk_register": ("/risks/", "web"),
        "signoff_queue": ("/budgets/awaiting-my-signoff/", "web"),
        "tasks": (f"/campaigns/{data['campaigns'][0]}/tasks/", "web"),
        "gantt": (f"/campaigns/{data['campaigns'][0]}/timeline/", "web"),
        "budget_detail": (f"/budgets/{data['budgets'][0]}/", "web"),
        "member_list": ("/members/", "web"),
        "member_analytics": ("/members/analytics/", "web"),
        "api_campaigns": ("/api/v1/campaigns/", "api"),
        "api_tasks": ("/api/v1/tasks/", "api"),
        "api_risks": ("/api/v1/risks/", "api"),
        "api_members": ("/api/v1/members/", "api"),
    }
    settings.ROOT_URLCONF = "bench.urls"
    users = range(0, len(data["sessions"]), max(len(data["sessions"]) // 5, 1))
    clients = []
    api_client = Client(HTTP_ACCEPT_LANGUAGE="en")
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
                # As API clients call: the token, no session cookie.
                response = api_client.get(path, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")
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
        with Sampler(threading.get_ident()) as sampler:
            started = time.perf_counter()
            for i in range(REQUESTS):
                get(i)
            wall_ms = 1000 * (time.perf_counter() - started) / REQUESTS
        print(sampler.report(wall_ms), flush=True)
        if QUERIES:
            timed: list[tuple[float, str]] = []

            def clock(execute, sql, *args, timed=timed):
                started = time.perf_counter()
                try:
                    return execute(sql, *args)
                finally:
                    timed.append((1000 * (time.perf_counter() - started), sql))

            for i in range(5):
                get(i)
            with connection.execute_wrapper(clock):
                get(0)
            for ms, sql in timed:
                print(f"    {ms:6.2f} ms  {sql[:QUERIES]}")
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(TOP)
            if os.environ.get("PROFILE_CALLERS"):  # who calls the functions matching this (e.g. "copy.py:66")
                stats.print_callers(os.environ["PROFILE_CALLERS"])
            print(out.getvalue())


if __name__ == "__main__":
    main()
