"""Two refresh jobs at once (beat firing twice, two workers): each escalation is recorded and notified once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from core.models import Notification
from risks.alerts import refresh_alert_levels
from risks.models import AlertEvent, Risk
from tests.conftest import need_service, using_postgres
from tests.risks.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_refreshes_escalate_each_risk_once(cast, campaign):
    need_service(using_postgres(), "PostgreSQL")
    Risk.objects.bulk_create(
        Risk(campaign=campaign, title=f"r{i}", category="market", probability=3, impact=3, owner=cast.member,
             expected_date=TODAY + dt.timedelta(days=i % 9))
        for i in range(300)
    )  # fmt: skip
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            refresh_alert_levels(now=NOW)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    escalating = Risk.objects.exclude(alert_level="none").count()
    assert escalating == 300 - 300 // 9  # d = 8 stays "none"
    assert AlertEvent.objects.count() == escalating
    assert (
        Notification.objects.filter(verb="risk_alert").count()
        == escalating + Risk.objects.filter(alert_level="red").count()
    )
