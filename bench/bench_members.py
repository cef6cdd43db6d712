"""Members at scale on PostgreSQL (own database: BENCH_DATABASE_URL, default concord_bench):

* import 1,000,000 generated rows through the real import service (stored in chunks, streamed, validated,
  batched COPY + ON CONFLICT, checkpoints) — upload + run, in rows/s — against two baselines:
  - the fair one (target: the import within 3× of it): the same members, already in the real member table's
    column format (tier, consent boolean, fee numeric, consent date, tags, timestamps; prepared in memory before
    the clock starts), loaded by one COPY into a copy of the real member table —
    ``CREATE TABLE bench_real_copy (LIKE members_member INCLUDING ALL)`` (its identity id, defaults, check
    constraint, unique external_id and every other index) plus its foreign keys, which LIKE leaves out;
  - the ceiling (informational): the raw CSV bytes by a plain COPY into a bare unlogged text table;
* the import's peak memory: ``import_run`` — the same code path the Celery task ``members.run_import`` runs — in
  a child process of its own (``python bench/bench_members.py --import-run``, sent the job id on stdin), its peak
  RSS read from ``getrusage(RUSAGE_CHILDREN)`` once it has ended (target: ≤ 300 MB). The child is started first
  thing, while this process is still small: Linux carries the high-water RSS of the process a child was forked
  from over its exec into the child's ru_maxrss, and this process later holds the generated file and the COPY
  text (some 900 MB at its peak for 1,000,000 rows). The child's own VmHWM (its peak after exec) is printed
  beside it as a check. The run is timed inside the child (interpreter and Django start-up left out), so the
  import figure (upload + run) stays comparable with earlier runs;
* a dry run of the same 1,000,000 rows (SPEC 10.6: it validates and counts "would create" / "would update"
  set-wise per batch, writing no member) — upload + run, in this process, before the real import, on the same
  empty member table — against the real import (issue 21: the dry run takes no longer than the import), and its
  counts against the import's;
* recompute tiers for 1,000,000 members after a rule change (target, SPEC 10.7: ≤ 2 s).

BENCH_MEMBER_ROWS (default 1,000,000) sets the number of rows for a smaller trial run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
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


NULL = "\\N"  # COPY text format's NULL
REAL_COLUMNS = ("external_id", "name", "phone", "age_band", "tags", "joined_at", "annual_fee", "tier", "consent",
                "consent_at", "created_at", "updated_at", "source_campaign_id", "source_channel_id")  # fmt: skip
# Per (tier, consent): members, total fee, consent dates, phones — the same in the copy and after the import.
SUMMARY = ("SELECT tier, consent, count(*), sum(annual_fee), count(consent_at), count(*) FILTER (WHERE phone <> '') "
           "FROM {table} GROUP BY tier, consent ORDER BY tier, consent")  # fmt: skip


def real_rows(data: bytes) -> bytes:
    """The CSV's members as COPY text in the real member table's format (REAL_COLUMNS), as the import writes
    them: phone normalised, tier from the rule set in effect, consent a boolean with today's date, tags [],
    joined today. Made before the clock starts."""
    from django.utils import timezone

    from core.validators import clean_phone
    from members.tiers import rule_set_in_effect, thresholds_of, tier_for

    thresholds = thresholds_of(rule_set_in_effect())
    today = timezone.localdate().isoformat()
    now = timezone.now().isoformat()
    tiers: dict[str, str] = {}  # fee text -> tier
    out = io.StringIO()
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    for external_id, name, phone, fee, band, consent, _campaign, _channel in reader:
        tier = tiers.get(fee)
        if tier is None:
            tier = tiers[fee] = tier_for(Decimal(fee), thresholds)
        agreed = consent == "是"
        consent_at = today if agreed else NULL
        out.write(f"{external_id}\t{name}\t{clean_phone(phone)}\t{band}\t[]\t{today}\t{fee}\t{tier}\t"
                  f"{'t' if agreed else 'f'}\t{consent_at}\t{now}\t{now}\t{NULL}\t{NULL}\n")  # fmt: skip
    return out.getvalue().encode("utf-8")


def import_child() -> None:
    """The import worker: sets Django up, waits for a job id on stdin, runs ``import_run`` on it (timed here) and
    prints its figures as one JSON line on stdout. Nothing on stdin (the parent stopped early): it just ends."""
    import django

    django.setup()
    from django.db import connection

    from members.imports import import_run

    line = sys.stdin.readline()
    if not line.strip():
        return
    connection.ensure_connection()
    started = time.perf_counter()
    job = import_run(int(line))
    run = time.perf_counter() - started
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next((int(row.split()[1]) for row in status if row.startswith("VmHWM:")), 0)
    print("IMPORTRUN " + json.dumps({"run_s": run, "status": job.status if job else None, "vmhwm_kib": hwm}))


def start_import_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--import-run"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip


def main() -> None:
    worker = start_import_worker()  # first, while this process is small (see the module's docstring)
    try:
        bench(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def bench(worker: subprocess.Popen) -> None:
    from bench.bench_risk_alerts import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from members.imports import import_run
    from members.models import ImportJob, Member
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
        cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_plain_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        plain = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain_copy")
    print(f"plain_copy_{ROWS}  {plain:.2f}s  {ROWS / plain:,.0f} rows/s  (bare unlogged text table: the ceiling)")

    # Fair baseline: the same members in the real table's format, one COPY into a copy of the real table.
    rows = real_rows(data)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_real_copy")
        cursor.execute("CREATE TABLE bench_real_copy (LIKE members_member INCLUDING ALL)")
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'members_member'::regclass AND contype = 'f' ORDER BY conname")  # fmt: skip
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE bench_real_copy ADD CONSTRAINT "bench_{name}" {definition}')
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_real_copy'")
        [indexes] = cursor.fetchone()
        cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_real_copy ({', '.join(REAL_COLUMNS)}) FROM STDIN") as copy:
            for start in range(0, len(rows), 1 << 20):
                copy.write(rows[start : start + (1 << 20)])
        real = time.perf_counter() - started
        copied = cursor.cursor.rowcount
        cursor.execute("SELECT count(*) FROM bench_real_copy")
        [loaded] = cursor.fetchone()
        cursor.execute(SUMMARY.format(table="bench_real_copy"))
        real_summary = cursor.fetchall()
        cursor.execute("DROP TABLE bench_real_copy")
        cursor.execute("CHECKPOINT")
    del rows
    assert copied == loaded == ROWS, f"the real-table COPY loaded {loaded:,} rows (COPY said {copied:,}), not {ROWS:,}"
    print(f"real_table_copy_{ROWS}  {real:.2f}s  {ROWS / real:,.0f} rows/s  (copy of members_member: {indexes} "
          f"indexes, its constraints and foreign keys; {loaded:,} rows loaded)")  # fmt: skip

    # The dry run: the same file through the same pipeline, writing no member.
    started = time.perf_counter()
    dry = import_job_create(actor=admin, upload=io.BytesIO(data), filename="bench-dry-run.csv", enqueue=False,
                            dry_run=True)  # fmt: skip
    dry_stored = time.perf_counter() - started
    started = time.perf_counter()
    dry = import_run(dry.pk)
    dry_run = time.perf_counter() - started
    assert Member.objects.count() == 0, "the dry run wrote members"
    dry_total = dry_stored + dry_run

    started = time.perf_counter()
    job = import_job_create(actor=admin, upload=io.BytesIO(data), filename="bench.csv", enqueue=False)
    stored = time.perf_counter() - started
    del data
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out, _err = worker.communicate(f"{job.pk}\n")
    if worker.returncode != 0:
        raise SystemExit(f"the import worker exited with {worker.returncode}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    [line] = [line for line in out.splitlines() if line.startswith("IMPORTRUN ")]
    result = json.loads(line.removeprefix("IMPORTRUN "))
    if peak_kib <= before:  # an earlier child was bigger: RUSAGE_CHILDREN cannot tell; the child's own figure
        print(f"(RUSAGE_CHILDREN already at {before} KiB before the import; using the child's own VmHWM)")
        peak_kib = result["vmhwm_kib"]
    run = result["run_s"]
    job = ImportJob.objects.get(pk=job.pk)
    total = stored + run
    ratio_real = total / real
    ratio_plain = total / plain
    print(f"member_import_{ROWS}  {total:.2f}s (upload {stored:.2f}s + run {run:.2f}s)  {ROWS / total:,.0f} rows/s  "
          f"{ratio_real:.2f}x real-table COPY  target<=3x  {'PASS' if ratio_real <= 3 else 'FAIL'}  "
          f"{ratio_plain:.2f}x plain COPY  [{job.status}: created {job.created:,}, errors {job.error_count}]")  # fmt: skip
    print(f"member_import_worker_rss  {peak_kib / 1024:.0f} MB peak (import_run in a child process, its ru_maxrss; "
          f"its own VmHWM {result['vmhwm_kib'] / 1024:.0f} MB)  target<=300 MB  "
          f"{'PASS' if peak_kib / 1024 <= 300 else 'FAIL'}")  # fmt: skip
    print(f"BENCH name=member_import_{ROWS}_rows_per_s value={ROWS / total:.0f} unit=rows/s")
    print(f"BENCH name=real_table_copy_{ROWS} value={real:.2f} unit=s")
    print(f"BENCH name=member_import_{ROWS}_vs_real_table_copy value={ratio_real:.2f} unit=x target=3 cmp=<=")
    print(f"BENCH name=member_import_{ROWS}_vs_plain_copy value={ratio_plain:.2f} unit=x")
    print(f"BENCH name=member_import_worker_rss value={peak_kib / 1024:.0f} unit=MB target=300 cmp=<=")
    ratio_dry = dry_total / total
    same = (dry.status, dry.created, dry.updated, dry.error_count) == (job.status, job.created, job.updated,
                                                                      job.error_count)  # fmt: skip
    print(f"member_import_dry_run_{ROWS}  {dry_total:.2f}s (upload {dry_stored:.2f}s + run {dry_run:.2f}s)  vs import "
          f"{total:.2f}s: {ratio_dry:.2f}x  target<=1x  {'PASS' if ratio_dry <= 1 else 'FAIL'}  [{dry.status}: would "
          f"create {dry.created:,}, update {dry.updated:,}, errors {dry.error_count}; "
          f"{'the same counts as the import' if same else 'COUNTS DIFFER from the import'}]")  # fmt: skip
    print(f"BENCH name=member_import_dry_run_{ROWS}_vs_import value={ratio_dry:.2f} unit=x target=1 cmp=<=")
    assert Member.objects.count() == ROWS
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY.format(table="members_member"))
        imported_summary = cursor.fetchall()
    if imported_summary == real_summary:
        print("the real-table COPY held the same members as the import wrote (tier, consent, fee, consent date, phone)")
    else:
        print(f"WARNING: the real-table COPY's rows differ from the import's: {real_summary} vs {imported_summary}")

    import datetime as dt

    rules = tier_rule_set_create(actor=admin, effective_from=dt.date(2030, 1, 1), thresholds={"basic": 0, "mid_high": 300, "top": 1500},
                                 recompute=False)  # fmt: skip
    started = time.perf_counter()
    changed = recompute_member_tiers(rule_set=rules)
    elapsed = time.perf_counter() - started
    print(
        f"recompute_tiers_{ROWS}  {elapsed:.2f}s  changed={changed:,}  target<=2s  {'PASS' if elapsed <= 2 else 'FAIL'}"
    )
    print(f"BENCH name=recompute_tiers_{ROWS} value={elapsed:.2f} unit=s target=2 cmp=<=")
    started = time.perf_counter()
    again = recompute_member_tiers(rule_set=rules)
    print(f"recompute_tiers_{ROWS}_second_run  {time.perf_counter() - started:.2f}s  changed={again}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--import-run"]:
        import_child()
    else:
        main()
