"""A worker SIGKILLed in the middle of a member import: a newly started worker resumes the job within a
minute with no beat running (issue 13: before, it waited for beat's watchdog or the broker's one-hour
redelivery), and the import still ends exactly once — every row once, none twice."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import transaction

from members.models import ImportJob, ImportRowError, Member
from tests.members.conftest import HEADER, create_job, upload
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 40_000
WORKER_ENV = {"MEMBER_IMPORT_BATCH_ROWS": "2000"}  # the default lease (30 s): what production runs with


def big_file() -> str:
    lines = [f"R{i:06d},會員{i},138{i:08d},{(i * 37) % 1500}.00,25-34,是,,\n" for i in range(1, ROWS + 1)]
    lines[99] = "R-bad,,,,,,,\n"  # row 100: no name
    return HEADER + "".join(lines)


def test_a_killed_import_resumes_on_a_new_worker_without_beat_within_a_minute(cast, redis_service, unique_queue):
    with transaction.atomic():
        job = create_job(actor=cast.lead, upload=upload(big_file()), enqueue=False)
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV) as first:
        from members.tasks import run_import

        run_import.delay(job.pk)  # routed to the imports queue, which the worker consumes too
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).checkpoint >= 6000, timeout=120, what="a few batches")
        os.kill(first.pid, signal.SIGKILL)  # no chance to finish its batch, ack the message or release the lease
        first.wait(timeout=30)
    killed_at = ImportJob.objects.get(pk=job.pk)
    assert killed_at.status == "running" and 0 < killed_at.checkpoint < ROWS
    # No beat, no watchdog call from here: only the new worker.
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        started = time.monotonic()
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == "done", timeout=60, what="the import to resume")
        took = time.monotonic() - started
    print(f"resumed and finished {took:.1f} s after the new worker was ready")
    job.refresh_from_db()
    assert (job.processed, job.created, job.updated, job.error_count) == (ROWS, ROWS - 1, 0, 1)
    assert job.attempts == 2
    assert Member.objects.count() == ROWS - 1
    assert ImportRowError.objects.filter(job=job).values_list("row", flat=True).get() == 100
