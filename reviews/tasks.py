from __future__ import annotations

from celery import shared_task

from .reminders import reminders_send
from .schedule import generate_all


@shared_task(name="reviews.send_reminders")
def send_reminders() -> dict[str, int]:
    """Every 15 minutes. Exactly once per (meeting, user, kind) by a unique constraint, however often it runs."""
    return reminders_send()


@shared_task(name="reviews.generate_meetings")
def generate_meetings() -> int:
    """Daily: keep at least four weeks of meetings ahead of every active series."""
    return generate_all()
