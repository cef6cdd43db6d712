"""Reminders through the real Redis broker and a real worker: a worker killed with SIGKILL in the middle of a
run leaves its task unacknowledged (acks_late); Redis redelivers it to a fresh worker, and in the end every
participant has exactly one reminder of each kind."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import zoneinfo

import pytest

from campaigns.services import campaign_create
from core.models import Notification
from reviews.models import Meeting, ReminderSent, ReviewSeries
from teams.models import User
from tests.worker import ARTIFACTS, running_worker, wait_for

# slow: 5,000 participants through a real worker that is killed and redelivered (about 100 s).
pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PEOPLE = 5000
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": "3"}


def test_a_reminder_run_killed_midway_is_redelivered_and_sends_each_reminder_once(cast, redis_service, unique_queue):
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="KILL-R", name="Kill",
                               start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31))  # fmt: skip
    people = User.objects.bulk_create(User(username=f"kr-{i}", password="!") for i in range(PEOPLE))
    series = ReviewSeries.objects.create(campaign=campaign, kind="standup", weekday=2, time=dt.time(10),
                                         starts_on=dt.date(2026, 1, 5), chair=cast.lead)  # fmt: skip
    ReviewSeries.participants.through.objects.bulk_create(
        ReviewSeries.participants.through(reviewseries_id=series.pk, user_id=p.pk) for p in people
    )
    # The meeting is an hour away from the real "now" the worker sees.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    Meeting.objects.create(series=series, nominal_date=start.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date(),
                           scheduled_at=start)  # fmt: skip
    from reviews.tasks import send_reminders

    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV) as first:
        send_reminders.delay()
        # Give the run a moment to be inside its work, then kill the worker without warning.
        log_started = time.monotonic()
        while time.monotonic() - log_started < 20:
            log = (ARTIFACTS / f"worker-{unique_queue}.log").read_bytes()
            if b"Task reviews.send_reminders" in log and b"received" in log:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    partial = ReminderSent.objects.count()
    assert partial < 2 * PEOPLE, "the run finished before the kill; the test proves nothing"
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        wait_for(lambda: ReminderSent.objects.count() == 2 * PEOPLE, timeout=120, what="the redelivered run to finish")
        time.sleep(2)  # anything sent twice would show up now
    for kind in ("meeting_reminder", "status_update_reminder"):
        assert ReminderSent.objects.filter(kind=kind).count() == PEOPLE
        assert Notification.objects.filter(verb=kind).count() == PEOPLE
