"""One reminder run for 10,000 participants across 500 meetings on PostgreSQL (target, SPEC 10.7: ≤ 2 s, query
count independent of the number of participants). Own database: BENCH_DATABASE_URL (default concord_bench)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
MEETINGS, PER_MEETING = 500, 20


def main() -> None:
    from bench.bench_risk_alerts import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from campaigns.models import Campaign
    from reviews.models import Meeting, ReviewSeries
    from reviews.reminders import reminders_send
    from teams.demo import seed_organisation
    from teams.models import Team, User

    users = seed_organisation()
    team = Team.objects.get(code="womens-day-task-force")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reviews_remindersent, reviews_meeting, reviews_reviewseries_participants, reviews_reviewseries, "
                       "core_notification RESTART IDENTITY CASCADE")  # fmt: skip
    User.objects.filter(username__startswith="bench-r-").delete()
    people = User.objects.bulk_create(
        User(username=f"bench-r-{i}", password="!") for i in range(MEETINGS * PER_MEETING)
    )
    campaign, _ = Campaign.objects.get_or_create(
        code="BENCH-REVIEWS", defaults={"name": "Bench", "team": team, "lead": users["lead"],
                                        "start_date": dt.date(2027, 1, 1), "end_date": dt.date(2027, 12, 31)}
    )  # fmt: skip
    start = dt.datetime(2027, 3, 3, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    series = ReviewSeries.objects.bulk_create(
        ReviewSeries(campaign=campaign, kind="standup", weekday=2, time=dt.time(10), starts_on=dt.date(2027, 1, 4),
                     chair=users["lead"]) for _ in range(MEETINGS)
    )  # fmt: skip
    Through = ReviewSeries.participants.through
    Through.objects.bulk_create(
        Through(reviewseries_id=s.pk, user_id=people[i * PER_MEETING + j].pk)
        for i, s in enumerate(series)
        for j in range(PER_MEETING)
    )
    Meeting.objects.bulk_create(Meeting(series=s, nominal_date=start.date(), scheduled_at=start) for s in series)
    now = start - dt.timedelta(hours=1)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        sent = reminders_send(now=now)
        elapsed = time.perf_counter() - started
    total = sum(sent.values())
    print(f"review_reminders_{MEETINGS * PER_MEETING}_participants_{MEETINGS}_meetings  {elapsed:.2f}s  "
          f"queries={len(ctx.captured_queries)}  sent={total}  target<=2s  {'PASS' if elapsed <= 2 else 'FAIL'}")  # fmt: skip
    print(
        f"BENCH name=review_reminders_{MEETINGS * PER_MEETING}_participants value={elapsed:.2f} unit=s target=2 cmp=<="
    )
    print(f"BENCH name=review_reminders_{MEETINGS * PER_MEETING}_participants_queries value={len(ctx.captured_queries)} "
          "unit=queries")  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        again = reminders_send(now=now)
        print(f"review_reminders_second_run  {time.perf_counter() - started:.2f}s  queries={len(ctx.captured_queries)}  "
              f"sent={sum(again.values())}")  # fmt: skip


if __name__ == "__main__":
    main()
