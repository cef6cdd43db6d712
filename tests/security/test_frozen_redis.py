"""Hole 2 (high): a frozen Redis took the whole site down (SPEC 10.1 "Dependencies that stall").

Reported attack: with Redis accepting connections but not answering (``kill -STOP``), /healthz, import uploads
and any view that publishes a task hung for minutes, and ``auth/token/`` answered 500 when Redis was down.
Here a private redis-server serves as cache and broker with the production settings' options; it is frozen with
SIGSTOP while pages, writes, an upload, /healthz and auth/token/ are requested: each answers within 5 s. After
SIGCONT nothing is lost: the writes stand and the stranded email is sent exactly once by a real worker.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.services import campaign_create
from config.celery import app
from core.models import Notification, NotificationVerb
from core.tasks import sweep_notification_emails
from members.models import ImportJob
from teams.models import TeamMembership
from tests.factories import UserFactory
from tests.worker import ARTIFACTS, reset_producer_pools, running_worker, wait_for

BOUND = 5.0  # seconds: SPEC 10.1


def test_every_redis_and_broker_client_has_connect_and_read_timeouts():
    cache = django_settings.CACHES["default"]
    if django_settings.REDIS_URL:
        assert cache["BACKEND"] == "core.resilience.ResilientRedisCache"
        assert 0 < cache["OPTIONS"]["socket_connect_timeout"] <= 2
        assert 0 < cache["OPTIONS"]["socket_timeout"] <= 2
    options = app.conf.broker_transport_options
    assert 0 < options["socket_connect_timeout"] <= 2
    assert 0 < options["socket_timeout"] <= 2
    assert app.conf.broker_connection_timeout <= 2


@pytest.fixture
def on_private_redis(private_redis, settings):
    """Cache and broker on the private Redis, with the production settings' options (timeouts included)."""
    production = django_settings.CACHES["default"]
    if not production["BACKEND"].endswith("RedisCache"):  # no REDIS_URL here: what settings.py builds with one
        timeout = django_settings.REDIS_TIMEOUT_SECONDS
        production = {
            "BACKEND": "core.resilience.ResilientRedisCache",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    # Assigned whole: the setting_changed signal then drops the cache connections made so far.
    settings.CACHES = {"default": {**production, "LOCATION": private_redis.url}}
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = private_redis.url, False
    reset_producer_pools()
    yield private_redis
    app.conf.broker_url, app.conf.task_always_eager = previous
    reset_producer_pools()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.faults
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_slows_no_request_beyond_five_seconds_and_loses_nothing(
    cast, client, on_private_redis, unique_queue
):
    redis = on_private_redis
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="FROZEN-R", name="Redis frozen",
                               start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 3, 31))  # fmt: skip
    UserFactory(username="newcomer", email="newcomer@example.com")
    cast.viewer.set_password("a-long-pass-phrase-9")
    cast.viewer.save()
    client.force_login(cast.lead)
    assert client.get("/healthz").status_code == 200

    os.kill(redis.proc.pid, signal.SIGSTOP)
    try:
        figures = {}
        home, figures["home"] = timed(lambda: client.get("/"))
        assert home.status_code == 200
        page, figures["campaign"] = timed(lambda: client.get(f"/campaigns/{campaign.pk}/"))
        assert page.status_code == 200 and "FROZEN-R" in page.content.decode()
        health, figures["healthz"] = timed(lambda: client.get("/healthz"))
        assert health.status_code == 503 and health.json()["broker"]["status"] == "down"
        write, figures["write"] = timed(
            lambda: client.post(f"/teams/{cast.team.pk}/members/", {"username": "newcomer", "role": "member"})
        )
        assert write.status_code == 302
        upload = SimpleUploadedFile("m.csv", "external_id,name\nFR-1,甲\n".encode(), content_type="text/csv")
        imported, figures["upload"] = timed(
            lambda: client.post("/members/import/upload/", {"file": upload, "campaign": campaign.pk})
        )
        assert imported.status_code == 302, imported.content[:500]
        token, figures["token"] = timed(
            lambda: client.post(
                "/api/v1/auth/token/",
                {"username": cast.viewer.username, "password": "a-long-pass-phrase-9"},
                content_type="application/json",
            )
        )
        assert token.status_code == 200 and token.json()["token"], token.content
        print("seconds per request with Redis frozen:", {k: round(v, 2) for k, v in figures.items()})
        slow = {name: round(seconds, 2) for name, seconds in figures.items() if seconds > BOUND}
        assert not slow, f"requests slower than {BOUND} s with Redis frozen: {slow}"
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)

    # Resumed: the writes stand, and the stranded email goes out exactly once.
    assert TeamMembership.objects.filter(team=cast.team, user__username="newcomer").exists()
    assert ImportJob.objects.filter(campaign=campaign).count() == 1
    [notification] = Notification.objects.filter(recipient__username="newcomer", verb=NotificationVerb.TEAM_MEMBERSHIP)
    wait_for(lambda: client.get("/healthz").status_code == 200, timeout=20, what="/healthz to recover")
    with running_worker(queue=unique_queue, broker_url=redis.url):
        Notification.objects.filter(pk=notification.pk).update(
            created_at=notification.created_at - dt.timedelta(minutes=5)
        )
        sweep_notification_emails.delay()
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
            timeout=60,
            what="the stranded email to be sent",
        )
        sweep_notification_emails.delay()
        log_path = ARTIFACTS / f"worker-{unique_queue}.log"
        wait_for(lambda: len(re.findall(rb"sweep_notification_emails\[[^\]]+\] succeeded", log_path.read_bytes())) >= 2,
                 timeout=60, what="both sweeps to succeed")  # fmt: skip
    assert log_path.read_bytes().count(b"To: newcomer@example.com") == 1
