"""Beat firing twice: the reminder task published twice at the same moment to a real worker with two pool
processes on the real Redis broker. Both runs execute, side by side, and every (meeting, user, kind) reminder
and inbox notification exists exactly once."""

from __future__ import annotations

import ast
import datetime as dt
import re
import time
import zoneinfo

import pytest

from campaigns.services import campaign_create
from core.models import Notification
from reviews.models import Meeting, ReminderSent, ReviewSeries
from teams.models import User
from tests.conftest import need_service, using_postgres
from tests.worker import ARTIFACTS, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PEOPLE = 3000
MEETINGS = 2
SUCCEEDED = re.compile(
    r"\[([\d-]+ [\d:,]+): INFO/(ForkPoolWorker-\d+)\] Task reviews\.send_reminders\[[^\]]+\] "
    r"succeeded in ([\d.]+)s: (\{.*\})"
)


def _interval(stamp: str, seconds: str) -> tuple[dt.datetime, dt.datetime]:
    end = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
    return end - dt.timedelta(seconds=float(seconds)), end


def test_a_double_beat_on_two_pool_processes_sends_each_reminder_once(cast, redis_service, unique_queue):
    # Two processes writing at once: SQLite would only say "database is locked"; the guarantee is PostgreSQL's.
    need_service(using_postgres(), "PostgreSQL")
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="BEAT-R", name="Beat",
                               start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31))  # fmt: skip
    people = User.objects.bulk_create(User(username=f"db-{i}", password="!") for i in range(PEOPLE))
    series = ReviewSeries.objects.create(campaign=campaign, kind="standup", weekday=2, time=dt.time(10),
                                         starts_on=dt.date(2026, 1, 5), chair=cast.lead)  # fmt: skip
    ReviewSeries.participants.through.objects.bulk_create(
        ReviewSeries.participants.through(reviewseries_id=series.pk, user_id=p.pk) for p in people
    )
    # Two meetings an hour (and 90 minutes) away from the real "now" the worker sees: inside both windows.
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    base = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for minutes in (60, 90):
        start = base + dt.timedelta(minutes=minutes)
        Meeting.objects.create(series=series, nominal_date=start.astimezone(zone).date() + dt.timedelta(days=minutes),
                               scheduled_at=start)  # fmt: skip
    expected = PEOPLE * MEETINGS
    from reviews.tasks import send_reminders

    with running_worker(queue=unique_queue, broker_url=redis_service, concurrency=2):
        # What a doubled beat does: the same periodic task published twice at the same moment.
        first, second = send_reminders.delay(), send_reminders.delay()
        assert first.id != second.id
        log_path = ARTIFACTS / f"worker-{unique_queue}.log"
        wait_for(lambda: len(SUCCEEDED.findall(log_path.read_text())) == 2, timeout=180, what="both runs to finish")
        time.sleep(1)  # anything sent twice would show up now
        runs = SUCCEEDED.findall(log_path.read_text())
    processes = {process for _stamp, process, _seconds, _result in runs}
    assert len(processes) == 2, f"both runs went to one pool process ({processes}); the test proves less"
    (start_a, end_a), (start_b, end_b) = (_interval(stamp, seconds) for stamp, _p, seconds, _r in runs)
    assert start_a < end_b and start_b < end_a, "the two runs did not overlap; the test proves less"
    results = [ast.literal_eval(result) for _stamp, _process, _seconds, result in runs]
    for kind in ("meeting_reminder", "status_update_reminder"):
        # Between them the two runs sent each reminder once: never both, never neither.
        assert sum(r[kind] for r in results) == expected, results
        assert ReminderSent.objects.filter(kind=kind).count() == expected
        assert Notification.objects.filter(verb=kind).count() == expected
        pairs = Notification.objects.filter(verb=kind).values("recipient", "object_id").distinct().count()
        assert pairs == expected
