"""A member import through the real Redis broker and a real worker — including a worker killed with SIGKILL
in the middle of the file: after a new worker starts, the import completes with no row lost or doubled."""

from __future__ import annotations

import os
import signal

import pytest
from django.db import transaction

from members.imports import import_watchdog
from members.models import ImportJob, ImportRowError, Member
from tests.members.conftest import HEADER, create_job, upload
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 40_000
WORKER_ENV = {"MEMBER_IMPORT_BATCH_ROWS": "2000", "MEMBER_IMPORT_LEASE_SECONDS": "3"}


def big_file() -> str:
    lines = [f"K{i:06d},會員{i},138{i:08d},{(i * 37) % 1500}.00,25-34,是,,\n" for i in range(1, ROWS + 1)]
    lines[1234] = "K-bad,,,,,,,\n"  # row 1235: no name
    return HEADER + "".join(lines)


def test_an_import_killed_mid_file_completes_exactly_once_after_a_restart(cast, redis_service, unique_queue, settings):
    settings.MEMBER_IMPORT_LEASE_SECONDS = 3
    with transaction.atomic():
        job = create_job(actor=cast.lead, upload=upload(big_file()), enqueue=False)
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV) as first:
        from members.tasks import run_import

        run_import.delay(job.pk)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).checkpoint >= 6000, timeout=120, what="a few batches")
        os.kill(first.pid, signal.SIGKILL)  # no chance to finish the batch in hand or to ack the message
        first.wait(timeout=30)
    killed_at = ImportJob.objects.get(pk=job.pk)
    assert killed_at.status == "running"
    assert 0 < killed_at.checkpoint < ROWS
    assert Member.objects.count() == killed_at.created  # what is committed is exactly what is counted
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        # The dead run's lease lapses after 3 s; the watchdog (a beat job every minute) restarts the job.
        wait_for(lambda: import_watchdog() == [job.pk], timeout=30, what="the lease to lapse")
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == "done", timeout=180, what="the import to finish")
    job.refresh_from_db()
    assert (job.processed, job.created, job.updated, job.error_count) == (ROWS, ROWS - 1, 0, 1)
    assert job.attempts >= 2
    assert Member.objects.count() == ROWS - 1
    assert ImportRowError.objects.filter(job=job).values_list("row", flat=True).get() == 1235
    assert Member.objects.filter(external_id="K040000").exists()
