"""Members at scale on PostgreSQL (own database: BENCH_DATABASE_URL, default concord_bench):

* import 1,000,000 generated rows through the real import service (stored in chunks, streamed, validated,
  batched COPY + ON CONFLICT, checkpoints) — rows/s, against the same file loaded by a plain COPY into a
  bare table as the ceiling (target: within 3× of COPY);
* recompute tiers for 1,000,000 members after a rule change (target: under 20 s).
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ROWS = int(os.environ.get("BENCH_MEMBER_ROWS", "1000000"))


def generate() -> bytes:
    rng = random.Random(5)
    bands = ["18-24", "25-34", "35+"]
    out = io.StringIO()
    out.write("external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\n")
    for i in range(ROWS):
        roll = rng.random()
        fee = (
            0
            if roll < 0.45
            else rng.randint(1, 199)
            if roll < 0.65
            else rng.randint(200, 999)
            if roll < 0.88
            else rng.randint(1000, 3000)
        )
        out.write(
            f"B{i:08d},會員{i},1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d},{fee}.00,{bands[i % 3]},{'是' if roll < 0.8 else '否'},,\n"
        )
    return out.getvalue().encode("utf-8")


def main() -> None:
    from bench.bench_risk_alerts import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from members.imports import import_run
    from members.models import ImportJob, Member, TierChange
    from members.services import import_job_create, tier_rule_set_create
    from members.tiers import recompute_member_tiers
    from teams.demo import seed_organisation

    admin = seed_organisation()["admin"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE members_tierchange, members_redemption, members_member, members_importrowerror, "
                       "members_importchunk, members_importjob RESTART IDENTITY CASCADE")  # fmt: skip
    data = generate()
    print(f"generated {ROWS:,} rows, {len(data) / 2**20:.1f} MiB")

    # Ceiling: the same bytes through a plain COPY into a bare table.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute("CREATE UNLOGGED TABLE bench_plain_copy (external_id text, name text, phone text, annual_fee numeric, "
                       "age_band text, consent text, source_campaign text, source_channel text)")  # fmt: skip
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_plain_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        plain = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain_copy")
    print(f"plain_copy_{ROWS}  {plain:.2f}s  {ROWS / plain:,.0f} rows/s")

    started = time.perf_counter()
    job = import_job_create(actor=admin, upload=io.BytesIO(data), filename="bench.csv", enqueue=False)
    stored = time.perf_counter() - started
    started = time.perf_counter()
    job = import_run(job.pk)
    run = time.perf_counter() - started
    total = stored + run
    ratio = total / plain
    print(f"member_import_{ROWS}  {total:.2f}s (upload {stored:.2f}s + run {run:.2f}s)  {ROWS / total:,.0f} rows/s  "
          f"{ratio:.1f}x plain COPY  target<=3x  {'PASS' if ratio <= 3 else 'FAIL'}  "
          f"[{job.status}: created {job.created:,}, errors {job.error_count}]")  # fmt: skip
    print(f"BENCH name=member_import_{ROWS}_rows_per_s value={ROWS / total:.0f} unit=rows/s")
    print(f"BENCH name=member_import_{ROWS}_vs_plain_copy value={ratio:.2f} unit=x target=3 cmp=<=")
    assert Member.objects.count() == ROWS

    import datetime as dt

    rules = tier_rule_set_create(actor=admin, effective_from=dt.date(2030, 1, 1), thresholds={"basic": 0, "mid_high": 300, "top": 1500},
                                 recompute=False)  # fmt: skip
    started = time.perf_counter()
    changed = recompute_member_tiers(rule_set=rules)
    elapsed = time.perf_counter() - started
    print(
        f"recompute_tiers_{ROWS}  {elapsed:.2f}s  changed={changed:,}  target<20s  {'PASS' if elapsed < 20 else 'FAIL'}"
    )
    print(f"BENCH name=recompute_tiers_{ROWS} value={elapsed:.2f} unit=s target=20 cmp=<")
    started = time.perf_counter()
    again = recompute_member_tiers(rule_set=rules)
    print(f"recompute_tiers_{ROWS}_second_run  {time.perf_counter() - started:.2f}s  changed={again}")
    del ImportJob, TierChange


if __name__ == "__main__":
    main()
