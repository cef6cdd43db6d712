from __future__ import annotations

import zoneinfo

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.calendar import is_working_day

from .services import signoff_reminders_send


@shared_task(name="budgets.remind_pending_signers")
def remind_pending_signers() -> int:
    """Once per working day (Chinese calendar): remind each pending signer of each budget in review.
    Safe to run twice or concurrently: a unique (budget, user, day) row decides who is reminded."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    if not is_working_day(today):
        return 0
    return signoff_reminders_send(day=today)
