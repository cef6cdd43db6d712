"""Hole 3 (medium): XLSX bombs (SPEC 10.1 "Bounds").

Reported attack: a 1.5 KB XLSX declaring ``A1:XFD1048576`` kept a worker busy ~16 minutes writing a million
"row is empty" errors; a 0.8 MB XLSX whose shared strings inflate to 655 MB grew a worker by ~630 MB; a job
that kills its worker was re-queued forever. Both bombs are now refused before anything parses them — at
upload (400 on ``file``), and again by the worker for a file stored before the check existed; only the
header's columns are read, trailing empty rows are no errors, error rows kept are capped, and an import is
attempted at most 3 times.
"""

from __future__ import annotations

import datetime as dt
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.imports import import_run, import_watchdog
from members.models import ImportChunk, ImportJob, ImportRowError, Member
from tests.security.xlsx_bombs import dimension_bomb, shared_strings_bomb, tall_sheet
from tests.worker import running_worker

pytestmark = pytest.mark.django_db

BOMBS = {"dimension": dimension_bomb, "shared_strings": shared_strings_bomb}


@contextmanager
def within(seconds: float):
    """Fail the test (instead of hanging for minutes) when the block takes longer than ``seconds``."""

    def expired(*_args):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def stored_job(user, campaign, data: bytes, *, fmt: str = "xlsx") -> ImportJob:
    """A job whose file is already in the database, as one uploaded before the upload check existed."""
    job = ImportJob.objects.create(
        uploaded_by=user, campaign=campaign, filename=f"members.{fmt}", file_format=fmt, size=len(data)
    )
    step = 1024 * 1024
    for seq, start in enumerate(range(0, len(data), step)):
        ImportChunk.objects.create(job=job, seq=seq, data=data[start : start + step])
    return job


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_an_xlsx_bomb_is_refused_at_upload(cast, own_campaign, post_import, bomb):
    data = BOMBS[bomb]()
    started = time.monotonic()
    with within(10):
        response = post_import(
            cast.lead, {"campaign": own_campaign.pk, "file": SimpleUploadedFile("members.xlsx", data)}
        )
    assert time.monotonic() - started < 3
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["file"], body
    assert not ImportJob.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_stored_xlsx_bomb_fails_its_job_before_parsing(cast, own_campaign, bomb):
    job = stored_job(cast.lead, own_campaign, BOMBS[bomb]())
    started = time.monotonic()
    with within(20):
        import_run(job.pk)
    assert time.monotonic() - started < 3
    job.refresh_from_db()
    assert job.status == "failed"
    assert "XLSX" in job.message
    assert not ImportRowError.objects.filter(job=job).exists() and not Member.objects.exists()
    assert not ImportChunk.objects.filter(job=job).exists()


def test_only_the_real_rows_of_a_tall_sheet_are_read(cast, own_campaign):
    """A1:C1048576 is inside the bounds: the two members are imported, the trailing rows are no errors."""
    job = stored_job(cast.lead, own_campaign, tall_sheet())
    with within(20):
        import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.error_count, job.processed) == ("done", 2, 0, 2)
    assert set(Member.objects.values_list("external_id", flat=True)) == {"T-1", "T-2"}


def test_error_rows_kept_are_capped_and_all_are_counted(cast, own_campaign, settings):
    settings.MEMBER_IMPORT_BATCH_ROWS = 400  # the cap holds across batches
    settings.MEMBER_IMPORT_MAX_ERROR_ROWS = 1000  # 10,000 by default; smaller here to keep the test quick
    bad = "".join(f"E{i},,,,,,,\n" for i in range(1, 1501))  # 1,500 rows without a name
    text = "external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\nOK-1,甲,,,,,,\n"
    job = stored_job(cast.lead, own_campaign, (text + bad).encode(), fmt="csv")
    import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.error_count) == ("done", 1, 1500)
    kept = ImportRowError.objects.filter(job=job)
    assert kept.count() == 1000
    assert min(kept.values_list("row", flat=True)) == 2  # the first errors are the ones kept


def test_a_job_whose_worker_dies_is_attempted_at_most_3_times(cast, own_campaign):
    """A worker that dies mid-import leaves the job running with its lease lapsing; the watchdog (or the broker's
    redelivery) starts it again. After the third such death the job fails with a clear message."""
    from members.imports import _claim

    job = stored_job(cast.lead, own_campaign, tall_sheet())
    for attempt in range(1, 4):
        # One run that dies: it takes the lease (counting an attempt) and never commits; its lease then lapses.
        assert _claim(job.pk) is not None
        ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
        assert ImportJob.objects.get(pk=job.pk).attempts == attempt
    # The watchdog finds the lapsed lease and queues the job (run at once here: tests publish eagerly).
    assert import_watchdog() == [job.pk]
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.attempts == 3
    assert "3 times" in job.message
    assert not Member.objects.exists() and not ImportChunk.objects.filter(job=job).exists()
    assert import_run(job.pk) is None  # a late redelivery changes nothing
    assert import_watchdog() == []  # and it is never queued again


# --- Through a real worker ----------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_both_bombs_through_a_real_worker_stay_under_200_mb(cast, own_campaign, redis_service, unique_queue):
    jobs = [stored_job(cast.lead, own_campaign, BOMBS[name]()) for name in ("shared_strings", "dimension")]
    with running_worker(queue=unique_queue, broker_url=redis_service) as worker:
        from members.tasks import run_import

        baseline = rss_mb(worker.pid)
        for job in jobs:
            run_import.delay(job.pk)
        peak, deadline = baseline, time.monotonic() + 60
        while not all(ImportJob.objects.get(pk=j.pk).status == "failed" for j in jobs):
            peak = max(peak, rss_mb(worker.pid))
            assert peak < 200, f"worker grew to {peak:.0f} MB (from {baseline:.0f} MB)"
            assert time.monotonic() < deadline, "the bombs were not refused within 60 s"
            time.sleep(0.02)
        peak = max(peak, rss_mb(worker.pid))
    print(f"worker RSS: {baseline:.0f} MB at start, {peak:.0f} MB at peak")
    assert peak < 200, f"worker grew to {peak:.0f} MB"
    assert not Member.objects.exists()
