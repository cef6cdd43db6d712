#!/usr/bin/env python
"""Start Concord for development: web server, Celery workers (the default queue, and member imports on
``<queue>.imports``) and beat, with a broker that works.

DEBUG is off unless ``DEBUG=1``: the product's own 403/404/500 pages, hashed static files (collected here first), a
secret key kept in ``.run/secret-key`` (made once per checkout) — but plain HTTP on this machine, so no SSL redirect,
HSTS or secure-only cookies. Redis keys and queues are this checkout's own (settings.REDIS_KEY_PREFIX).

Broker, in order of preference: ``REDIS_URL`` if it answers; a Redis on
127.0.0.1:6379; a private ``redis-server`` started here if one is installed;
otherwise kombu's filesystem transport (tasks still run, through files under
``.run/broker``). Never "tasks silently do nothing".
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# Where make run keeps its state: beat schedule, secret key, demo emails, the filesystem broker (RUN_DIR overrides).
RUN = Path(os.environ.get("RUN_DIR") or ROOT / ".run")
PY = sys.executable
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))


def redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def choose_broker(env: dict[str, str], children: list[subprocess.Popen]) -> str:
    url = env.get("REDIS_URL")
    if url and redis_answers(url):
        return f"Redis at {url}"
    if url:
        print(f"! REDIS_URL={url} does not answer; looking for another broker.")
    if redis_answers("redis://127.0.0.1:6379/0"):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        return "Redis at redis://127.0.0.1:6379/0"
    server = shutil.which("redis-server")
    if server:
        port = free_port()
        RUN.mkdir(exist_ok=True)
        children.append(
            subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=open(RUN / "redis.log", "ab"),  # noqa: SIM115 - lives as long as the child
                stderr=subprocess.STDOUT,
            )
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        for _ in range(50):
            if redis_answers(env["REDIS_URL"]):
                return f"a private redis-server on port {port}"
            time.sleep(0.1)
        print("! redis-server did not start; falling back to the filesystem broker.")
        env.pop("REDIS_URL")
    folder = RUN / "broker"
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    env["CELERY_BROKER_URL"] = "filesystem://"
    env["CELERY_FILESYSTEM_FOLDER"] = str(folder)
    return f"kombu's filesystem transport in {folder} (no Redis found; install redis-server for the real thing)"


def production_like(env: dict[str, str]) -> str:
    """DEBUG off (unless DEBUG=1): the environment for serving plain HTTP on this machine the way production
    serves, and static files collected. Returns a line for the banner."""
    env.setdefault("DEBUG", "0")
    if env["DEBUG"].lower() in ("1", "true", "yes", "on"):
        return "DEBUG is on (Django's debug pages)."
    key_file = RUN / "secret-key"
    if not env.get("SECRET_KEY"):
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        env["SECRET_KEY"] = key_file.read_text().strip()
    for name, value in (("SECURE_SSL_REDIRECT", "0"), ("SECURE_COOKIES", "0"), ("SECURE_HSTS_SECONDS", "0")):
        env.setdefault(name, value)
    if HOST in ("0.0.0.0", "::"):  # noqa: S104 - comparing, not binding
        env.setdefault("ALLOWED_HOSTS", "*")  # reached by whatever name or address this machine has
    subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    return "DEBUG is off: Concord's own error pages (DEBUG=1 make run for Django's debug pages)."


def worker_commands(queue: str) -> dict[str, list[str]]:
    """One worker for the default queue, one for member imports (``<queue>.imports``, see config.celery): a long
    or hostile file never delays reminders or alerts."""
    celery = [PY, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]
    return {
        "worker": [*celery, "-Q", queue, "-n", "default@%h", "--concurrency", "2"],
        "imports worker": [*celery, "-Q", f"{queue}.imports", "-n", "imports@%h", "--concurrency", "1"],
    }


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env.setdefault("DEMO_MODE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    # Links in emails follow the address the server really listens on, unless SITE_URL says otherwise.
    wildcard = HOST in ("0.0.0.0", "::")  # noqa: S104 - comparing, not binding
    env.setdefault("SITE_URL", f"http://{'127.0.0.1' if wildcard else HOST}:{PORT}")
    # Demo emails go to files, not the console (set EMAIL_URL or EMAIL_BACKEND to send them elsewhere).
    if not env.get("EMAIL_URL") and not env.get("EMAIL_BACKEND"):
        env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        env.setdefault("EMAIL_FILE_PATH", str(RUN / "mail"))
    RUN.mkdir(parents=True, exist_ok=True)
    mode = production_like(env)
    children: list[subprocess.Popen] = []
    broker = choose_broker(env, children)

    celery = [PY, "-m", "celery", "-A", "config"]
    commands = {
        # The code reloader only in the developer's mode (DEBUG=1): otherwise a saved file restarts the server.
        "web": [
            PY,
            "manage.py",
            "runserver",
            f"{HOST}:{PORT}",
            *([] if mode.startswith("DEBUG is on") else ["--noreload"]),
        ],
        **worker_commands(env.get("CELERY_TASK_DEFAULT_QUEUE", "concord")),
        "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(RUN / "celerybeat-schedule")],
    }
    for name, command in commands.items():
        children.append(subprocess.Popen(command, cwd=ROOT, env=env))
        print(f"· started {name} (pid {children[-1].pid})")

    from teams.demo import DEMO_PASSWORD, PERSONAS  # noqa: PLC0415 - needs Django on the path only here

    bar = "=" * 72
    print(f"\n{bar}\n Concord is starting on http://{HOST}:{PORT}/\n Broker: {broker}\n {mode}")
    print(f" Demo logins (password '{DEMO_PASSWORD}'): " + ", ".join(p[0] for p in PERSONAS))
    print(f" API docs: http://{HOST}:{PORT}/api/docs/   Health: http://{HOST}:{PORT}/healthz")
    if env.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
        print(f" Emails are written to {env['EMAIL_FILE_PATH']}/ (one file per batch).")
    print(f" Stop with Ctrl-C.\n{bar}\n", flush=True)

    def stop(*_args: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while True:
            for child in children:
                if child.poll() is not None:
                    print(f"! a process exited with code {child.returncode}; stopping the others.")
                    stop()
                    return child.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    sys.exit(main())
