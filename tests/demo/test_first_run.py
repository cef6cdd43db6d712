"""``make run``'s stack on SQLite, as a newcomer starts it (issue 19): web, two workers and beat on one SQLite file,
demo data, 200 notifications pushed through the real worker while people use the site — every email is sent exactly
once and no process logs a traceback or a "database is locked".

It runs ``scripts/run.py`` itself (the same program ``make run`` ends in), with its state in a temporary folder and a
Redis key prefix and queue of its own, so it never meets another checkout's or test's work.
"""

from __future__ import annotations

import email
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from teams.demo import PERSONAS
from teams.views import DEMO_ACCOUNTS
from tests.conftest import need_service, redis_available, redis_url

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATIONS = 200
RUN_SECONDS = 60

# Writes 200 inbox entries (the comment message, one marker per entry) in 10 transactions, as a busy afternoon
# would: each commit queues the emails of its batch for the worker.
NOTIFY = f"""
from django.db import transaction
from campaigns.notices import COMMENT_ADDED
from core.services.notifications import NotificationRequest, notify_many
from teams.models import User

users = list(User.objects.filter(is_active=True).exclude(email="").order_by("username"))
requests = [
    NotificationRequest(recipient=users[i % len(users)], message=COMMENT_ADDED,
                        params={{"author": "Load", "task": f"first-run check {{i:03d}}"}})
    for i in range({NOTIFICATIONS})
]
for start in range(0, {NOTIFICATIONS}, 20):
    with transaction.atomic():
        notify_many(requests[start:start + 20])
print("notified", len(requests))
"""


def test_the_login_page_lists_every_demo_persona():
    assert {name for name, _label in DEMO_ACCOUNTS} == {persona[0] for persona in PERSONAS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: nothing of the test run's own settings, a fresh SQLite file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "EMAIL_", "DATABASE_", "REQUIRE_", "PYTEST_", "REDIS_"))
        and key not in {"DEBUG", "SECRET_KEY", "SITE_URL", "DEMO_MODE", "HOST", "PORT", "RUN_DIR"}
    }
    tag = uuid.uuid4().hex[:8]
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RUN_DIR=str(tmp_path / "run"),
        HOST="127.0.0.1",
        PORT=str(free_port()),
        REDIS_URL=redis_url(),
        REDIS_KEY_PREFIX=f"concord-firstrun-{tag}",
        CELERY_TASK_DEFAULT_QUEUE=f"firstrun-{tag}",
        PYTHONUNBUFFERED="1",
    )
    return env


def emails_in(folder: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (one file per connection, messages separated by a line of dashes)."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in re.split(rb"\n-{79}\n", path.read_bytes()):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return found


def text_of(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


@pytest.mark.slow
def test_make_run_on_sqlite_sends_every_email_exactly_once_without_tracebacks(tmp_path):
    need_service(redis_available(), "Redis")
    env = stack_environment(tmp_path)
    python = sys.executable
    for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log_path = tmp_path / "run.log"
    base = f"http://127.0.0.1:{env['PORT']}"
    with open(log_path, "wb") as log:
        stack = subprocess.Popen(
            [python, "scripts/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert stack.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "make run's stack did not answer /healthz within 90 s"
            time.sleep(0.5)
        started = time.monotonic()

        notify = subprocess.run(
            [python, "manage.py", "shell", "-c", NOTIFY], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert notify.returncode == 0, notify.stderr
        assert f"notified {NOTIFICATIONS}" in notify.stdout

        # Meanwhile people use the site: the web process reads and writes the same file.
        pages = 0
        with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as client:
            login_page = client.get("/accounts/login/")
            assert login_page.status_code == 200
            token = client.cookies["csrftoken"]
            signed_in = client.post(
                "/accounts/login/", data={"username": "lead", "password": "concord-demo", "csrfmiddlewaretoken": token}
            )
            assert signed_in.status_code == 200 and "/accounts/login/" not in str(signed_in.url)
            while time.monotonic() - started < RUN_SECONDS:
                for path in ("/", "/inbox/", "/campaigns/"):
                    assert client.get(path).status_code == 200, path
                    pages += 1
                time.sleep(0.2)
            # The product's own 404 page (DEBUG is off under make run), not Django's list of URL patterns.
            missing = client.get("/campaigns/999999/")
            assert missing.status_code == 404
            assert "URLconf" not in missing.text and 'rel="icon"' in missing.text
            assert client.get("/favicon.ico").status_code == 200
        assert pages > 30
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGTERM)
            try:
                stack.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
        import redis

        connection = redis.Redis.from_url(env["REDIS_URL"])
        for key in connection.scan_iter(f"{env['REDIS_KEY_PREFIX']}*"):
            connection.delete(key)

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        pending = db.execute(
            "SELECT count(*) FROM core_notification WHERE email_sent_at IS NULL AND params LIKE '%first-run check%'"
        ).fetchone()[0]
    assert pending == 0, f"{pending} notifications still wait for their email after {RUN_SECONDS} s"

    messages = emails_in(tmp_path / "run" / "mail")
    marked = {}
    for message in messages:
        found = re.search(r"first-run check (\d{3})", text_of(message))
        if found:
            marked.setdefault(found.group(1), []).append(message["To"])
    assert sorted(marked) == [f"{i:03d}" for i in range(NOTIFICATIONS)]
    twice = {number: to for number, to in marked.items() if len(to) != 1}
    assert not twice, f"{len(twice)} sent more than once, e.g. {dict(list(twice.items())[:3])}"
    # No other email (the demo's reminders, alerts, digests) went out twice either.
    seen: dict[tuple[str, str, str], int] = {}
    for message in messages:
        key = (message["To"], message["Subject"], text_of(message))
        seen[key] = seen.get(key, 0) + 1
    assert not [key for key, count in seen.items() if count > 1]

    log = log_path.read_text(errors="replace")
    for bad in ("Traceback", "database is locked", "OperationalError"):
        assert bad not in log, log[max(0, log.find(bad) - 2000) : log.find(bad) + 2000]
    assert "DEBUG is off" in log
