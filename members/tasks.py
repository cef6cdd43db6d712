from __future__ import annotations

from celery import shared_task

from .imports import import_run, import_watchdog
from .tiers import recompute_member_tiers


@shared_task(name="members.run_import", time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def run_import(job_id: int) -> str:
    """Import one uploaded file; safe to run twice (a lease and the checkpoint decide who writes what)."""
    job = import_run(job_id)
    return job.status if job else "skipped"


@shared_task(name="members.import_watchdog")
def watchdog() -> list[int]:
    return import_watchdog()


@shared_task(name="members.recompute_tiers", time_limit=3600)
def recompute_tiers() -> int:
    """Daily: apply a rule set whose effective date has come (a no-op when nothing changes)."""
    return recompute_member_tiers()
