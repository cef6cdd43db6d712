"""Points expiry over 1,000,000 members on PostgreSQL (target, SPEC 10.7: ≤ 10 s, queries independent of N).

Uses a database of its own (BENCH_POINTS_DATABASE_URL, default ``concord_bench_points`` on the local server),
which it creates, migrates and drops again (``--keep`` leaves it). Each member gets a ledger as a real one looks
after two years: 100–149 points earned in 2025 (lapsing after 2026-12-31), 50 earned in 2026 (lapsing after
2027-12-31), and for two members in three a redemption of 1–79 points; balance rows are made from the ledger. Then
``members.points.points_expire`` runs for 1 January 2027 — the run that expires the most — timed, with its query
count, and a second time the same day (it must find nothing). The ledger and the balances must agree afterwards.

BENCH_POINTS_MEMBERS (default 1,000,000) sets the number of members for a smaller trial run.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_POINTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench_points")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
MEMBERS = int(os.environ.get("BENCH_POINTS_MEMBERS", "1000000"))
TARGET_S = 10.0
DAY = dt.date(2027, 1, 1)


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


def build() -> None:
    """Members and their ledgers, set-wise (generate_series), then the balances from the ledgers and ANALYZE."""
    from django.db import connection

    from members.models import Member, MemberPoints, PointsEntry

    member, ledger, balances = Member._meta.db_table, PointsEntry._meta.db_table, MemberPoints._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {member} (external_id, name, phone, age_band, tags, annual_fee, tier, consent, "  # noqa: S608
            f"created_at, updated_at) SELECT 'P' || lpad(g::text, 8, '0'), '會員', '', '', '[]', 0, 'basic', true, "
            f"now(), now() FROM generate_series(1, %s) AS g",
            [MEMBERS],
        )
        cursor.execute(
            f"INSERT INTO {ledger} (member_id, delta, reason, note, created_at, expires_at) "  # noqa: S608
            f"SELECT id, 100 + id % 50, 'earn', '', '2025-03-01T10:00:00+08:00'::timestamptz, '2026-12-31'::date FROM {member} "
            f"UNION ALL SELECT id, 50, 'earn', '', '2026-05-01T10:00:00+08:00'::timestamptz, '2027-12-31'::date FROM {member} "
            f"UNION ALL SELECT id, -(1 + id % 79), 'redeem', '', '2026-06-01T10:00:00+08:00'::timestamptz, NULL::date FROM {member} "
            f"WHERE id % 3 <> 0"
        )
        cursor.execute(
            f"INSERT INTO {balances} (member_id, balance) SELECT member_id, SUM(delta) FROM {ledger} "  # noqa: S608
            f"GROUP BY member_id"
        )
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def main() -> None:
    keep = "--keep" in sys.argv
    create_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members.models import Member, PointsEntry
    from members.points import points_expire

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        build()
        entries = PointsEntry.objects.count()
        print(f"built {MEMBERS:,} members with {entries:,} ledger entries in {time.perf_counter() - started:.1f}s")

        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            members, points = points_expire(today=DAY)
            elapsed = time.perf_counter() - started
        verdict = "PASS" if elapsed <= TARGET_S else "FAIL"
        print(f"points_expiry_{MEMBERS}  {elapsed:.2f}s  members={members:,} points={points:,}  "
              f"queries={len(queries.captured_queries)}  target<={TARGET_S:g}s  {verdict}")  # fmt: skip
        print(f"BENCH name=points_expiry_{MEMBERS} value={elapsed:.2f} unit=s target={TARGET_S:g} cmp=<=")
        print(f"BENCH name=points_expiry_{MEMBERS}_queries value={len(queries.captured_queries)} unit=count")

        with CaptureQueriesContext(connection) as again_queries:
            started = time.perf_counter()
            again = points_expire(today=DAY)
            second = time.perf_counter() - started
        print(f"points_expiry_{MEMBERS}_second_run  {second:.2f}s  expired={again}  "
              f"queries={len(again_queries.captured_queries)}")  # fmt: skip
        print(f"BENCH name=points_expiry_{MEMBERS}_second_run value={second:.2f} unit=s")

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT COALESCE(SUM(delta), 0) FROM members_pointsentry), "
                "(SELECT COALESCE(SUM(balance), 0) FROM members_memberpoints), "
                "(SELECT count(*) FROM members_memberpoints WHERE balance < 0)"
            )
            ledger_total, balances, negative = cursor.fetchone()
        assert again == (0, 0), f"a second run the same day expired {again}"
        assert ledger_total == balances and negative == 0, (ledger_total, balances, negative)
        assert members == Member.objects.filter(points_entries__reason="expire").distinct().count()
        print(f"ledger total {ledger_total:,} = sum of balances {balances:,}; no negative balance")
    finally:
        if not keep:
            drop_database()
            print("bench database dropped")


if __name__ == "__main__":
    main()
