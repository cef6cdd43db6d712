"""Scale out, proven on one machine (issue 19): two web nodes behind HAProxy, two Celery workers and one beat on
one PostgreSQL and one Redis; one web node and one worker SIGKILLed in the middle of the run.

What it starts (all on loopback, all in their own process groups, all stopped at the end — also on Ctrl-C):

* a private database (``SCALEOUT_DATABASE``, default ``concord_scaleout``; dropped first if a crashed run left
  it, dropped at the end), seeded with bench/load.py's builders (the demo data, ``LOAD_CAMPAIGNS`` copies of the
  Women's Day campaign — 20 here — and 50 users with sessions and API tokens) plus 2,000 meeting participants;
* Redis: an empty database number (15 down to 1), a private key prefix (``REDIS_KEY_PREFIX``) and a private queue
  name, so nothing collides with another run on the same Redis; the run's keys are deleted at the end;
* two web nodes: gunicorn, 2 gthread workers × 2 threads each, DEBUG off, on two free ports;
* HAProxy (Debian package) on a free port in front of them: least connections, at most 6 requests at a time per
  node (the rest queue in HAProxy), health check ``GET /healthz`` every second, a node marked down at its first
  refused or dropped connection, ``retries 3`` + ``option redispatch`` + ``retry-on conn-failure empty-response``
  for GET/HEAD, so a request that a dead node dropped is sent to the other node instead of failing;
* two Celery workers, each consuming the default queue and ``<queue>.imports`` (concurrency 2), so either one can
  take over everything the other held; and one beat (django-celery-beat's database scheduler) whose reminder,
  alert-refresh, escalation, import-watchdog and email-sweep jobs are switched to run every 5–10 s (production:
  every 15 min, daily, hourly, every minute, every 2 min), and ``CELERY_VISIBILITY_TIMEOUT=60`` (production
  default: 3600) so the broker's redelivery of the killed worker's tasks happens inside the run too.

Then, through the balancer with wrk (bench/load.py's Lua script, users and working-day mix): a warm-up, a
``SCALEOUT_SECONDS`` run with both nodes (before), a run during which one web node and one worker are SIGKILLed
(their whole process groups, as if the machine died) — the worker that holds the member import — and a run on
what is left (after). At the start of the kill window it makes the exactly-once machinery work:

* reminders: 20 meetings one hour away, 100 participants each (two reminders each: the meeting and the status
  update), sent by beat's reminder job;
* risk alerts: 1,200 new risks whose dates put them in blue, yellow or red (the refresh records each rise and
  notifies owner, and the campaign lead of red ones), and after the kill their dates move so that every one not
  red yet rises to red; 150 red risks unacknowledged for 25 hours (the 24-hour escalation to the campaign lead);
* a member import of 20,000 distinct rows (CSV) uploaded through the balancer to the API, imported in batches of
  500 by a worker; the worker killed is the one running it, if it is still running by then.

At the end (once everything has been worked off, and once the broker has redelivered what the killed worker held)
it checks in the database and in the email files: every (meeting, participant, kind) reminder recorded and notified
once; every (risk, level) rise recorded once and its notifications sent once to each recipient; every escalation
notified once; every email (rendered again here from its notification and compared with the files the workers
wrote) sent, and how many twice — emails are at-least-once by design (a worker killed between sending a chunk and
marking it sent sends that chunk again), so the target allows one chunk per killed pool process; the import's
members equal to its distinct rows, none updated (a batch applied twice would update), its job done. Prints one
table like bench/run_all.py; exits 1 if a check fails.

Heavy: about seven minutes; the machine (2 cores) also runs wrk, HAProxy, PostgreSQL and Redis, so the figures are
noisy and small; they show the shape (errors at the kill, throughput kept by one node, exactly once), not capacity.
Needs wrk and haproxy (``make scaleout`` installs them from Debian when missing), PostgreSQL and Redis.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import email
import email.policy
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
DB_NAME = os.environ.get("SCALEOUT_DATABASE", "concord_scaleout")
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_BASE = os.environ.get("SCALEOUT_REDIS", "redis://127.0.0.1:6379").rstrip("/")
SECONDS = int(os.environ.get("SCALEOUT_SECONDS", "30"))
KILL_AT = float(os.environ.get("SCALEOUT_KILL_AT", "8"))  # seconds into the kill window, at the earliest
DRAIN_LIMIT = int(os.environ.get("SCALEOUT_DRAIN_SECONDS", "300"))
VISIBILITY = 60
IMPORT_ROWS = int(os.environ.get("SCALEOUT_IMPORT_ROWS", "20000"))
MEETINGS, PARTICIPANTS = 20, 100
RISKS, ESCALATIONS = 1200, 150
WEB_WORKERS, WEB_THREADS = 2, 2
SITE_URL = "http://concord-scaleout.invalid"
TAG = f"scaleout{os.getpid()}"
QUEUE = f"concord-{TAG}"
PREFIX = f"concord-{TAG}"
FAST_SCHEDULE = {  # beat's periodic jobs that do the exactly-once work, every few seconds for this run
    "reviews.send_reminders": 5,
    "risks.refresh_alerts": 5,
    "risks.escalate_unacknowledged": 5,
    "members.import_watchdog": 10,
    "core.sweep_notification_emails": 10,
}
SWEEP_OLDER_THAN = 30  # production: 120 s
EMAIL_CHUNK = 200  # core.services.notifications.notification_send_emails: emails marked sent per transaction
WORKER_CONCURRENCY = 2

os.environ["LOAD_DATABASE_URL"] = DB_URL
os.environ.setdefault("LOAD_CAMPAIGNS", "20")
os.environ["SITE_URL"] = SITE_URL  # the emails rendered here for comparison must match the workers'
os.environ["REDIS_KEY_PREFIX"] = PREFIX

from bench import load  # noqa: E402 - after the environment it reads at import
from bench.run_all import verdict  # noqa: E402


class Stack:
    """The processes of the run, each in its own process group (a SIGKILL of the group is a node dying)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.log(name), "ab") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):  # the group too: a child that outlived its parent
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=10)


