from __future__ import annotations

from celery import shared_task

from core.services.notifications import notification_pending_email_ids, notification_send_emails


@shared_task(name="core.send_notification_emails", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_send_emails(notification_ids=notification_ids)


@shared_task(name="core.sweep_notification_emails")
def sweep_notification_emails(older_than_seconds: int = 120) -> int:
    """Send the emails of notifications not emailed yet: those whose task was lost (broker down when they were
    created; the periodic run) and those written in bulk by set-wise jobs (queued with ``older_than_seconds=0``)."""
    import datetime as dt

    pending = notification_pending_email_ids(older_than=dt.timedelta(seconds=older_than_seconds))
    return notification_send_emails(notification_ids=pending)


@shared_task(name="core.send_digests")
def send_digests() -> int:
    """Every 15 minutes: the daily digests that are due (09:00 local time on working days), once per user per
    day however often it runs or however many workers run it. Returns how many digests were sent."""
    from core.services.notifications import digest_due, digest_send

    return sum(1 for user_id in digest_due() if digest_send(user_id=user_id))


@shared_task(name="core.delete_expired_tokens")
def delete_expired_tokens() -> int:
    """Delete every expired API token (hourly; an expired token is refused whether or not it was deleted yet)."""
    from django.utils import timezone
    from knox.models import AuthToken

    deleted, _by_model = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
