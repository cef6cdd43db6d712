"""A request id on every log line, from the web request into the Celery tasks it enqueues (SPEC 10.5, issue 19)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from celery import signals
from django.conf import settings
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from config.celery import app
from core.models import Notification
from core.requestid import current_request_id
from core.roles import TeamRole
from core.tasks import send_notification_emails
from tests.factories import UserFactory
from tests.worker import ARTIFACTS, ROOT, reset_producer_pools, running_worker, wait_for

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The configured console handler (settings LOGGING), writing with the ``json`` formatter of the same
    configuration into a buffer for the test."""
    handler = next(h for h in logging.getLogger("django").handlers if h.get_name() == "console")
    options = {key: value for key, value in settings.LOGGING["formatters"]["json"].items() if key != "()"}
    buffer = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter(**options))
    try:
        yield buffer
    finally:
        handler.setStream(previous_stream)
        handler.setFormatter(previous_formatter)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_each_request_gets_a_new_id_in_the_response(client):
    first = client.get(reverse("login"))["X-Request-ID"]
    second = client.get(reverse("login"))["X-Request-ID"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second) and first != second
    assert current_request_id() is None  # nothing left behind after the request


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("lb-7f3a.2_x", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("evil\r\nSet-Cookie: x=1", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_an_incoming_id_is_kept_only_if_it_is_a_sane_token(client, sent, kept):
    returned = client.get(reverse("login"), HTTP_X_REQUEST_ID=sent)["X-Request-ID"]
    if kept:
        assert returned == sent
    else:
        assert HEX32.fullmatch(returned)


@pytest.mark.django_db
def test_the_log_lines_of_a_request_carry_its_id_as_json(client, json_log):
    response = client.get("/no-such-page-for-the-log/")
    assert response.status_code == 404
    records = lines(json_log)  # every line is one JSON object
    not_found = [r for r in records if r["logger"] == "django.request"]
    assert not_found, records
    for record in not_found:
        assert record["request_id"] == response["X-Request-ID"]
        assert record["level"] == "WARNING"
        assert {"time", "message"} <= record.keys()
    # and with the client's own id
    client.get("/no-such-page-for-the-log/", HTTP_X_REQUEST_ID="trace-42")
    assert lines(json_log)[-1]["request_id"] == "trace-42"


def test_log_format_json_switches_the_real_configuration(tmp_path):
    """LOG_FORMAT=json in the environment: the console prints one JSON object per line, with the request id."""
    script = """
import django
django.setup()
from django.test import Client
response = Client().get("/no-such-page-json/", HTTP_X_REQUEST_ID="from-the-balancer")
import logging
logging.getLogger("concord.test").info("outside any request")
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_FORMAT": "json"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]  # fails on any line that is not JSON
    assert any(r["logger"] == "django.request" and r["request_id"] == "from-the-balancer" for r in records), records
    outside = [r for r in records if r["logger"] == "concord.test"]
    assert outside and outside[0]["request_id"] is None and outside[0]["level"] == "INFO"

    env["LOG_FORMAT"] = "yaml"
    refused = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "LOG_FORMAT" in refused.stderr


@pytest.fixture
def team_and_lead(db):
    from tests.factories import MembershipFactory, TeamFactory

    team = TeamFactory(name="Request id team", code="rid-team")
    lead = MembershipFactory(team=team, role=TeamRole.LEAD, user=UserFactory(username="rid-lead")).user
    newcomer = UserFactory(username="rid-newcomer", email="newcomer@example.com")
    return team, lead, newcomer


@pytest.fixture
def published_headers() -> Iterator[list[tuple[str, dict]]]:
    """(task name, headers) of every task published during the test, as the broker receives them."""
    seen: list[tuple[str, dict]] = []

    def record(sender=None, headers=None, **kwargs):
        seen.append((sender, dict(headers or {})))

    signals.before_task_publish.connect(record, weak=False, dispatch_uid="test-request-id-headers")
    yield seen
    signals.before_task_publish.disconnect(dispatch_uid="test-request-id-headers")


@pytest.mark.django_db(transaction=True)  # real commits: the email task is published on commit, inside the request
def test_a_task_enqueued_by_a_request_carries_its_id_and_logs_with_it(
    client, team_and_lead, published_headers, json_log
):
    team, lead, newcomer = team_and_lead
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = "memory://", False  # a real publish, to an in-memory broker
    reset_producer_pools()
    try:
        client.force_login(lead)
        response = client.post(
            reverse("teams:membership_add", args=[team.pk]),
            {"username": newcomer.username, "role": TeamRole.MEMBER},
            HTTP_X_REQUEST_ID="membership-req-1",
        )
        assert response.status_code == 302
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_producer_pools()
    emails = [headers for name, headers in published_headers if name == "core.send_notification_emails"]
    assert emails and emails[0]["request_id"] == "membership-req-1"

    # Run the task as the worker would, with the message's headers: its log lines carry the request's id.
    notification = Notification.objects.get(recipient=newcomer)
    json_log.truncate(0)
    json_log.seek(0)
    send_notification_emails.apply(args=[[notification.pk]], headers={"request_id": emails[0]["request_id"]})
    task_lines = [r for r in lines(json_log) if r.get("task_name") == "core.send_notification_emails"]
    assert task_lines, lines(json_log)
    assert all(r["request_id"] == "membership-req-1" and r["task_id"] for r in task_lines)
    assert current_request_id() is None  # reset after the task


def test_a_task_published_outside_a_request_has_no_id(published_headers):
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = "memory://", False
    reset_producer_pools()
    try:
        app.send_task("tests.request_id.nothing", queue="request-id-test")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_producer_pools()
    assert published_headers and "request_id" not in published_headers[-1][1]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_the_task_with_the_request_id(client, redis_service, unique_queue):
    from tests.factories import MembershipFactory, TeamFactory

    team = TeamFactory(name="Worker request id team", code="rid-worker")
    lead = MembershipFactory(team=team, role=TeamRole.LEAD, user=UserFactory(username="rid-worker-lead")).user
    newcomer = UserFactory(username="rid-worker-newcomer", email="worker-newcomer@example.com")
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env={"LOG_FORMAT": "json"}):
        client.force_login(lead)
        response = client.post(
            reverse("teams:membership_add", args=[team.pk]),
            {"username": newcomer.username, "role": TeamRole.MEMBER},
            HTTP_X_REQUEST_ID="worker-req-7",
        )
        assert response.status_code == 302
        wait_for(
            lambda: Notification.objects.filter(recipient=newcomer, email_sent_at__isnull=False).exists(),
            timeout=30,
            what="the worker to send the membership email",
        )
    log = (ARTIFACTS / f"worker-{unique_queue}.log").read_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert records, log
    done = [
        r
        for r in records
        if r.get("task_name") == "core.send_notification_emails" and "succeeded" in r.get("message", "")
    ]
    assert done, log
    assert done[0]["request_id"] == "worker-req-7" and done[0]["task_id"]
    # (the console email backend prints the email itself to the same file; the log lines never name the address)
    assert not [r for r in records if "worker-newcomer@example.com" in json.dumps(r)]
    assert not [r for r in records if "data" in r or "args" in r]  # Celery's task arguments are not printed