# --- Database and Redis -----------------------------------------------------------------------------------------


def admin_sql(statement: str) -> None:
    import psycopg

    admin = urlparse(DB_URL)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def recreate_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    from django.db import connections

    with contextlib.suppress(Exception):  # Django never set up: nothing to close
        connections.close_all()
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def pick_redis_db() -> int:
    """An empty Redis database number (15 down to 1), or SCALEOUT_REDIS_DB."""
    import redis

    if os.environ.get("SCALEOUT_REDIS_DB"):
        return int(os.environ["SCALEOUT_REDIS_DB"])
    for number in range(15, 0, -1):
        if redis.Redis.from_url(f"{REDIS_BASE}/{number}").dbsize() == 0:
            return number
    return 15


def clean_redis(url: str) -> int:
    """Delete this run's keys: those under its prefix or naming its queue."""
    import redis

    client = redis.Redis.from_url(url)
    keys = {key for pattern in (f"{PREFIX}*", f"*{QUEUE}*") for key in client.scan_iter(match=pattern, count=1000)}
    if keys:
        client.delete(*keys)
    return len(keys)


# --- Seeding --------------------------------------------------------------------------------------------------


def seed_extra() -> dict:
    """What load.seed() lacks: meeting participants with email, beat's jobs every few seconds, and the high-water
    marks from which the run's own rows are counted."""
    from django.db.models import Max
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from core.models import Notification
    from reviews.models import ReminderSent
    from risks.models import AlertEvent
    from teams.models import User

    people = User.objects.bulk_create(
        User(username=f"so-p-{i:04d}", display_name=f"Participant {i}", email=f"so-p-{i:04d}@concord.example",
             language="zh-hans" if i % 2 else "en", password="!unusable")
        for i in range(MEETINGS * PARTICIPANTS)
    )  # fmt: skip
    for task, seconds in FAST_SCHEDULE.items():
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        for periodic in PeriodicTask.objects.filter(task=task):
            periodic.interval, periodic.crontab = every, None
            if task == "core.sweep_notification_emails":
                periodic.kwargs = json.dumps({"older_than_seconds": SWEEP_OLDER_THAN})
            periodic.save()
    missing = sorted(set(FAST_SCHEDULE) - set(PeriodicTask.objects.values_list("task", flat=True)))
    if missing:
        raise SystemExit(f"no periodic task {', '.join(missing)} in the migrated database")
    # Seeding ran its tasks in-process (eager): whatever it left unsent is not this run's to send.
    Notification.objects.filter(email_sent_at__isnull=True).update(email_sent_at=timezone.now())
    return {
        "participants": [p.pk for p in people],
        "notification_base": Notification.objects.aggregate(m=Max("pk"))["m"] or 0,
        "alert_base": AlertEvent.objects.aggregate(m=Max("pk"))["m"] or 0,
        "reminder_base": ReminderSent.objects.aggregate(m=Max("pk"))["m"] or 0,
    }


# --- The stack ------------------------------------------------------------------------------------------------


def stack_env(folder: Path, redis_url: str) -> dict[str, str]:
    """The environment every process of the stack shares: this run's database, Redis prefix, queue and mail folder."""
    env = load.server_env()  # the load bench's: DEBUG off, no SSL redirect, bench settings (a trivial view)
    env.pop("EMAIL_URL", None)  # load.py's in-memory email, for seeding only
    env.update(
        DATABASE_URL=DB_URL,
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=PREFIX,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder / "mail"),
        SITE_URL=SITE_URL,
        MEMBER_IMPORT_BATCH_ROWS="500",
        PYTHONUNBUFFERED="1",
    )
    return env


