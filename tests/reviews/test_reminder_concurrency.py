"""Reminder runs at the same moment (beat firing twice, two workers) notify each (meeting, user, kind) once."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection

from campaigns.services import campaign_create
from core.models import Notification
from reviews.models import Meeting, ReminderSent
from reviews.reminders import reminders_send
from reviews.services import series_save
from tests.conftest import need_service, using_postgres
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_runs_send_each_reminder_once(cast):
    need_service(using_postgres(), "PostgreSQL")
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="RACE-R", name="Race",
                               start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 12, 31))  # fmt: skip
    people = [cast.lead] + [
        MembershipFactory(team=cast.team, user=UserFactory(username=f"p{i}")).user for i in range(40)
    ]
    series = series_save(campaign=campaign, actor=cast.lead, participants=people, kind="standup", weekday=2,
                         time=dt.time(10), starts_on=dt.date(2025, 9, 1), chair=cast.lead)  # fmt: skip
    Meeting.objects.filter(series=series).delete()
    start = dt.datetime(2025, 10, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    Meeting.objects.create(series=series, nominal_date=start.date(), scheduled_at=start)
    barrier, errors = threading.Barrier(6), []

    def run():
        try:
            barrier.wait()
            reminders_send(now=start - dt.timedelta(hours=1))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for kind in ("meeting_reminder", "status_update_reminder"):
        assert ReminderSent.objects.filter(kind=kind).count() == len(people)
        assert Notification.objects.filter(verb=kind).count() == len(people)
        assert Notification.objects.filter(verb=kind).values("recipient").distinct().count() == len(people)
