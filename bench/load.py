"""Concord under load: gunicorn (DEBUG off) on loopback, driven by wrk with 50 logged-in users.

Seeds the demo data (its 5,000 members included) plus LOAD_CAMPAIGNS copies of the Women's Day 2027 campaign
(plan, budget, risks), 50 users with sessions and API tokens, into its own database (LOAD_DATABASE_URL, default
concord_load on the local server); starts gunicorn with the bench settings (the real ones plus a trivial view in a
bench-only urlconf); then runs each scenario for LOAD_SECONDS (default 30) after a short warm-up:

* trivial — ``/bench/trivial/`` through the same middleware with the same session cookies: the ceiling;
* pages (session cookie): home, campaign overview, task list, Gantt (timeline), budget detail, risk register,
  sign-off queue, member list, member analytics;
* API lists (token): ``/api/v1/campaigns/``, ``tasks/``, ``risks/``, ``members/``;
* mix — a working day (SPEC 10.7): home 30 %, campaign overview 20 %, task list 20 %, risk register 10 %,
  sign-off queue 10 %, API lists 10 % (2.5 % each);
* trivial_again — the ceiling once more; the ratios use the mean of the two trivial runs.

The load users are all members of the campaigns' team (3 leads, 5 deputies, the rest members; 3 in 10 also
hold an approver role). Every page above is open to all of them: the member pages and the members API show a
team member the members their team's campaigns brought in, an approver all members (members.permissions.
member_list_for; no org role needed), masked; so each request picks any of the 50 users. check_pages() asks every scenario's first and last
path as a lead and as a plain team member without an org role, and wants a 200 logged-in page (or a non-empty
API list).

The server runs as production does: Redis for the cache and the page cache (core/pagecache.py) — its own
database, LOAD_REDIS_URL (default redis://127.0.0.1:6379/7), emptied first — and every worker's metrics added up;
wrk sends a CSRF cookie with the session, as a browser does (the page cache keeps a page only for a browser with
one). Each scenario also prints the share of its logged-in GETs answered from the page cache (from /metrics);
LOAD_PAGE_CACHE=0 turns the page cache off, so every page is rendered.

Prints throughput, p50/p95/p99 latency and errors (socket errors, requests over wrk's 10 s timeout, any status
other than 200) per scenario, and each scenario's throughput as a share of the trivial view's (SPEC 10.7 aims:
≥ 0.5 the API lists, ≥ 0.3 home, risk register and sign-off queue, ≥ 0.2 campaign overview; the other pages are
reported without one). The machine is shared, so throughput drifts with its load; the CPU that gunicorn and
PostgreSQL spend per request is printed too, and its ratio to the trivial view's is the load-independent
estimate of the same share. After every wrk run the script waits until gunicorn is idle again (wait_idle), so
the requests a run left in flight do not count against the next one.

Memory (SPEC 10.7: a web worker ≤ 250 MB after 10,000 mixed requests, and not growing): the RSS (VmRSS) of each
gunicorn worker is read after half the scenarios and again at the end; if the runs served fewer than 10,000
requests in all (warm-ups and checks included), a last run of the mix tops them up first. Prints the largest
worker's RSS, the largest growth of one worker between the two readings, and how many requests they come after.
Needs wrk (Debian package ``wrk``; ``make bench`` installs it).
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_load")
SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))
WARMUP = int(os.environ.get("LOAD_WARMUP_SECONDS", "3"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
CAMPAIGNS = int(os.environ.get("LOAD_CAMPAIGNS", "100"))
# The server's Redis (a database of its own, emptied at the start) and the page cache (core/pagecache.py), on as in
# production; LOAD_PAGE_CACHE=0 measures every page rendered.
REDIS = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
PAGE_CACHE = "0" if os.environ.get("LOAD_PAGE_CACHE", "1") == "0" else "1"
METRICS_DIR = tempfile.mkdtemp(prefix="concord-load-metrics-")
CORES = os.cpu_count() or 1
WORKERS = int(os.environ.get("LOAD_WORKERS", str(2 * CORES + 1)))
THREADS = int(os.environ.get("LOAD_THREADS", "2"))
# A comma-separated subset of the scenarios (e.g. "trivial,home,api_campaigns,trivial_again"); empty: all of them.
ONLY = [name.strip() for name in os.environ.get("LOAD_SCENARIOS", "").split(",") if name.strip()]
os.environ["DATABASE_URL"] = URL
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # seeding sends its few emails in-process, into memory
os.environ["EMAIL_URL"] = "memorymail://"
os.environ["LOG_LEVEL"] = "WARNING"
# The sessions written while seeding must verify on the server: one key for both.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))

# SPEC 10.7: each scenario's throughput as a share of the trivial view's.
TARGETS = {
    "home": 0.3,
    "risk_register": 0.3,
    "signoff_queue": 0.3,
    "campaign_overview": 0.2,
    "api_campaigns": 0.5,
    "api_tasks": 0.5,
    "api_risks": 0.5,
    "api_members": 0.5,
}
MEMORY_REQUESTS = 10_000  # SPEC 10.7: worker RSS after this many mixed requests
TOPUP_LIMIT = int(os.environ.get("LOAD_TOPUP_LIMIT_SECONDS", "600"))  # the most the top-up run may take


def ensure_database() -> None:
    import psycopg

    parsed = urlparse(URL)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict:
    """Demo data at scale (idempotent); returns the paths and the users' session keys and tokens."""
    import datetime as dt

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from knox.models import AuthToken

    from budgets.demo import WD_2027_LINES
    from budgets.models import Budget
    from budgets.services import budget_create, budget_submit
    from campaigns.models import Campaign, Task
    from campaigns.services import campaign_copy
    from core.roles import OrgRole, TeamRole
    from members.models import Member
    from risks.alerts import refresh_alert_levels
    from risks.models import Risk
    from teams.models import TeamMembership, User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    source = Campaign.objects.get(code="WD-2027")
    lead = User.objects.get(username="lead")
    team = source.team
    approver_groups = [Group.objects.get(name=role) for role in
                       (OrgRole.FINANCE_APPROVER, OrgRole.MARKETING_APPROVER, OrgRole.TECH_APPROVER)]  # fmt: skip
    people = []
    for i in range(USERS):
        user, created = User.objects.get_or_create(
            username=f"load-{i:02d}",
            defaults={"display_name": f"Load user {i}", "email": f"load-{i:02d}@concord.example", "language": "en",
                      "password": "!unusable"},
        )  # fmt: skip
        if created:
            role = TeamRole.LEAD if i < 3 else TeamRole.DEPUTY if i < 8 else TeamRole.MEMBER
            TeamMembership.objects.create(team=team, user=user, role=role)
            if i % 10 < 3:
                user.groups.add(approver_groups[i % 10])
        people.append(user)
    have = Campaign.objects.filter(code__startswith="LOAD-").count()
    source_risks = list(Risk.objects.filter(campaign=source))
    for i in range(have, CAMPAIGNS):
        with transaction.atomic():
            start = source.start_date + dt.timedelta(days=7 * (i - CAMPAIGNS // 2))
            copy = campaign_copy(actor=lead, source=source, code=f"LOAD-{i:03d}", name=f"壓測活動 Load {i}",
                                 start_date=start)  # fmt: skip
            budget = budget_create(actor=lead, campaign=copy, total="30000000.00", lines=WD_2027_LINES)
            if i % 2 == 0:
                budget_submit(budget=budget, actor=lead)
            shift = start - source.start_date
            Risk.objects.bulk_create(
                Risk(campaign=copy, title=r.title, category=r.category, description=r.description,
                     owner=people[(i + n) % USERS], probability=r.probability, impact=r.impact,
                     expected_date=r.expected_date + shift if r.expected_date else None, status=r.status,
                     contingency_plan=r.contingency_plan)
                for n, r in enumerate(source_risks)
            )  # fmt: skip
            tasks = list(Task.objects.filter(campaign=copy).order_by("pk"))
            for n, task in enumerate(tasks):
                task.owner = people[(i + n) % USERS]
            Task.objects.bulk_update(tasks, ["owner"])
    refresh_alert_levels()
    sessions, tokens = [], []
    for user in people:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
        tokens.append(AuthToken.objects.create(user=user)[1])
    campaign_ids = list(Campaign.objects.filter(code__startswith="LOAD-").order_by("pk").values_list("pk", flat=True))
    budget_ids = list(
        Budget.objects.filter(campaign__code__startswith="LOAD-").order_by("pk").values_list("pk", flat=True)
    )
    counts = {
        "campaigns": Campaign.objects.count(),
        "tasks": Task.objects.count(),
        "risks": Risk.objects.count(),
        "budgets": Budget.objects.count(),
        "members": Member.objects.count(),
        "members of the load team's campaigns": Member.objects.filter(source_campaign__team=team).count(),
        "users": User.objects.count(),
    }
    print(f"seeded in {time.perf_counter() - started:.1f}s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    # A plain team member without an org role (see the roles above), besides user 0 (a lead), for check_pages.
    plain = next((i for i in range(USERS) if i >= 8 and i % 10 >= 3), 0)
    return {"sessions": sessions, "tokens": tokens, "campaigns": campaign_ids, "budgets": budget_ids, "plain": plain}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONPATH=str(ROOT),
        # As in production: Redis for the cache (and the page cache's versions, shared by the workers) and the
        # request metrics of every worker added up, so the page cache's hits can be read from /metrics.
        REDIS_URL=REDIS,
        REDIS_KEY_PREFIX="concord-load",
        PAGE_CACHE=PAGE_CACHE,
        PROMETHEUS_MULTIPROC_DIR=METRICS_DIR,
    )
    return env


def reset_redis() -> None:
    """Empty the load run's own Redis database: no page kept from an earlier run, no task left queued."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def cache_counts(port: int) -> dict[str, float]:
    """The page cache's hit/miss/pass counts so far, all workers (from /metrics); shared_* for shared parts."""
    counts = {"hit": 0.0, "miss": 0.0, "pass": 0.0, "shared_hit": 0.0, "shared_miss": 0.0, "shared_pass": 0.0}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return counts
    for line in text.splitlines():
        if line.startswith("concord_page_cache_total{"):
            result = line.split('result="', 1)[1].split('"', 1)[0]
            counts[result] = float(line.rsplit(" ", 1)[1])
    return counts


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def start_server(port: int) -> subprocess.Popen:
    env = server_env()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
        "--log-level", "warning", "--backlog", "2048",
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial/", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


LUA = r"""
local paths = %(paths)s
local sessions = %(sessions)s
local tokens = %(tokens)s
local threads = {}
non200 = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  local p = paths[math.random(#paths)]
  local u = math.random(#sessions)
  local headers = {["Accept-Language"] = "en"}
  if p[2] == "api" then
    headers["Authorization"] = "Token " .. tokens[u]
    headers["Accept"] = "application/json"
  else
    -- a browser's CSRF cookie too (any 32 letters and digits: the session key is one); the page cache keeps a
    -- page only for a browser that has one, as its CSRF token is masked from it
    headers["Cookie"] = "sessionid=" .. sessions[u] .. "; csrftoken=" .. sessions[u]
  end
  return wrk.format("GET", p[1], headers)
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  io.write(string.format(
    "LOADRESULT {\"requests\": %%d, \"duration_us\": %%d, \"p50_us\": %%d, \"p95_us\": %%d, \"p99_us\": %%d, " ..
    "\"socket_errors\": %%d, \"timeouts\": %%d, \"non200\": %%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write, e.timeout, bad))
end
"""


def lua_list(items) -> str:
    return "{" + ", ".join(lua_value(item) for item in items) + "}"


def lua_value(item) -> str:
    if isinstance(item, (list, tuple)):
        return lua_list(item)
    return json.dumps(item)


def scenarios(data: dict) -> dict[str, list[tuple[str, str]]]:
    campaign = [(f"/campaigns/{pk}/", "web") for pk in data["campaigns"]]
    tasks = [(f"/campaigns/{pk}/tasks/", "web") for pk in data["campaigns"]]  # the list view (the default)
    gantt = [(f"/campaigns/{pk}/timeline/", "web") for pk in data["campaigns"]]
    budgets = [(f"/budgets/{pk}/", "web") for pk in data["budgets"]]
    home = [("/", "web")]
    risks = [("/risks/", "web")]
    queue = [("/budgets/awaiting-my-signoff/", "web")]
    apis = {name: [(f"/api/v1/{name}/", "api")] for name in ("campaigns", "tasks", "risks", "members")}
    # The mix (SPEC 10.7), per 40 requests: 12 home (30 %), 8 campaign overviews (20 %), 8 task lists (20 %),
    # 4 risk registers (10 %), 4 sign-off queues (10 %), 4 API lists (10 %: one of each). wrk picks a path
    # uniformly, so each part is repeated n times, n = the number of campaigns (each campaign's pages once).
    n = len(campaign)
    mix = home * 12 * n + campaign * 8 + tasks * 8 + risks * 4 * n + queue * 4 * n
    for api in apis.values():
        mix += api * n
    return {
        "trivial": [("/bench/trivial/", "web")],
        "home": home,
        "campaign_overview": campaign,
        "tasks": tasks,
        "gantt": gantt,
        "budget_detail": budgets,
        "risk_register": risks,
        "signoff_queue": queue,
        "member_list": [("/members/", "web")],
        "member_analytics": [("/members/analytics/", "web")],
        **{f"api_{name}": api for name, api in apis.items()},
        "mix": mix,
        "trivial_again": [("/bench/trivial/", "web")],  # the ceiling once more: the machine's load drifts
    }


def check_pages(port: int, data: dict, plan: dict) -> int:
    """Every scenario's first and last path answers 200 (not a redirect to the login page) for user 0 (a lead)
    and for a plain team member without an org role; an API list is not empty. Returns the requests made."""
    made = 0
    for name, paths in plan.items():
        for path, kind in sorted(set(paths[:1] + paths[-1:])):
            for user in sorted({0, data["plain"]}):
                headers = {"Authorization": f"Token {data['tokens'][user]}"} if kind == "api" else {
                    "Cookie": f"sessionid={data['sessions'][user]}"}  # fmt: skip
                request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
                opener = urllib.request.build_opener(NoRedirect)
                made += 1
                with opener.open(request, timeout=30) as response:
                    body = response.read()
                    if response.status != 200:
                        raise SystemExit(f"{name}: {path} answered {response.status} to load user {user}")
                if kind == "web" and not name.startswith("trivial") and b"logout" not in body.lower():
                    raise SystemExit(f"{name}: {path} is not a logged-in page for load user {user}")
                if kind == "api" and not json.loads(body).get("count"):
                    raise SystemExit(f"{name}: {path} lists nothing to load user {user}")
    return made


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads


def server_cpu(server: subprocess.Popen) -> dict[int, float]:
    """CPU seconds used so far by gunicorn's processes and by the PostgreSQL backends serving this database."""
    import psycopg

    pids = {server.pid}
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        pids.update(int(pid) for pid in (task / "children").read_text().split())
    with psycopg.connect(URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    pids.update(row[0] for row in rows)
    return {pid: cpu for pid in pids if (cpu := _cpu_seconds(pid)) is not None}


def worker_rss(server: subprocess.Popen) -> dict[int, float]:
    """VmRSS in MB (MiB) of each gunicorn worker: the master's children."""
    rss = {}
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), None)
            if kib is not None:
                rss[int(pid)] = kib / 1024
    return rss


def wait_idle(server: subprocess.Popen, limit: float = 120.0) -> float:
    """Wait until gunicorn has answered what a wrk run left behind, and return how long that took. wrk closes its
    connections when its time is up, but the server still works through the requests they had sent (one per
    connection, plus what queued behind the busy workers); unchecked, that work runs into the next scenario and
    drags it down, and a slow page makes the lag snowball. Idle: under 10 % of one core for half a second."""
    started = time.monotonic()

    def busy() -> float:
        pids = [server.pid]
        for task in Path(f"/proc/{server.pid}/task").iterdir():
            pids.extend(int(pid) for pid in (task / "children").read_text().split())
        return sum(cpu for pid in pids if (cpu := _cpu_seconds(pid)) is not None)

    previous = busy()
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        now = busy()
        if now - previous < 0.05:
            break
        previous = now
    return time.monotonic() - started


def run_wrk(port: int, script: Path, seconds: int) -> dict:
    command = ["wrk", "-t", "2", "-c", str(USERS), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script),
               f"http://127.0.0.1:{port}"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    [line] = [line for line in out.splitlines() if line.startswith("LOADRESULT ")]
    return json.loads(line.removeprefix("LOADRESULT "))


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/load.py needs wrk: apt-get install wrk (make bench does this)")
    ensure_database()
    data = seed()
    plan = scenarios(data)
    if ONLY:
        unknown = sorted(set(ONLY) - set(plan))
        if unknown:
            raise SystemExit(f"LOAD_SCENARIOS: no scenario {', '.join(unknown)} (there are {', '.join(plan)})")
        plan = {name: paths for name, paths in plan.items() if name in ONLY or name.startswith("trivial")}
    mix_paths = scenarios(data)["mix"]  # for the memory top-up, also when LOAD_SCENARIOS leaves the mix out
    port = free_port()
    reset_redis()
    server = start_server(port)
    results: dict[str, dict] = {}
    served = 1  # start_server's answered probe
    rss_mid: dict[int, float] = {}
    served_mid = 0
    topup: dict | None = None
    try:
        served += check_pages(port, data, plan)
        with tempfile.TemporaryDirectory() as tmp:

            def lua_script(name: str, paths: list[tuple[str, str]]) -> Path:
                script = Path(tmp) / f"{name}.lua"
                script.write_text(
                    LUA
                    % {
                        "paths": lua_list(paths),
                        "sessions": lua_list(data["sessions"]),
                        "tokens": lua_list(data["tokens"]),
                    }  # fmt: skip
                )
                return script

            for number, (name, paths) in enumerate(plan.items(), start=1):
                script = lua_script(name, paths)
                drained = 0.0
                if WARMUP:
                    served += run_wrk(port, script, WARMUP)["requests"]
                    drained += wait_idle(server)
                counted = cache_counts(port)
                before = server_cpu(server)
                result = run_wrk(port, script, SECONDS)
                served += result["requests"]
                after = server_cpu(server)
                counts = cache_counts(port)
                asked = {k: counts[k] - counted[k] for k in counts}
                pages = asked["hit"] + asked["miss"] + asked["pass"]
                result["cache_hits"] = asked["hit"] / max(pages, 1)
                shared = asked["shared_hit"] + asked["shared_miss"] + asked["shared_pass"]
                result["shared_hits"] = asked["shared_hit"] / shared if shared else None
                result["cpu_s"] = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
                result["cpu_ms_per_req"] = 1000 * result["cpu_s"] / max(result["requests"], 1)
                result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
                result["errors"] = result["socket_errors"] + result["timeouts"] + result["non200"]
                result["loadavg"] = os.getloadavg()[0]
                drained += wait_idle(server)
                results[name] = result
                print(f"  {name}: {result['rps']:.1f} req/s, p95 {result['p95_us'] / 1000:.0f} ms "
                      f"(the server finished the runs' leftover requests in {drained:.1f}s)", flush=True)  # fmt: skip
                if number == len(plan) // 2:
                    rss_mid, served_mid = worker_rss(server), served
            if served < MEMORY_REQUESTS:
                # Top up with the mix to SPEC 10.7's 10,000 requests before the memory reading: runs of at most
                # a minute, each sized from the last one's rate, for at most TOPUP_LIMIT seconds in all.
                script = lua_script("mix_topup", mix_paths)
                rate = results["mix"]["rps"] if "mix" in results else 50.0
                topup = {"requests": 0, "seconds": 0, "errors": 0}
                while served < MEMORY_REQUESTS and topup["seconds"] < TOPUP_LIMIT:
                    seconds = math.ceil(1.1 * (MEMORY_REQUESTS - served) / max(rate, 1.0))
                    seconds = max(2, min(60, seconds, TOPUP_LIMIT - topup["seconds"]))
                    result = run_wrk(port, script, seconds)
                    wait_idle(server)
                    served += result["requests"]
                    topup["requests"] += result["requests"]
                    topup["seconds"] += seconds
                    topup["errors"] += result["socket_errors"] + result["timeouts"] + result["non200"]
                    rate = result["requests"] / (result["duration_us"] / 1e6)
                short = "" if served >= MEMORY_REQUESTS else f"; stopped after {TOPUP_LIMIT}s, short of that"
                print(f"  mix_topup: {topup['requests']} requests in {topup['seconds']}s, {topup['errors']} errors "
                      f"(to reach {MEMORY_REQUESTS:,} requests before the memory reading{short})", flush=True)  # fmt: skip
        rss_end = worker_rss(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ceiling = (results["trivial"]["rps"] + results["trivial_again"]["rps"]) / 2
    floor_cpu = (results["trivial"]["cpu_ms_per_req"] + results["trivial_again"]["cpu_ms_per_req"]) / 2
    print(f"\nLoad: {USERS} users, {SECONDS}s per scenario, gunicorn {WORKERS} workers x {THREADS} threads "
          f"(gthread), DEBUG off, {CORES} cores shared with wrk; trivial ceiling {ceiling:.1f} req/s (mean of two runs); "
          "loadavg = the machine's 1-minute load at the end of each run;\n"
          f"cpu ms/req = CPU of gunicorn and of this database's PostgreSQL backends per request (trivial: "
          f"{floor_cpu:.2f} ms); cpu ratio = trivial's cpu ms/req ÷ the scenario's, what the throughput ratio would "
          "be on an otherwise idle machine")  # fmt: skip
    print(f"page cache {'on' if PAGE_CACHE == '1' else 'off (LOAD_PAGE_CACHE=0)'}; hits = the share of the run's "
          "logged-in GETs answered from it (the rest rendered: the first look of each user at each page, and pages "
          "it never keeps); shared = of the rendered pages with parts shared by readers alike (the overview), the "
          "share whose parts were taken from the cache")  # fmt: skip
    print(f"{'scenario':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9} "
          f"{'÷trivial':>9} {'loadavg':>8} {'cpu ms/req':>10} {'cpu ratio':>9} {'hits':>5} {'shared':>6}  "
          "(errors: socket/timeout/non-200)")  # fmt: skip
    for name, r in results.items():
        print(f"{name:<18} {r['rps']:>8.1f} {r['p50_us'] / 1000:>8.1f} {r['p95_us'] / 1000:>8.1f} "
              f"{r['p99_us'] / 1000:>8.1f} {r['errors']:>7} {r['requests']:>9} {r['rps'] / ceiling:>9.2f} {r['loadavg']:>8.1f} "
              f"{r['cpu_ms_per_req']:>10.2f} {floor_cpu / r['cpu_ms_per_req']:>9.2f} {r['cache_hits']:>5.0%} {_share(r['shared_hits']):>6}  "
              f"{r['socket_errors']}/{r['timeouts']}/{r['non200']}")  # fmt: skip
    for name, r in results.items():
        print(f"BENCH name=load_{name}_rps value={r['rps']:.1f} unit=req/s")
        print(f"BENCH name=load_{name}_p95 value={r['p95_us'] / 1000:.1f} unit=ms")
        print(f"BENCH name=load_{name}_cpu_per_request value={r['cpu_ms_per_req']:.2f} unit=ms")
        print(f"BENCH name=load_{name}_errors value={r['errors']} unit=count target=0 cmp=<=")
        print(f"BENCH name=load_{name}_page_cache_hits value={100 * r['cache_hits']:.0f} unit=%")
        if r["shared_hits"] is not None:
            print(f"BENCH name=load_{name}_shared_part_hits value={100 * r['shared_hits']:.0f} unit=%")
        if name in TARGETS:
            print(f"BENCH name=load_{name}_vs_trivial value={r['rps'] / ceiling:.2f} unit=ratio "
                  f"target={TARGETS[name]} cmp=>=")  # fmt: skip
            print(f"BENCH name=load_{name}_cpu_vs_trivial value={floor_cpu / r['cpu_ms_per_req']:.2f} unit=ratio")
    if topup is not None:
        print(f"BENCH name=load_mix_topup_errors value={topup['errors']} unit=count target=0 cmp=<=")
    print(f"\nWeb workers' RSS (VmRSS, MB) after {served_mid:,} requests (half the scenarios) and after {served:,} "
          f"(all of them{', and a top-up run of the mix' if topup else ''}; the requests answered to wrk, warm-ups "
          "included, and to the checks; not the leftovers of a run's closed connections, which the server also "
          "works through):")  # fmt: skip
    for pid in sorted(set(rss_mid) | set(rss_end)):
        mid, end = rss_mid.get(pid), rss_end.get(pid)
        print(f"  worker {pid}: {'gone' if mid is None else f'{mid:.0f}'} -> "
              f"{'gone' if end is None else f'{end:.0f}'}")  # fmt: skip
    both = [pid for pid in rss_end if pid in rss_mid]
    if len(both) < len(rss_end) or len(both) < len(rss_mid):
        print("  (a worker was replaced between the readings: its growth is not counted)")
    print(f"BENCH name=web_requests_served value={served} unit=requests")
    if rss_end:
        print(f"BENCH name=web_worker_rss value={max(rss_end.values()):.0f} unit=MB target=250 cmp=<=")
    if both:
        growth = max(rss_end[pid] - rss_mid[pid] for pid in both)
        print(f"BENCH name=web_worker_rss_growth value={growth:.1f} unit=MB")


if __name__ == "__main__":
    main()