def web_command(port: int) -> list[str]:
    return [
        PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WEB_WORKERS), "--worker-class", "gthread", "--threads", str(WEB_THREADS),
        "--log-level", "warning", "--backlog", "2048", "--timeout", "60",
    ]  # fmt: skip


def worker_command(number: int) -> list[str]:
    return [
        PY, "-m", "celery", "-A", "config", "worker", "-Q", f"{QUEUE},{QUEUE}.imports", "-n", f"{TAG}-{number}@%h",
        "--concurrency", str(WORKER_CONCURRENCY), "--loglevel", "INFO",
    ]  # fmt: skip


HAPROXY = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    timeout check 5s
    # A request whose node dies (connection refused, or closed without an answer) goes to the other node.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response
    # A request still queued here when its client gives up is dropped, not sent to a node.
    option abortonclose

frontend concord
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance leastconn
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    # At most a few requests more than a node has threads: the rest wait here, so a node's queue stays short
    # and its health check is answered in time even under full load. A refused or dropped connection marks the
    # node down at once (observe layer4), before the health checks notice: otherwise leastconn keeps choosing the
    # dead node (it has the fewest connections) and retries run out on it.
    default-server check inter 1s fall 3 rise 2 maxconn {maxconn} observe layer4 error-limit 1 on-error mark-down
{servers}

frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
"""


def haproxy_stats(stats_port: int) -> dict[str, dict[str, str]]:
    """HAProxy's CSV statistics, one row per "proxy/server" (retries, redispatches, 5xx, status)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/stats;csv", timeout=5) as response:
        text = response.read().decode().lstrip("# ")
    return {f"{row['pxname']}/{row['svname']}": row for row in csv.DictReader(io.StringIO(text))}


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.5) -> float:
    """Poll ``condition`` until true (returns the seconds it took); SystemExit after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback http only
            return response.status == 200
    except OSError:
        return False


def start_stack(stack: Stack, env: dict[str, str]) -> dict:
    subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    ports = {"web1": load.free_port(), "web2": load.free_port()}
    for name, port in ports.items():
        node_env = dict(env, PROMETHEUS_MULTIPROC_DIR=str(stack.folder / f"prometheus-{name}"))
        Path(node_env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
        stack.start(name, web_command(port), node_env)
    lb_port, stats_port = load.free_port(), load.free_port()
    servers = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in ports.items())
    config = stack.folder / "haproxy.cfg"
    maxconn = WEB_WORKERS * WEB_THREADS + 2
    config.write_text(HAPROXY.format(port=lb_port, stats_port=stats_port, servers=servers, maxconn=maxconn))
    subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=True)
    worker_env = dict(env, DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="INFO")
    for number in (1, 2):
        stack.start(f"worker{number}", worker_command(number), worker_env)
    stack.start("beat", [PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                         "--schedule", str(stack.folder / "celerybeat-schedule")], worker_env)  # fmt: skip
    for name, port in ports.items():
        wait_until(lambda port=port: http_ok(f"http://127.0.0.1:{port}/healthz"), timeout=90, what=f"{name}")
    stack.start("haproxy", ["haproxy", "-db", "-f", str(config)], env)
    wait_until(lambda: all(haproxy_stats(stats_port)[f"web/{n}"]["status"] == "UP" for n in ports), timeout=30,
               what="HAProxy to see both nodes up")  # fmt: skip
    for number in (1, 2):
        wait_until(lambda n=number: b" ready." in stack.log(f"worker{n}").read_bytes(), timeout=90,
                   what=f"worker{number}")  # fmt: skip
    wait_until(lambda: b"beat: Starting" in stack.log("beat").read_bytes(), timeout=60, what="beat")
    return {"ports": ports, "lb": lb_port, "stats": stats_port}


# --- The work that must happen exactly once ---------------------------------------------------------------------


def import_csv(rows: int) -> bytes:
    """A member file of ``rows`` distinct, valid rows (external ids SCALE000001…)."""
    lines = ["external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel"]
    lines += [f"SCALE{i:06d},擴容會員{i},139{i:08d},{(i * 37) % 1500}.00,25-34,是,," for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def upload_import(lb_port: int, token: str, campaign: int, content: bytes) -> int:
    """POST members/import/ through the balancer, as a team lead would; returns the job's id."""
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="campaign"\r\n\r\n{campaign}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scaleout.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{lb_port}/api/v1/members/import/", data=body, method="POST",
        headers={"Authorization": f"Token {token}", "Accept": "application/json",
                 "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback http only
        if response.status != 202:
            raise SystemExit(f"the import upload answered {response.status}")
        return json.loads(response.read())["id"]


def wave_one(data: dict, extra: dict, lb_port: int) -> dict:
    """Meetings due for reminders, risks about to rise, unacknowledged red alerts, and the member import."""
    from django.utils import timezone

    from campaigns.models import Campaign
    from reviews.models import Meeting, ReviewSeries
    from risks.alerts import alert_level_for, today_in
    from risks.models import Risk
    from teams.models import User

    now = timezone.now()
    campaigns = list(Campaign.objects.filter(pk__in=data["campaigns"]).order_by("pk"))
    lead = User.objects.get(username="lead")
    owners = list(User.objects.filter(username__startswith="load-").order_by("username").values_list("pk", flat=True))
    series = ReviewSeries.objects.bulk_create(
        ReviewSeries(campaign=campaigns[i % len(campaigns)], title=f"Scale-out stand-up {i}", weekday=2,
                     time=dt.time(10), starts_on=dt.date(2026, 1, 5), chair=lead)
        for i in range(MEETINGS)
    )  # fmt: skip
    through = ReviewSeries.participants.through
    through.objects.bulk_create(
        through(reviewseries_id=s.pk, user_id=extra["participants"][i * PARTICIPANTS + j])
        for i, s in enumerate(series)
        for j in range(PARTICIPANTS)
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(series=s, nominal_date=dt.date(2026, 12, 9), scheduled_at=now + dt.timedelta(minutes=60 + i))
        for i, s in enumerate(series)
    )
    rising = []
    for i in range(RISKS):
        campaign = campaigns[i % len(campaigns)]
        rising.append(
            Risk(campaign=campaign, title=f"Scale-out risk {i}", category="market", probability=3, impact=3,
                 owner_id=owners[i % len(owners)], status="open",
                 expected_date=today_in(campaign.time_zone, now) + dt.timedelta(days=i % 9 - 1))
        )  # fmt: skip
    rising = Risk.objects.bulk_create(rising)
    first_level = {
        r.pk: alert_level_for(status=r.status, expected_date=r.expected_date, today=today_in(c.time_zone, now))
        for r, c in zip(rising, [campaigns[i % len(campaigns)] for i in range(RISKS)], strict=True)
    }
    stale = Risk.objects.bulk_create(
        Risk(campaign=campaigns[i % len(campaigns)], title=f"Scale-out unacknowledged risk {i}", category="market",
             probability=4, impact=4, owner_id=owners[i % len(owners)], status="occurred",
             expected_date=today_in(campaigns[0].time_zone, now) - dt.timedelta(days=2), alert_level="red",
             alert_changed_at=now - dt.timedelta(hours=25))
        for i in range(ESCALATIONS)
    )  # fmt: skip
    job = upload_import(lb_port, data["tokens"][0], data["campaigns"][0], import_csv(IMPORT_ROWS))
    return {"meetings": [m.pk for m in meetings], "rising": first_level, "stale": [r.pk for r in stale], "job": job}


def wave_two(wave: dict) -> dict[int, str]:
    """Every wave-one risk not red yet moves its date to today: it rises once more, to red."""
    from django.utils import timezone

    from risks.alerts import today_in
    from risks.models import Risk

    ids = [pk for pk, level in wave["rising"].items() if level != "red"]
    zone = Risk.objects.filter(pk__in=ids).values_list("campaign__time_zone", flat=True).first() or "Asia/Shanghai"
    Risk.objects.filter(pk__in=ids).update(expected_date=today_in(zone, timezone.now()))
    return dict.fromkeys(ids, "red")


# --- The kill ---------------------------------------------------------------------------------------------------

TASK_LINE = re.compile(rb"Task ([\w.]+)\[([0-9a-f-]+)\] (received|succeeded|failed|raised|retry)")


def tasks_in_log(path: Path) -> tuple[dict[str, str], set[str]]:
    """(task id → name of every task received, ids of those finished) from a worker's log."""
    received, finished = {}, set()
    for name, task_id, what in TASK_LINE.findall(path.read_bytes()):
        if what == b"received":
            received[task_id.decode()] = name.decode()
        else:
            finished.add(task_id.decode())
    return received, finished


def import_holder(stack: Stack) -> str | None:
    """The worker whose log shows the member import received and not finished."""
    for name in ("worker1", "worker2"):
        received, finished = tasks_in_log(stack.log(name))
        if any(task == "members.run_import" and tid not in finished for tid, task in received.items()):
            return name
    return None


# --- Checks -----------------------------------------------------------------------------------------------------


def delivered_emails(folder: Path) -> Counter:
    """(to, subject, plain-text body) of every email the workers' file backend wrote; unreadable fragments (a worker
    killed while writing) count under the key ("fragment",)."""
    found: Counter = Counter()
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            chunk = chunk.strip(b"\n")
            if not chunk:
                continue
            try:
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",)).get_content()
                found[(str(message["To"]), str(message["Subject"]), body.replace("\r\n", "\n").strip())] += 1
            except Exception:  # a message cut short by the kill
                found[("fragment",)] += 1
    return found


def expected_emails(base: int) -> Counter:
    """The email each of the run's notifications must produce, rendered here as the workers render it."""
    from core.models import Notification
    from core.services.notifications import notification_email

    wanted: Counter = Counter()
    rows = Notification.objects.filter(pk__gt=base).select_related("recipient", "recipient__notification_settings")
    for notification in rows.iterator(chunk_size=2000):
        user = notification.recipient
        choices = getattr(user, "notification_settings", None)
        if not user.email or (choices is not None and not choices.wants_email(notification.verb)):
            continue
        message = notification_email(notification, user)
        wanted[(message.to[0], message.subject, message.body.replace("\r\n", "\n").strip())] += 1
    return wanted


def drained(wave: dict, final_levels: dict[int, str], extra: dict) -> bool:
    from core.models import Notification
    from members.models import ImportJob
    from reviews.models import ReminderSent
    from risks.models import Risk

    if ImportJob.objects.get(pk=wave["job"]).status not in ("done", "failed"):
        return False
    if ReminderSent.objects.filter(meeting_id__in=wave["meetings"]).count() < MEETINGS * PARTICIPANTS * 2:
        return False
    levels = dict(Risk.objects.filter(pk__in=list(final_levels)).values_list("pk", "alert_level"))
    if levels != final_levels:
        return False
    if Risk.objects.filter(pk__in=wave["stale"], escalated_at__isnull=True).exists():
        return False
    return not Notification.objects.filter(pk__gt=extra["notification_base"], email_sent_at__isnull=True).exists()


def duplicates(counter: Counter) -> int:
    return sum(n - 1 for n in counter.values() if n > 1)


def checks(wave: dict, final_levels: dict[int, str], extra: dict, mail: Path) -> list[tuple[str, float, str, str]]:
    """The exactly-once figures: (name, value, unit, target)."""
    from core.models import Notification
    from members.models import ImportJob, Member
    from reviews.models import ReminderSent
    from risks.models import AlertEvent, Risk
    from risks.notices import ALERT_MESSAGES, ESCALATED

    rows: list[tuple[str, float, str, str]] = []
    # Reminders: one ReminderSent and one notification per (meeting, participant, kind).
    expected = {(m, p, kind) for i, m in enumerate(wave["meetings"])
                for p in extra["participants"][i * PARTICIPANTS:(i + 1) * PARTICIPANTS]
                for kind in ("meeting_reminder", "status_update_reminder")}  # fmt: skip
    sent = Counter(
        ReminderSent.objects.filter(meeting_id__in=wave["meetings"]).values_list("meeting_id", "user_id", "kind")
    )
    notified = Counter(
        Notification.objects.filter(pk__gt=extra["notification_base"], object_type="reviews.meeting",
                                    object_id__in=wave["meetings"]).values_list("object_id", "recipient_id", "verb")
    )  # fmt: skip
    rows += [
        ("scaleout_reminders_expected", len(expected), "count", ""),
        ("scaleout_reminders_missing", len(expected - set(sent)), "count", "<=0"),
        ("scaleout_reminders_duplicated", duplicates(sent), "count", "<=0"),
        ("scaleout_reminder_notices_missing", len(expected - set(notified)), "count", "<=0"),
        ("scaleout_reminder_notices_duplicated", duplicates(notified) + len(set(notified) - expected), "count", "<=0"),
    ]
    # Alert rises: one AlertEvent per (risk, level), one notification per recipient of each.
    rises = {(pk, level) for pk, level in wave["rising"].items() if level != "none"}
    rises |= set(final_levels.items()) - set(wave["rising"].items())
    events = Counter(AlertEvent.objects.filter(pk__gt=extra["alert_base"], risk_id__in=list(wave["rising"]))
                     .values_list("risk_id", "level"))  # fmt: skip
    owners = dict(Risk.objects.filter(pk__in=list(wave["rising"])).values_list("pk", "owner_id"))
    leads = dict(Risk.objects.filter(pk__in=list(wave["rising"])).values_list("pk", "campaign__lead_id"))
    by_key = {m.key: level for level, m in ALERT_MESSAGES.items()}
    wanted = {(owners[pk], pk, level) for pk, level in rises} | {(leads[pk], pk, "red") for pk, level in rises
                                                                  if level == "red"}  # fmt: skip
    alerts = Counter(
        (recipient, pk, by_key.get(key, key))
        for recipient, pk, key in Notification.objects.filter(
            pk__gt=extra["notification_base"], object_type="risks.risk", object_id__in=list(wave["rising"])
        ).values_list("recipient_id", "object_id", "message")
    )
    rows += [
        ("scaleout_alert_rises_expected", len(rises), "count", ""),
        ("scaleout_alert_rises_missing", len(rises - set(events)), "count", "<=0"),
        ("scaleout_alert_rises_duplicated", duplicates(events) + len(set(events) - rises), "count", "<=0"),
        ("scaleout_alert_notices_expected", len(wanted), "count", ""),
        ("scaleout_alert_notices_missing", len(wanted - set(alerts)), "count", "<=0"),
        ("scaleout_alert_notices_duplicated", duplicates(alerts) + len(set(alerts) - wanted), "count", "<=0"),
    ]
    escalated = Counter(
        Notification.objects.filter(pk__gt=extra["notification_base"], message=ESCALATED.key)
        .values_list("object_id", flat=True)
    )  # fmt: skip
    rows += [
        ("scaleout_escalations_expected", len(wave["stale"]), "count", ""),
        ("scaleout_escalations_missing", len(set(wave["stale"]) - set(escalated)), "count", "<=0"),
        ("scaleout_escalations_duplicated", duplicates(escalated) + len(set(escalated) - set(wave["stale"])),
         "count", "<=0"),
    ]  # fmt: skip
    # Emails: every notification of the run that asks for one, compared with the files, byte for byte.
    want, got = expected_emails(extra["notification_base"]), delivered_emails(mail)
    fragments = got.pop(("fragment",), 0)
    rows += [
        ("scaleout_emails_expected", sum(want.values()), "count", ""),
        ("scaleout_emails_missing", sum((want - got).values()), "count", "<=0"),
        # At-least-once (see run()'s summary): at most one chunk per pool process of the killed worker.
        ("scaleout_emails_duplicated", sum((got - want).values()), "count", f"<={EMAIL_CHUNK * WORKER_CONCURRENCY}"),
        ("scaleout_email_fragments", fragments, "count", ""),
    ]
    # The import: every distinct row once, nothing applied twice, the job done once.
    job = ImportJob.objects.get(pk=wave["job"])
    members = Member.objects.filter(external_id__startswith="SCALE").count()
    rows += [
        ("scaleout_import_rows", IMPORT_ROWS, "count", ""),
        ("scaleout_import_members", members, "count", f">={IMPORT_ROWS}"),
        ("scaleout_import_members_extra", members - IMPORT_ROWS, "count", "<=0"),
        ("scaleout_import_created", job.created, "count", f">={IMPORT_ROWS}"),
        ("scaleout_import_updated", job.updated, "count", "<=0"),
        ("scaleout_import_done", int(job.status == "done" and job.finished_at is not None), "bool", ">=1"),
        ("scaleout_import_attempts", job.attempts, "count", ""),
    ]
    return rows


# --- Main -------------------------------------------------------------------------------------------------------


def phase_rows(name: str, result: dict) -> list[tuple[str, float, str, str]]:
    """One wrk run's figures; errors have a target of 0 except in the kill window, where they are reported."""
    rps = result["requests"] / (result["duration_us"] / 1e6)
    errors = result["socket_errors"] + result["timeouts"] + result["non200"]
    return [
        (f"scaleout_{name}_rps", round(rps, 1), "req/s", ""),
        (f"scaleout_{name}_p95", round(result["p95_us"] / 1000, 1), "ms", ""),
        (f"scaleout_{name}_requests", result["requests"], "count", ""),
        (f"scaleout_{name}_non200", result["non200"], "count", "" if name == "kill" else "<=0"),
        (f"scaleout_{name}_socket_errors", result["socket_errors"], "count", "" if name == "kill" else "<=0"),
        (f"scaleout_{name}_timeouts", result["timeouts"], "count", "" if name == "kill" else "<=0"),
    ] + ([("scaleout_kill_errors", errors, "count", "")] if name == "kill" else [])


def print_table(rows: list[tuple[str, float, str, str]]) -> None:
    """BENCH lines (bench/run_all.py reads them) and the same table run_all prints."""
    table = [("name", "value", "unit", "target", "result")]
    for name, value, unit, target in rows:
        cmp, number = (target[:2], target[2:]) if target[:2] in ("<=", ">=") else ("", "")
        line = f"BENCH name={name} value={value} unit={unit}" + (f" target={number} cmp={cmp}" if cmp else "")
        print(line)
        row = {"name": name, "value": str(value), "unit": unit}
        if cmp:
            row.update(target=number, cmp=cmp)
        table.append((name, str(value), unit, target, verdict(row)))
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    print()
    for n, r in enumerate(table):
        print("  ".join(c.ljust(w) if i != 1 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    failed = [r[0] for r in table[1:] if r[4] == "FAIL"]
    print(f"\n{sum(r[4] == 'pass' for r in table[1:])} checks met, {len(failed)} missed"
          + (f" ({', '.join(failed)})" if failed else ""))  # fmt: skip


def settle(stack: Stack) -> None:
    """Wait until the live web nodes have worked off what the last wrk run left in flight (load.wait_idle)."""
    for name in ("web1", "web2"):
        if stack.procs[name].poll() is None:
            load.wait_idle(stack.procs[name], limit=60)


def report(name: str, result: dict) -> None:
    rows = {row[0]: row[1] for row in phase_rows(name, result)}
    print(f"  {name}: {rows[f'scaleout_{name}_rps']} req/s, p95 {rows[f'scaleout_{name}_p95']} ms, "
          f"{result['non200']} non-200, {result['socket_errors']} socket errors, {result['timeouts']} timeouts "
          f"(loadavg {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip


def run(stack: Stack, redis_url: str) -> int:
    started = time.monotonic()
    recreate_database()
    data = load.seed()
    extra = seed_extra()
    print(f"seeded in {time.monotonic() - started:.0f}s; Redis {redis_url}, prefix {PREFIX}, queue {QUEUE}",
          flush=True)  # fmt: skip
    env = stack_env(stack.folder, redis_url)
    where = start_stack(stack, env)
    lb, stats = where["lb"], where["stats"]
    print(f"up: web1 :{where['ports']['web1']}, web2 :{where['ports']['web2']}, HAProxy :{lb}, 2 workers, beat",
          flush=True)  # fmt: skip
    plan = load.scenarios(data)
    load.check_pages(lb, data, plan)
    script = stack.folder / "mix.lua"
    script.write_text(load.LUA % {"paths": load.lua_list(plan["mix"]), "sessions": load.lua_list(data["sessions"]),
                                  "tokens": load.lua_list(data["tokens"])})  # fmt: skip
    load.run_wrk(lb, script, 5)  # warm-up
    settle(stack)
    results: dict[str, dict] = {}
    results["before"] = load.run_wrk(lb, script, SECONDS)
    report("before", results["before"])
    settle(stack)

    stats_before = haproxy_stats(stats)

    def drive() -> None:
        results["kill"] = load.run_wrk(lb, script, SECONDS)

    runner = threading.Thread(target=drive)
    window = time.monotonic()
    runner.start()
    wave = wave_one(data, extra, lb)
    from members.models import ImportJob

    def import_running() -> bool:
        job = ImportJob.objects.get(pk=wave["job"])
        return job.status != "pending" and (job.checkpoint > 0 or job.status != "running")

    with contextlib.suppress(SystemExit):  # it may have finished already: the kill goes ahead anyway
        wait_until(import_running, timeout=max(5.0, SECONDS - 10), what="the import to start", interval=0.05)
    time.sleep(max(0.0, KILL_AT - (time.monotonic() - window)))
    job = ImportJob.objects.get(pk=wave["job"])
    victim = import_holder(stack) or "worker1"
    held_received, held_finished = tasks_in_log(stack.log(victim))
    stack.kill("web1")
    stack.kill(victim)
    killed_at, killed_wall = time.monotonic(), time.time()
    held = {tid: name for tid, name in held_received.items() if tid not in held_finished}
    print(f"  killed web1 and {victim} {killed_at - window:.1f}s into the window; the import was {job.status} at "
          f"{job.checkpoint:,}/{IMPORT_ROWS:,} rows; {victim} held {len(held)} task(s): "
          f"{', '.join(sorted(Counter(held.values()).elements())) or 'none'}", flush=True)  # fmt: skip
    runner.join()
    if "kill" not in results:
        raise SystemExit("wrk failed during the kill window")
    report("kill", results["kill"])
    stats_kill = haproxy_stats(stats)

    # After: wave-one rises first (so each risk's rises are known), then wave two on the surviving node and worker.
    from risks.models import Risk

    wait_until(lambda: dict(Risk.objects.filter(pk__in=list(wave["rising"])).values_list("pk", "alert_level"))
               == wave["rising"], timeout=120, what="the first alert refresh")  # fmt: skip
    final_levels = {**wave["rising"], **wave_two(wave)}
    settle(stack)
    results["after"] = load.run_wrk(lb, script, SECONDS)
    report("after", results["after"])
    drain_started = time.monotonic()
    wait_until(lambda: drained(wave, final_levels, extra), timeout=DRAIN_LIMIT, what="the work to drain")
    # The broker redelivers what the killed worker held once the visibility timeout has passed (kombu looks every
    # ~100 s): wait for that too, so that the counts below include whatever the redelivered tasks did.
    survivor = "worker2" if victim == "worker1" else "worker1"

    def redelivered() -> set[str]:
        return {tid for tid in held if tid in tasks_in_log(stack.log(survivor))[0]}

    with contextlib.suppress(SystemExit):
        wait_until(lambda: redelivered() == set(held), timeout=max(0.0, killed_at + VISIBILITY + 120 - time.monotonic()),
                   what="the redelivery", interval=2)  # fmt: skip
    time.sleep(3)  # anything a redelivered task did twice would show now
    again = redelivered()
    print(f"  redelivered to {survivor}: {', '.join(sorted(held[t] for t in again)) or 'nothing'} "
          f"({time.monotonic() - killed_at:.0f}s after the kill)", flush=True)  # fmt: skip
    from django.db.models import Max

    from core.models import Notification

    job = ImportJob.objects.get(pk=wave["job"])
    import_done = job.finished_at.timestamp() - killed_wall if job.finished_at else -1
    last_sent = Notification.objects.filter(pk__gt=extra["notification_base"]).aggregate(m=Max("email_sent_at"))["m"]
    emails_done = last_sent.timestamp() - killed_wall if last_sent else -1

    rows = phase_rows("before", results["before"]) + phase_rows("kill", results["kill"])
    rows += phase_rows("after", results["after"])
    backend = {k: int(stats_kill["web/BACKEND"][k] or 0) - int(stats_before["web/BACKEND"][k] or 0)
               for k in ("wretr", "wredis", "hrsp_5xx")}  # fmt: skip
    rows += [
        ("scaleout_kill_haproxy_retries", backend["wretr"], "count", ""),
        ("scaleout_kill_haproxy_redispatches", backend["wredis"], "count", ""),
        ("scaleout_kill_haproxy_5xx", backend["hrsp_5xx"], "count", ""),
        ("scaleout_killed_worker_tasks_held", len(held), "count", ""),
        ("scaleout_killed_worker_tasks_redelivered", len(again), "count", ""),
        ("scaleout_import_done_after_kill", round(import_done, 1), "s", ""),
        ("scaleout_last_email_after_kill", round(emails_done, 1), "s", ""),
    ]
    rows += checks(wave, final_levels, extra, stack.folder / "mail")
    print(f"\nScale-out on one machine ({os.cpu_count()} cores shared by 2 web nodes × {WEB_WORKERS} gunicorn workers × "
          f"{WEB_THREADS} threads, 2 Celery workers × 2, beat, HAProxy, wrk with {load.USERS} connections, PostgreSQL "
          f"and Redis; loadavg {os.getloadavg()[0]:.1f}); the working-day mix for {SECONDS}s before, during (web1 "
          f"and {victim} SIGKILLed {killed_at - window:.1f}s in) and after; {time.monotonic() - started:.0f}s in all. "
          f"Checked {time.monotonic() - drain_started:.0f}s after the load stopped. Errors: non-200 answers, socket "
          "errors, wrk timeouts (10 s). Emails are at-least-once by design (core.services.notifications): a worker "
          f"killed between sending a chunk and marking it sent sends it again, so the target allows one chunk "
          f"({EMAIL_CHUNK}) per killed pool process. Noisy: one shared 2-core machine.")  # fmt: skip
    print_table(rows)
    return 0 if all(verdict({"value": str(v), "target": t[2:], "cmp": t[:2]}) != "FAIL"
                    for _n, v, _u, t in rows if t) else 1  # fmt: skip


def main() -> int:
    """Run it, and whatever happens clean up: processes, the database, the Redis keys, the temporary folder."""
    for tool in ("wrk", "haproxy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench/scaleout.py needs {tool}: apt-get install {tool} (make scaleout does this)")
    folder = Path(tempfile.mkdtemp(prefix="concord-scaleout-"))
    (folder / "mail").mkdir()
    stack = Stack(folder)
    redis_url = f"{REDIS_BASE}/{pick_redis_db()}"

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    code = 1
    try:
        code = run(stack, redis_url)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", flush=True)
    finally:
        stack.stop_all()
        drop_database()
        removed = clean_redis(redis_url)
        logs = ROOT / "test-artifacts" / "scaleout"
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True, exist_ok=True)
        for log in folder.glob("*.log"):
            shutil.copy(log, logs / log.name)
        shutil.rmtree(folder, ignore_errors=True)
        print(f"cleaned up: processes stopped, database {DB_NAME} dropped, {removed} Redis keys deleted; "
              f"logs in {logs.relative_to(ROOT)}/", flush=True)  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
