"""``GET /metrics`` (SPEC 10.5): Prometheus text, request figures per URL name, live gauges, loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app, import_queue
from core.models import Notification, NotificationVerb
from members.models import ImportJob, ImportStatus
from tests import worker
from tests.factories import UserFactory
from tests.worker import ROOT, reset_producer_pools

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[str, list]:
    """The samples of one scrape, by sample name: [(labels, value), …]."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict, name: str, **labels) -> float:
    matching = [
        v for sample_labels, v in samples.get(name, []) if all(sample_labels.get(k) == w for k, w in labels.items())
    ]
    return sum(matching)


def test_the_scrape_is_prometheus_text_with_every_promised_family(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    families = {family.name: family.type for family in text_string_to_metric_families(response.content.decode())}
    assert families["concord_http_requests"] == "counter"
    assert families["concord_http_request_duration_seconds"] == "histogram"
    for gauge in (
        "concord_celery_broker_up",
        "concord_celery_queue_length",
        "concord_member_imports_running",
        "concord_notifications_pending_email",
    ):
        assert families[gauge] == "gauge", gauge
    assert response.headers.get("Cache-Control", "").startswith("max-age=0")
    assert "Set-Cookie" not in response.headers  # no session made or saved


def test_request_counts_and_latencies_go_up_per_url_name_never_per_path(client):
    user = UserFactory(username="metrics-viewer")
    before = scrape(client)
    login = reverse("login")
    client.get(login)
    client.get(login)
    client.post(login, {"username": "nobody", "password": "wrong"})
    client.get(f"/no-such-page-{uuid.uuid4().hex[:8]}/")
    client.force_login(user)
    client.get(reverse("inbox"))
    after = scrape(client)

    def delta(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("concord_http_requests_total", view="login", method="GET", status="2xx") == 2
    assert delta("concord_http_requests_total", view="login", method="POST", status="2xx") == 1
    assert delta("concord_http_requests_total", view="unmatched", method="GET", status="4xx") == 1
    assert delta("concord_http_requests_total", view="inbox", method="GET", status="2xx") == 1
    assert delta("concord_http_request_duration_seconds_count", view="login", method="GET") == 2
    assert delta("concord_http_request_duration_seconds_bucket", view="login", method="GET", le="+Inf") == 2
    # the scrape before counts as one request to the metrics view itself
    assert delta("concord_http_requests_total", view="metrics", method="GET", status="2xx") >= 1
    views = {labels["view"] for labels, _ in after["concord_http_requests_total"]}
    assert not any(view.startswith("/") or "no-such-page" in view for view in views), views


def test_an_odd_method_is_one_label_not_many(client):
    before = scrape(client)
    client.generic("BREW", reverse("login"))
    after = scrape(client)
    assert (
        value(after, "concord_http_requests_total", view="login", method="other")
        - value(before, "concord_http_requests_total", view="login", method="other")
        == 1
    )
    assert not [labels for labels, _ in after["concord_http_requests_total"] if labels["method"] == "BREW"]


def test_other_addresses_get_the_ordinary_404(client, settings):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert b"concord_http_requests" not in response.content
    # Behind the TLS proxy, the proxy's loopback address does not make a stranger a scraper.
    settings.BEHIND_TLS_PROXY = True
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 404
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 127.0.0.1")
    assert response.status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_networks_are_allowed_by_cidr(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "2001:db8::/32", "192.0.2.7"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200  # IPv4-mapped
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404  # loopback no longer listed
    assert client.get("/metrics", REMOTE_ADDR="not-an-address").status_code == 404


def test_a_bad_network_in_the_setting_is_refused_at_start():
    env = {**os.environ, "METRICS_ALLOWED_IPS": "10.0.0.0/33", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr


def _pending(user, n: int) -> None:
    for i in range(n):
        Notification.objects.create(recipient=user, verb=NotificationVerb.RISK_ALERT, written_text=f"n{i}")


def test_gauges_count_the_real_rows(client):
    user = UserFactory(username="metrics-rows")
    empty = scrape(client)
    assert value(empty, "concord_member_imports_running") == 0
    assert value(empty, "concord_notifications_pending_email") == 0
    for status in (ImportStatus.RUNNING, ImportStatus.RUNNING, ImportStatus.PENDING, ImportStatus.DONE):
        ImportJob.objects.create(uploaded_by=user, filename="m.csv", file_format="csv", status=status)
    _pending(user, 3)
    Notification.objects.create(
        recipient=user, verb=NotificationVerb.RISK_ALERT, written_text="sent", email_sent_at=timezone.now()
    )
    samples = scrape(client)
    assert value(samples, "concord_member_imports_running") == 2
    assert value(samples, "concord_notifications_pending_email") == 3


def test_a_scrape_costs_the_same_queries_whatever_the_rows(client):
    user = UserFactory(username="metrics-queries")
    with CaptureQueriesContext(connection) as few:
        scrape(client)
    _pending(user, 40)
    for _ in range(10):
        ImportJob.objects.create(uploaded_by=user, filename="m.csv", file_format="csv", status=ImportStatus.RUNNING)
    with CaptureQueriesContext(connection) as many:
        scrape(client)
    assert len(few) == len(many) <= 2, [q["sql"] for q in many.captured_queries]


@pytest.fixture
def broker(request):
    """Point this process's producers (and the scrape) at another broker for one test."""
    saved = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)

    def use(url: str, queue: str | None = None) -> None:
        app.conf.broker_url = url
        if queue:
            app.conf.task_default_queue = queue
        app.conf.task_always_eager = False
        reset_producer_pools()

    yield use
    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = saved
    reset_producer_pools()


def test_with_the_broker_down_the_scrape_still_answers(client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens there
    user = UserFactory(username="metrics-down")
    _pending(user, 2)
    started = time.monotonic()
    samples = scrape(client)
    assert time.monotonic() - started < 5
    assert value(samples, "concord_celery_broker_up") == 0
    assert "concord_celery_queue_length" not in samples  # absent, not a made-up 0
    assert value(samples, "concord_notifications_pending_email") == 2  # the other gauges still answer


def test_queue_lengths_are_read_from_redis(client, broker, redis_service, unique_queue):
    import redis

    broker(redis_service, unique_queue)
    try:
        for _ in range(3):
            app.send_task("tests.metrics.never_run", queue=unique_queue)
        app.send_task("tests.metrics.never_run", queue=import_queue(unique_queue))
        samples = scrape(client)
        assert value(samples, "concord_celery_broker_up") == 1
        assert value(samples, "concord_celery_queue_length", queue=unique_queue) == 3
        assert value(samples, "concord_celery_queue_length", queue=import_queue(unique_queue)) == 1
    finally:
        client_ = redis.Redis.from_url(redis_service)
        for key in client_.scan_iter(f"*{unique_queue}*"):  # the queue lists and bindings, under any key prefix
            client_.delete(key)


@pytest.mark.django_db(transaction=True)
def test_multiprocess_mode_adds_up_the_worker_processes(tmp_path):
    """Two processes (as two gunicorn workers) count requests into PROMETHEUS_MULTIPROC_DIR; a third scrapes the
    sum of both."""
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": worker.test_database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    script = """
import sys, django
django.setup()
from django.test import Client
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/accounts/login/").status_code == 200
if sys.argv[2] == "scrape":
    print(client.get("/metrics").content.decode())
"""
    for count in (3, 2):
        subprocess.run([sys.executable, "-c", script, str(count), "-"], cwd=ROOT, env=env, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", script, "1", "scrape"], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True
    )
    samples = {}
    for family in text_string_to_metric_families(result.stdout.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    assert value(samples, "concord_http_requests_total", view="login", method="GET", status="2xx") == 6
    assert value(samples, "concord_http_request_duration_seconds_count", view="login", method="GET") == 6
    assert "concord_notifications_pending_email" in samples


def test_scrapes_over_plain_http_are_not_redirected(settings):
    """Production redirects every page to HTTPS; Prometheus scrapes each node over plain HTTP inside the network."""
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new handler, so SecurityMiddleware reads the setting
    assert client.get(reverse("login")).status_code == 301
    assert client.get("/metrics").status_code == 200
