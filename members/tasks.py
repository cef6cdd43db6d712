"""Celery tasks of the membership programme: imports (own queue), the import watchdog, the daily tier job and
the daily points expiry."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connections

from .imports import import_run, import_watchdog, imports_to_resume
from .points import points_expire
from .tiers import recompute_member_tiers

logger = logging.getLogger(__name__)

# Imports run on their own queue (config.celery.route_task) with their own time limit, so a long or hostile
# file never holds the workers that send reminders and alerts. A run killed by the hard limit counts as an
# attempt; the third ends the job (SPEC 10.1).
IMPORT_TIME_LIMIT = getattr(settings, "MEMBER_IMPORT_TIME_LIMIT", 4 * 3600)


@shared_task(name="members.run_import", time_limit=IMPORT_TIME_LIMIT, soft_time_limit=max(IMPORT_TIME_LIMIT - 60, 1))
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


@shared_task(name="members.expire_points", time_limit=3600)
def expire_points() -> list[int]:
    """Daily: members' lapsed points become ``expire`` entries (set-based; a second run the same day does nothing)."""
    return list(points_expire())


@worker_ready.connect
def resume_imports_on_start(sender=None, **_kwargs) -> None:
    """A worker that starts takes over the imports a killed worker left behind, without waiting for beat's
    watchdog or the broker's one-hour redelivery (each resumes after its checkpoint: nothing twice)."""
    try:
        queued = imports_to_resume()
        if queued:
            logger.info("Worker ready: queued unfinished imports %s.", queued)
    except Exception:  # the database may be down at start; beat's watchdog still covers it
        logger.warning("Could not look for unfinished imports at worker start.", exc_info=True)
    finally:
        connections.close_all()  # prefork children must not inherit this process's connections
