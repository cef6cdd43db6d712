"""A real Celery worker in a child process, on the real Redis broker and the test database.

Used by tests marked ``worker``: what they prove (a task crossing the broker,
acks_late, exactly-once effects) cannot be proved in eager mode.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from config.celery import app, import_queue

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@contextmanager
def running_worker(
    *,
    queue: str,
    broker_url: str,
    extra_env: dict[str, str] | None = None,
    transport_options: dict | None = None,
    concurrency: int = 1,
) -> Iterator[subprocess.Popen]:
    """Start ``celery -A config worker`` consuming ``queue`` and its imports queue (``queue.imports``, where
    member imports are routed); point this process's producers at it too.

    ``broker_url`` is a Redis URL, or ``filesystem://`` with ``CELERY_FILESYSTEM_FOLDER`` in ``extra_env``.
    ``concurrency`` 1 runs the solo pool (one process); more runs that many prefork child processes, whose
    log lines name them (``ForkPoolWorker-N``).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"worker-{queue}.log"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=test_database_url(),
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_TASK_ALWAYS_EAGER="0",
        EMAIL_URL="consolemail://",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "-Q", f"{queue},{import_queue(queue)}", "-n", f"{queue}@%h", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    command += ["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork", "--concurrency", str(concurrency)]
    if broker_url.startswith("redis"):
        env["REDIS_URL"] = broker_url
    previous = (
        app.conf.task_always_eager,
        app.conf.task_default_queue,
        app.conf.broker_url,
        app.conf.broker_transport_options,
    )
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    app.conf.broker_url = broker_url
    if transport_options is not None:
        app.conf.broker_transport_options = transport_options
    reset_producer_pools()  # producers must connect to this broker, not a pooled earlier one
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: b" ready." in log_path.read_bytes(), timeout=60, what=f"worker ready (log: {log_path})")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        (
            app.conf.task_always_eager,
            app.conf.task_default_queue,
            app.conf.broker_url,
            app.conf.broker_transport_options,
        ) = previous
        reset_producer_pools()


def reset_producer_pools() -> None:
    """Drop this process's pooled broker connections so the next publish uses the current broker_url."""
    from kombu import pools

    pools.reset()  # closes and forgets kombu's global producer pools
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
