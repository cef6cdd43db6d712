"""Concord under load: gunicorn (DEBUG off) on loopback, driven by wrk with 50 logged-in users.

Seeds the demo data plus LOAD_CAMPAIGNS copies of the Women's Day 2027 campaign (plan, budget, risks), 50 users
with sessions and API tokens, into its own database (LOAD_DATABASE_URL, default concord_load on the local
server); starts gunicorn with the bench settings (the real ones plus a trivial view in a bench-only urlconf);
then runs each scenario for LOAD_SECONDS (default 30) after a short warm-up:

* trivial — ``/bench/trivial/`` through the same middleware with the same session cookies: the ceiling;
* home, campaign overview, risk register, sign-off queue (pages, session cookie), campaigns API list (token);
* mix — all of the above but the trivial view, weighted like a working day;
* trivial_again — the ceiling once more; the ratios use the mean of the two trivial runs.

Prints throughput, p50/p95/p99 latency and errors (socket errors, requests over wrk's 10 s timeout, any status
other than 200) per scenario,
and each scenario's throughput as a share of the trivial view's (aims: ≥ 0.3 home, ≥ 0.5 API list). The
machine is shared, so throughput drifts with its load; the CPU that gunicorn and PostgreSQL spend per request
is printed too, and its ratio to the trivial view's is the load-independent estimate of the same share.
Needs wrk (Debian package ``wrk``; ``make bench`` installs it).
"""

from __future__ import annotations

import io
import json
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

TARGETS = {"home": 0.3, "api_campaigns": 0.5}


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
    from budgets.services import budget_create, budget_submit
    from campaigns.models import Campaign, Task
    from campaigns.services import campaign_copy
    from core.roles import OrgRole, TeamRole
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
    counts = {
        "campaigns": Campaign.objects.count(),
        "tasks": Task.objects.count(),
        "risks": Risk.objects.count(),
        "users": User.objects.count(),
    }
    print(f"seeded in {time.perf_counter() - started:.1f}s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return {"sessions": sessions, "tokens": tokens, "campaigns": campaign_ids}


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
    )
    return env


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
    headers["Cookie"] = "sessionid=" .. sessions[u]
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
    home = [("/", "web")]
    risks = [("/risks/", "web")]
    queue = [("/budgets/awaiting-my-signoff/", "web")]
    api = [("/api/v1/campaigns/", "api")]
    # The mix, per 20 requests: 5 home, 4 campaign overviews, 4 risk registers, 4 API lists, 3 sign-off queues.
    mix = home * 5 * len(campaign) + campaign * 4 + risks * 4 * len(campaign) + api * 4 * len(campaign)
    mix += queue * 3 * len(campaign)
    return {
        "trivial": [("/bench/trivial/", "web")],
        "home": home,
        "campaign_overview": campaign,
        "risk_register": risks,
        "signoff_queue": queue,
        "api_campaigns": api,
        "mix": mix,
        "trivial_again": [("/bench/trivial/", "web")],  # the ceiling once more: the machine's load drifts
    }


def check_pages(port: int, data: dict, plan: dict) -> None:
    """Every path answers 200 (not a redirect to the login page) for a logged-in load user."""
    for name, paths in plan.items():
        for path, kind in set(paths[:1] + paths[-1:]):
            headers = {"Authorization": f"Token {data['tokens'][0]}"} if kind == "api" else {
                "Cookie": f"sessionid={data['sessions'][0]}"}  # fmt: skip
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            opener = urllib.request.build_opener(NoRedirect)
            with opener.open(request, timeout=30) as response:
                body = response.read()
                if response.status != 200:
                    raise SystemExit(f"{name}: {path} answered {response.status}")
            if kind == "web" and not name.startswith("trivial") and b"logout" not in body.lower():
                raise SystemExit(f"{name}: {path} is not a logged-in page")


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
    port = free_port()
    server = start_server(port)
    results: dict[str, dict] = {}
    try:
        check_pages(port, data, plan)
        with tempfile.TemporaryDirectory() as tmp:
            for name, paths in plan.items():
                script = Path(tmp) / f"{name}.lua"
                script.write_text(
                    LUA
                    % {
                        "paths": lua_list(paths),
                        "sessions": lua_list(data["sessions"]),
                        "tokens": lua_list(data["tokens"]),
                    }  # fmt: skip
                )
                if WARMUP:
                    run_wrk(port, script, WARMUP)
                before = server_cpu(server)
                result = run_wrk(port, script, SECONDS)
                after = server_cpu(server)
                result["cpu_s"] = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
                result["cpu_ms_per_req"] = 1000 * result["cpu_s"] / max(result["requests"], 1)
                result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
                result["errors"] = result["socket_errors"] + result["timeouts"] + result["non200"]
                result["loadavg"] = os.getloadavg()[0]
                results[name] = result
                print(f"  {name}: {result['rps']:.1f} req/s, p95 {result['p95_us'] / 1000:.0f} ms", flush=True)
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
    print(f"{'scenario':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9} "
          f"{'÷trivial':>9} {'loadavg':>8} {'cpu ms/req':>10} {'cpu ratio':>9}  (errors: socket/timeout/non-200)")  # fmt: skip
    for name, r in results.items():
        print(f"{name:<18} {r['rps']:>8.1f} {r['p50_us'] / 1000:>8.1f} {r['p95_us'] / 1000:>8.1f} "
              f"{r['p99_us'] / 1000:>8.1f} {r['errors']:>7} {r['requests']:>9} {r['rps'] / ceiling:>9.2f} {r['loadavg']:>8.1f} "
              f"{r['cpu_ms_per_req']:>10.2f} {floor_cpu / r['cpu_ms_per_req']:>9.2f}  "
              f"{r['socket_errors']}/{r['timeouts']}/{r['non200']}")  # fmt: skip
    for name, r in results.items():
        print(f"BENCH name=load_{name}_rps value={r['rps']:.1f} unit=req/s")
        print(f"BENCH name=load_{name}_p95 value={r['p95_us'] / 1000:.1f} unit=ms")
        print(f"BENCH name=load_{name}_cpu_per_request value={r['cpu_ms_per_req']:.2f} unit=ms")
        print(f"BENCH name=load_{name}_errors value={r['errors']} unit=count target=0 cmp=<=")
        if name in TARGETS:
            print(f"BENCH name=load_{name}_vs_trivial value={r['rps'] / ceiling:.2f} unit=ratio "
                  f"target={TARGETS[name]} cmp=>=")  # fmt: skip
            print(f"BENCH name=load_{name}_cpu_vs_trivial value={floor_cpu / r['cpu_ms_per_req']:.2f} unit=ratio")


if __name__ == "__main__":
    main()
