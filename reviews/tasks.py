from __future__ import annotations

from celery import shared_task

from .reminders import reminders_send
from .schedule import generate_all, reschedule_after_calendar_change


@shared_task(name="reviews.send_reminders")
def send_reminders() -> dict[str, int]:
    """Every 15 minutes. Exactly once per (meeting, user, kind) by a unique constraint, however often it runs."""
    return reminders_send()


@shared_task(name="reviews.generate_meetings")
def generate_meetings() -> int:
    """Daily: keep at least four weeks of meetings ahead of every active series."""
    return generate_all()


@shared_task(name="reviews.calendar_changed")
def calendar_changed(dates: list[str] | None = None) -> int:
    """The working calendar changed (``dates``, for the log): move the affected future meetings and tell their
    chairs. Returns how many meetings changed."""
    return len(reschedule_after_calendar_change())
