"""A notification's email travels through the real Redis broker to a real worker (not eager mode)."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import Notification, NotificationVerb
from core.services.notifications import notify
from tests.factories import UserFactory, message_for
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_notification_email_is_sent_by_a_real_worker_through_redis(redis_service, unique_queue):
    user = UserFactory(username="recipient", email="recipient@example.com")
    with running_worker(queue=unique_queue, broker_url=redis_service) as worker:
        with transaction.atomic():
            [notification] = notify(
                recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "Risk needs you")
            )
        # The task is queued on commit; only the worker process can set this.
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
            timeout=30,
            what="the worker to send the notification email",
        )
        assert worker.poll() is None


def test_rolled_back_action_queues_no_email(redis_service, unique_queue):
    user = UserFactory(username="recipient2", email="r2@example.com")
    with running_worker(queue=unique_queue, broker_url=redis_service):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "never"))
            raise RuntimeError("the action failed")
        assert not Notification.objects.exists()


def test_without_redis_the_filesystem_broker_still_runs_tasks(tmp_path, unique_queue):
    """What `make run` falls back to on a machine with no Redis: tasks still run, through files."""
    folder = tmp_path / "broker"
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True)
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    user = UserFactory(username="fs-recipient", email="fs@example.com")
    with running_worker(
        queue=unique_queue,
        broker_url="filesystem://",
        extra_env={"CELERY_FILESYSTEM_FOLDER": str(folder), "REDIS_URL": ""},
        transport_options=options,
    ):
        with transaction.atomic():
            [notification] = notify(recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "via files"))
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
            timeout=30,
            what="the worker to consume the task from the filesystem broker",
        )


def test_with_the_broker_down_the_action_succeeds_and_the_sweeper_sends_the_email_later(unique_queue, redis_service):
    """Outbox: a notification created while no broker answers is not lost; the periodic sweep sends it."""
    import datetime as dt

    from config.celery import app
    from core.services.notifications import notification_pending_email_ids
    from core.tasks import sweep_notification_emails
    from tests.worker import reset_producer_pools

    user = UserFactory(username="outbox", email="outbox@example.com")
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:1/0", False  # nothing listens there
    reset_producer_pools()
    try:
        with transaction.atomic():
            [notification] = notify(
                recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "while Redis is down")
            )
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        reset_producer_pools()
    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert notification_pending_email_ids(older_than=dt.timedelta(0)) == [notification.pk]
    with running_worker(queue=unique_queue, broker_url=redis_service):
        Notification.objects.filter(pk=notification.pk).update(
            created_at=notification.created_at - dt.timedelta(minutes=5)
        )
        sweep_notification_emails.delay()
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
            timeout=30,
            what="the sweeper to send the stranded email",
        )
