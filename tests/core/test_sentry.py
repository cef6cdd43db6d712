"""Optional error reporting with SENTRY_DSN (SPEC 10.5, issue 19): errors are reported, personal data is not.

The reporting test runs the site in a child process (so the SDK initialised there never leaks into other tests)
with ``SENTRY_DSN`` pointing at a small HTTP receiver in this test, which gets the real envelope the SDK sends.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sentry_sdk

from core.sentry import scrub_event
from tests import worker
from tests.factories import UserFactory
from tests.worker import ROOT

SECRETS = {
    "email": "alice.wong@example.com",
    "login_email": "owner@example.org",
    "mobile": "13812345678",
    "landline": "010-62345678",
    "token": "Token 9f8e7d6c5b4a-secret-token-value",
    "csrf": "csrfcookievalue0123456789abcdef01",
}

CHILD = """
import logging
import django
django.setup()
import sentry_sdk
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from wsgiref.simple_server import WSGIRequestHandler, make_server

from config import urls as site_urls


@csrf_exempt
def boom(request):
    logging.getLogger("concord.test").error("Mailing %s failed", request.user.email)
    raise RuntimeError(f"cannot reach {request.user.email} or {request.POST['email']} at {request.POST['phone']}")


urlpatterns = [path("boom/", boom), *site_urls.urlpatterns]
settings.ROOT_URLCONF = "__main__"
assert sentry_sdk.get_client().is_active(), "SENTRY_DSN set but sentry not initialised"


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
print(server.server_port, flush=True)
server.handle_request()  # the one request of the test, through Django's real WSGI handler
sentry_sdk.flush(timeout=10)
"""


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        type(self).bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Receiver.bodies
    server.shutdown()
    server.server_close()


def _events(bodies: list[bytes]) -> list[dict]:
    """The event items of the received envelopes (header line, then item header + payload pairs)."""
    events = []
    for body in bodies:
        lines = body.split(b"\n")
        for index in range(1, len(lines) - 1):
            try:
                header = json.loads(lines[index])
            except ValueError:
                continue
            if isinstance(header, dict) and header.get("type") == "event":
                events.append(json.loads(lines[index + 1]))
    return events


@pytest.mark.django_db(transaction=True)
def test_an_error_is_reported_without_personal_data(receiver, client, settings):
    server, bodies = receiver
    owner = UserFactory(username="sentry-owner", email=SECRETS["login_email"])
    client.force_login(owner)  # a real session in the test database, which the child process shares
    session = client.cookies["sessionid"].value
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": worker.test_database_url(),
        "SENTRY_DSN": f"http://public@127.0.0.1:{server.server_address[1]}/1",
        "SENTRY_ENVIRONMENT": "test-env",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the same key, so the child reads the session made here
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_MANIFEST": "0",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = int(child.stdout.readline().strip() or 0)
        assert port, child.stderr.read()[-3000:]
        response = httpx.post(
            f"http://127.0.0.1:{port}/boom/?email={SECRETS['email']}&tel={SECRETS['mobile']}",
            data={"email": SECRETS["email"], "phone": SECRETS["landline"], "note": "call " + SECRETS["mobile"]},
            headers={"Authorization": SECRETS["token"], "X-Forwarded-For": "198.51.100.23"},
            cookies={"sessionid": session, "csrftoken": SECRETS["csrf"]},
            timeout=60,
        )
        assert response.status_code == 500
        assert child.wait(timeout=60) == 0, child.stderr.read()[-3000:]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    events = _events(bodies)
    crash = [
        e for e in events if any(x.get("type") == "RuntimeError" for x in e.get("exception", {}).get("values", []))
    ]
    assert crash, f"no RuntimeError event among {len(events)} events"
    event = crash[0]
    assert event["environment"] == "test-env"
    assert event["request"]["url"].endswith("/boom/")
    assert "[Filtered]" in json.dumps(event)  # the message survived, with its personal parts blanked
    assert any(e.get("logentry") or e.get("message") for e in events)  # the ERROR log line was reported too

    everything = b"\n".join(bodies).decode("utf-8", "replace")
    for what, secret in {**SECRETS, "session": session, "forwarded": "198.51.100.23"}.items():
        assert secret not in everything, f"{what} leaked to the error reporter"
    assert "@example." not in everything
    for event in events:
        headers = {name.lower() for name in event.get("request", {}).get("headers", {})}
        assert not headers & {"authorization", "cookie", "x-forwarded-for"}, headers
        assert "data" not in event.get("request", {}) and "cookies" not in event.get("request", {})
        assert set(event.get("user", {})) <= {"id"}


def test_scrub_event_blanks_what_a_report_must_not_carry():
    event = {
        "event_id": "13812345678abcdef13812345678abcd",
        "message": "user bob@example.com (+44 20 7946 0958) failed",
        "request": {
            "url": "https://concord.example/members/?phone=13912345678",
            "data": {"name": "王小明"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Authorization": "Token x", "Cookie": "sessionid=abc", "User-Agent": "curl"},
            "env": {"REMOTE_ADDR": "203.0.113.1"},
        },
        "user": {"id": 7, "email": "bob@example.com", "username": "bob", "ip_address": "203.0.113.1"},
        "breadcrumbs": {"values": [{"message": "sent to carol@example.com"}]},
        "contexts": {"trace": {"trace_id": "13812345678000000000000000000000"}},
    }
    scrubbed = scrub_event(event)
    text = json.dumps(scrubbed)
    assert "@example.com" not in text and "13912345678" not in text and "7946" not in text
    assert scrubbed["request"]["headers"] == {"User-Agent": "curl"}
    assert {"data", "cookies", "env"}.isdisjoint(scrubbed["request"])
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["event_id"] == "13812345678abcdef13812345678abcd"  # ids are kept as they are
    assert scrubbed["contexts"]["trace"]["trace_id"].startswith("13812345678")


def test_without_a_dsn_nothing_is_initialised(settings):
    assert not settings.SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()
