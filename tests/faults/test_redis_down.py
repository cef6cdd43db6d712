"""Redis stopped (a private redis-server this test owns, serving as broker and cache): pages keep working, a
write that notifies still saves, /healthz answers 503 naming the broker, and the email queued meanwhile is
sent exactly once by a real worker after Redis returns (outbox rows + the periodic sweep)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from campaigns.services import campaign_create
from config.celery import app
from core.models import Notification, NotificationVerb
from core.tasks import sweep_notification_emails
from teams.models import TeamMembership
from tests.factories import UserFactory
from tests.worker import ARTIFACTS, reset_producer_pools, running_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_private_redis(private_redis, settings):
    """This process's producers, health check and cache use the private Redis (the worker too, when started)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = private_redis.url, False
    reset_producer_pools()
    yield private_redis
    app.conf.broker_url, app.conf.task_always_eager = previous
    reset_producer_pools()


def test_redis_down_pages_work_health_is_503_and_the_queued_email_goes_out_once_redis_returns(
    cast, client, on_private_redis, unique_queue
):
    redis = on_private_redis
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="FAULT-R", name="Broker down",
                               start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 3, 31))  # fmt: skip
    UserFactory(username="newcomer", email="newcomer@example.com")
    client.force_login(cast.lead)
    assert client.get("/healthz").status_code == 200

    redis.stop()
    assert client.get("/").status_code == 200
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    assert "FAULT-R" in page.content.decode()
    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "degraded"
    assert body["broker"]["status"] == "down"
    assert body["database"]["status"] == "ok"

    # A write whose on-commit hook enqueues an email: the enqueue fails, the write stands.
    response = client.post(f"/teams/{cast.team.pk}/members/", {"username": "newcomer", "role": "member"})
    assert response.status_code == 302
    assert TeamMembership.objects.filter(team=cast.team, user__username="newcomer", role="member").exists()
    [notification] = Notification.objects.filter(recipient__username="newcomer", verb=NotificationVerb.TEAM_MEMBERSHIP)
    assert notification.email_sent_at is None  # in the outbox: the task never reached a broker

    redis.start()  # an empty Redis: nothing of the lost task survives in it
    assert client.get("/healthz").status_code == 200
    with running_worker(queue=unique_queue, broker_url=redis.url) as worker:
        # The periodic sweep (every minute in beat) takes notifications older than two minutes.
        Notification.objects.filter(pk=notification.pk).update(
            created_at=notification.created_at - dt.timedelta(minutes=5)
        )
        sweep_notification_emails.delay()
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
            timeout=60,
            what="the sweep to send the stranded email",
        )
        sweep_notification_emails.delay()  # a later sweep must not send it again
        log_path = ARTIFACTS / f"worker-{unique_queue}.log"
        wait_for(lambda: len(re.findall(rb"sweep_notification_emails\[[^\]]+\] succeeded", log_path.read_bytes())) >= 2,
                 timeout=60, what="both sweeps to succeed")  # fmt: skip
        assert worker.poll() is None
    log = log_path.read_bytes()
    assert log.count(b"To: newcomer@example.com") == 1
    results = re.findall(rb"sweep_notification_emails\[[^\]]+\] succeeded in [0-9.]+s: (\d+)", log)
    assert results == [b"1", b"0"]
