"""The risk alert refresh through the real Redis broker and a real worker, killed with SIGKILL while its
transaction is open: PostgreSQL rolls the whole run back, Redis redelivers the unacknowledged task (acks_late)
to a fresh worker, and in the end every rise has exactly one AlertEvent and each recipient one notification."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from campaigns.services import campaign_create
from core.models import Notification, NotificationVerb
from risks.alerts import alert_level_for, today_in
from risks.models import AlertEvent, AlertLevel, Risk
from teams.models import User
from tests.conftest import need_service, using_postgres
from tests.worker import ARTIFACTS, running_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RISKS = 30_000
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": "3", "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings"}


def other_backends_in_transaction() -> list[int]:
    """Backends on the test database, other than ours, with a transaction open (the worker's refresh)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND xact_start IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_refresh_killed_mid_transaction_is_redelivered_and_records_each_rise_once(cast, redis_service, unique_queue):
    need_service(using_postgres(), "PostgreSQL (row locks, COPY and pg_stat_activity)")
    User.objects.filter(pk__in=[cast.lead.pk, cast.deputy.pk, cast.member.pk]).update(email="")  # no mail flood
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="KILL-A", name="Kill alerts",
                               start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31))  # fmt: skip
    today = today_in(campaign.time_zone)
    rng = random.Random(7)
    owners = [cast.deputy, cast.member]
    Risk.objects.bulk_create(
        (
            Risk(campaign=campaign, title=f"risk {i}", category="market", probability=3, impact=3,
                 owner=owners[i % 2], expected_date=today + dt.timedelta(days=rng.randint(-2, 12)),
                 status=rng.choice(["open", "open", "monitoring", "mitigated"]))
            for i in range(RISKS)
        ),
        batch_size=5000,
    )  # fmt: skip
    levels = Counter(
        alert_level_for(status=status, expected_date=expected, today=today)
        for status, expected in Risk.objects.values_list("status", "expected_date")
    )
    rises = RISKS - levels[AlertLevel.NONE]
    expected_notifications = rises + levels[AlertLevel.RED]  # the owner of each, and the lead of the red ones
    from risks.tasks import refresh_alerts

    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV) as first:
        refresh_alerts.delay()
        wait_for(lambda: bool(other_backends_in_transaction()), timeout=60, what="the refresh to open its transaction",
                 interval=0.02)  # fmt: skip
        time.sleep(0.1)
        assert other_backends_in_transaction(), "the refresh finished before the kill; the test proves nothing"
        os.kill(first.pid, signal.SIGKILL)  # no chance to commit, roll back or acknowledge the message
        first.wait(timeout=30)
    # The dead worker's backend notices its closed socket and rolls back; its row locks go with it.
    wait_for(lambda: not other_backends_in_transaction(), timeout=60, what="the dead run's backend to roll back")
    assert AlertEvent.objects.count() == 0
    assert not Notification.objects.exists()
    assert not Risk.objects.exclude(alert_level=AlertLevel.NONE).exists()

    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV) as second:
        wait_for(lambda: AlertEvent.objects.count() >= rises, timeout=180, what="the redelivered refresh to finish")
        time.sleep(2)  # anything recorded twice would show up now
        assert second.poll() is None
    log = (ARTIFACTS / f"worker-{unique_queue}.log").read_bytes()
    assert b"Task risks.refresh_alerts[" in log and b"succeeded" in log  # the second worker ran the redelivered task
    assert AlertEvent.objects.count() == rises
    assert not AlertEvent.objects.values("risk").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert Notification.objects.filter(verb=NotificationVerb.RISK_ALERT).count() == expected_notifications
    assert not Notification.objects.values("recipient", "object_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert Notification.objects.filter(recipient=cast.lead).count() == levels[AlertLevel.RED]
    stored = Counter(Risk.objects.values_list("alert_level", flat=True))
    assert stored == levels
