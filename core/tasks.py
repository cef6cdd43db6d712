from __future__ import annotations

from celery import shared_task

from core.services.notifications import notification_send_emails


@shared_task(name="core.send_notification_emails", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_send_emails(notification_ids=notification_ids)
