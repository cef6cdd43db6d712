"""Dashboards at scale on PostgreSQL: 500 campaigns, 50,000 tasks, 20,000 risks and 1,000,000 customer members,
then the "my work" home, a campaign overview and the portfolio through Django's test client (~30 requests each after a
first, cold one and two warm-ups, server time only: no network, no browser). Prints p50/p95 in ms and the query count of each page (target: p95
under 150 ms).

The script creates its own database (BENCH_DATABASE_URL, default concord_bench_dashboards), loads the data
set-wise (bulk_create in batches, COPY for the members), runs VACUUM (ANALYZE) as autovacuum would, measures, and drops the database again.

    .venv/bin/python bench/bench_dashboards.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench_dashboards")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"

CAMPAIGNS, TASKS, RISKS, MEMBERS = 500, 50_000, 20_000, 1_000_000
TEAMS = 50
PHASES_PER_CAMPAIGN, MILESTONES_PER_PHASE = 4, 2
REQUESTS, WARMUP = 30, 3
TARGET_MS = 150


def _admin_url() -> str:
    return urlparse(URL)._replace(path="/postgres").geturl()


def create_database() -> None:
    import psycopg

    name = urlparse(URL).path.lstrip("/")
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = urlparse(URL).path.lstrip("/")
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(rng: random.Random) -> dict:
    """Everything set-wise: a few bulk_create calls per model and one COPY for the members."""
    from django.db import connection
    from django.utils import timezone

    from budgets.models import Budget, BudgetLine, Expense
    from campaigns.models import Campaign, Milestone, Phase, Task, TaskDependency
    from core.roles import TeamRole
    from members.models import Member
    from reviews.models import ActionItem, Meeting, ReviewSeries
    from risks.models import Risk
    from teams.demo import seed_organisation
    from teams.models import Team, TeamMembership, User

    users = seed_organisation()
    task_force = Team.objects.get(code="womens-day-task-force")
    staff, lead = users["staff"], users["lead"]
    teams = [
        task_force,
        *Team.objects.bulk_create(Team(code=f"bench-{i}", name=f"工作組 {i}") for i in range(TEAMS - 1)),
    ]
    people = User.objects.bulk_create(User(username=f"bench-u{i}", password="!") for i in range(TEAMS * 5))
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=people[t * 5 + j], role=TeamRole.LEAD if j == 0 else TeamRole.MEMBER)
        for t, team in enumerate(teams)
        for j in range(5)
    )
    today = timezone.localdate()
    statuses = ["planning", "active", "active", "active", "closing", "closed"]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            code=f"B-{k:04d}",
            name=f"Bench campaign {k}",
            team=teams[k % TEAMS],
            lead=lead if k % TEAMS == 0 else people[(k % TEAMS) * 5],
            start_date=today - dt.timedelta(days=rng.randint(10, 60)),
            end_date=today + dt.timedelta(days=rng.randint(10, 90)),
            status=rng.choice(statuses),
        )
        for k in range(CAMPAIGNS)
    )
    phases = Phase.objects.bulk_create(
        Phase(campaign=c, name=f"Phase {j}", order=j, start_date=c.start_date, end_date=c.end_date)
        for c in campaigns
        for j in range(1, PHASES_PER_CAMPAIGN + 1)
    )
    Milestone.objects.bulk_create(
        Milestone(campaign_id=p.campaign_id, phase=p, name="Milestone", due_date=today + dt.timedelta(days=rng.randint(-2, 40)),
                  done=rng.random() < 0.4)
        for p in phases
        for _ in range(MILESTONES_PER_PHASE)
    )  # fmt: skip
    per_campaign = TASKS // CAMPAIGNS
    task_rows = []
    for i, c in enumerate(campaigns):
        for j in range(per_campaign):
            start = today + dt.timedelta(days=rng.randint(-40, 30))
            mine = c.team_id == task_force.pk and j % 5 == 0
            task_rows.append(
                Task(
                    campaign=c,
                    phase=phases[i * PHASES_PER_CAMPAIGN + j % PHASES_PER_CAMPAIGN],
                    title=f"Task {j}",
                    owner=staff if mine else people[(i % TEAMS) * 5 + 1 + j % 4],
                    start_date=start,
                    due_date=start + dt.timedelta(days=rng.randint(0, 14)),
                    status=rng.choice(["todo", "in_progress", "done", "done", "blocked"]),
                    progress=rng.choice([0, 20, 50, 80]),
                )
            )
    tasks = Task.objects.bulk_create(task_rows, batch_size=5000)
    TaskDependency.objects.bulk_create(
        (
            TaskDependency(predecessor=tasks[n - 1], successor=tasks[n])
            for n in range(len(tasks))
            if n % per_campaign and rng.random() < 0.7 and tasks[n - 1].due_date < tasks[n].start_date
        ),
        batch_size=5000,
    )
    Risk.objects.bulk_create(
        (
            Risk(
                campaign=campaigns[n % CAMPAIGNS],
                title=f"Risk {n}",
                category=rng.choice(["technical", "market", "execution", "partner", "compliance"]),
                owner=staff if campaigns[n % CAMPAIGNS].team_id == task_force.pk and n % 7 == 0 else people[n % len(people)],
                probability=rng.randint(1, 5),
                impact=rng.randint(1, 5),
                expected_date=today + dt.timedelta(days=rng.randint(-5, 30)),
                status=rng.choice(["open", "open", "monitoring", "mitigated", "closed", "occurred"]),
                alert_level=rng.choice(["none", "none", "blue", "yellow", "red"]),
            )
            for n in range(RISKS)
        ),
        batch_size=5000,
    )  # fmt: skip
    approved = Budget.objects.bulk_create(
        Budget(campaign=c, version=1, total=Decimal("10000000.00"), status="approved", created_by=lead)
        for c in campaigns
    )
    Budget.objects.bulk_create(
        Budget(campaign=c, version=2, total=Decimal("12000000.00"), status="in_review", created_by=lead,
               submitted_by=lead, submitted_at=timezone.now())
        for c in campaigns[::3]
    )  # fmt: skip
    categories = [
        "tech_development",
        "channel_promotion",
        "benefits_procurement",
        "materials",
        "partner_reserve",
        "emergency",
    ]
    lines = BudgetLine.objects.bulk_create(
        BudgetLine(budget=b, category=cat, kind="rigid" if n < 3 else "flexible", amount=Decimal("1500000.00"), position=n)
        for b in approved
        for n, cat in enumerate(categories)
    )  # fmt: skip
    Expense.objects.bulk_create(
        (Expense(line=line, amount=Decimal(rng.randint(1000, 200000)), date=today, description="bench", recorded_by=lead)
         for line in lines for _ in range(2)),
        batch_size=5000,
    )  # fmt: skip
    series = ReviewSeries.objects.bulk_create(
        ReviewSeries(campaign=c, kind="standup", title=f"Standup {c.code}", weekday=0, time=dt.time(10), starts_on=today,
                     chair=c.lead)
        for c in campaigns
    )  # fmt: skip
    Through = ReviewSeries.participants.through
    Through.objects.bulk_create(
        Through(reviewseries_id=s.pk, user_id=u.pk)
        for k, (s, c) in enumerate(zip(series, campaigns, strict=True))
        for u in ([staff, lead] if c.team_id == task_force.pk else [people[(k % TEAMS) * 5 + 1]])
    )
    now = timezone.now()
    meetings = Meeting.objects.bulk_create(
        Meeting(series=s, nominal_date=today + dt.timedelta(days=w * 7 + 1), scheduled_at=now + dt.timedelta(days=w * 7 + 1))
        for s in series
        for w in range(4)
    )  # fmt: skip
    ActionItem.objects.bulk_create(
        ActionItem(meeting=m, title="Follow up", owner=staff if m.series.campaign.team_id == task_force.pk else lead,
                   due_date=today + dt.timedelta(days=3))
        for m in meetings[::2]
    )  # fmt: skip
    # 1,000,000 members by COPY (the tiers follow the fees: 60 % basic, 25 % mid-high, 15 % top).
    stamp = now.isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        columns = ("external_id, name, phone, age_band, tags, annual_fee, tier, consent, source_campaign_id, "
                   "created_at, updated_at")  # fmt: skip
        with cursor.cursor.copy(f"COPY {Member._meta.db_table} ({columns}) FROM STDIN") as copy:
            ids = [c.pk for c in campaigns]
            for n in range(MEMBERS):
                roll = n % 20
                tier, fee = (
                    ("basic", "0.00") if roll < 12 else ("mid_high", "299.00") if roll < 17 else ("top", "1299.00")
                )
                copy.write_row((f"M{n:07d}", "會員", "", "", "[]", fee, tier, True, ids[n % CAMPAIGNS], stamp, stamp))
    copy_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # VACUUM as well as ANALYZE: a database in use has its visibility maps set by autovacuum (which PostgreSQL
        # 13+ also starts after large inserts), so counts can be answered from an index alone, as measured here.
        cursor.execute("VACUUM (ANALYZE)")
    wd_like = next(c for c in campaigns if c.team_id == task_force.pk and c.status == "active")
    return {"users": users, "overview": wd_like, "copy_seconds": copy_seconds}


def measure(client, path: str) -> tuple[float, float, int, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    assert client.get(path).status_code == 200, path
    cold = (time.perf_counter() - started) * 1000
    for _ in range(WARMUP - 1):
        assert client.get(path).status_code == 200, path
    reset_queries()  # the test client's request_started signal resets the log; start from empty
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return cold, statistics.median(times), p95, len(ctx.captured_queries), len(response.content)


def main() -> None:
    keep = "--keep" in sys.argv  # leave the database for profiling (drop it with a later run without --keep)
    create_database()
    import uuid

    import django
    from django.conf import settings

    # A private cache prefix: critical paths cached by an earlier run (same ids, same plans) must not make the
    # first request look warm. The keys are removed at the end.
    prefix = f"bench-dashboards-{uuid.uuid4().hex[:8]}"
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    from campaigns.models import Campaign, Task
    from members.models import Member
    from risks.models import Risk

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        data = build(random.Random(8))
        print(f"built in {time.perf_counter() - started:.1f}s (members COPY {data['copy_seconds']:.1f}s): "
              f"{Campaign.objects.count()} campaigns, {Task.objects.count()} tasks, {Risk.objects.count()} risks, "
              f"{Member.objects.count()} members")  # fmt: skip
        users, overview = data["users"], data["overview"]
        mine = Task.objects.filter(owner=users["staff"]).aggregate(n=Count("pk"))["n"]
        print(f"staff owns {mine} tasks; overview campaign {overview.code} has "
              f"{overview.tasks.count()} tasks, {overview.risks.count()} risks")  # fmt: skip
        pages = [
            ("home (staff: tasks, alerts, meetings, actions)", "staff", "/"),
            ("home (finance: sign-off queue)", "finance", "/"),
            ("home (exec)", "exec", "/"),
            ("overview (lead)", "lead", f"/campaigns/{overview.pk}/"),
            ("overview (exec)", "exec", f"/campaigns/{overview.pk}/"),
            ("portfolio (exec, by code)", "exec", "/campaigns/portfolio/"),
            ("portfolio (exec, ?sort=red&page=10)", "exec", "/campaigns/portfolio/?sort=red&page=10"),
            ("portfolio (exec, ?sort=health)", "exec", "/campaigns/portfolio/?sort=health"),
            ("portfolio (exec, ?health=red)", "exec", "/campaigns/portfolio/?health=red"),
            ("portfolio (admin, ?status=active&sort=spent)", "admin", "/campaigns/portfolio/?status=active&sort=spent"),
        ]
        print(f"{'page':48} {'1st ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  target p95<{TARGET_MS}ms")
        for label, username, path in pages:
            client = Client()
            client.force_login(users[username])
            cold, p50, p95, queries, size = measure(client, path)
            verdict = "PASS" if p95 < TARGET_MS else "FAIL"
            print(f"{label:48} {cold:8.1f} {p50:8.1f} {p95:8.1f} {queries:8d}  {verdict}  ({size // 1024} KiB)")
            slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            print(f"BENCH name=dashboard_{slug}_p95 value={p95:.1f} unit=ms target={TARGET_MS} cmp=<")
    finally:
        client = getattr(cache, "_cache", None)
        if client is not None and hasattr(client, "get_client"):  # Redis: delete this run's keys only
            redis = client.get_client(write=True)
            for key in redis.scan_iter(f"{prefix}:*"):
                redis.delete(key)
        if not keep:
            drop_database()
            print("bench database dropped")


if __name__ == "__main__":
    main()
