"""Team chat deliveries through the real Redis broker and real Celery workers (SPEC 10.4): once per platform,
retries with backoff on 5xx, a hanging receiver given up on after the timeout and retried, two racing workers
posting once. The receiver is a real HTTP server on a loopback port that checks each platform's signature."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import NotificationVerb
from risks.notices import ALERT_MESSAGES
from teams.chat import chat_announce
from teams.models import ChatAttempt, ChatDelivery
from teams.services import chat_channel_save
from tests.chat_receiver import SECRET, start_receiver
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {"CHAT_WEBHOOK_HOSTS": "127.0.0.1", "CHAT_TIMEOUT_SECONDS": "1", "CHAT_RETRY_SECONDS": "1"}


@pytest.fixture
def receiver(settings):
    settings.CHAT_WEBHOOK_HOSTS = ["127.0.0.1"]
    server = start_receiver()
    yield server
    server.server.shutdown()


def make_channel(cast, receiver, kind):
    return chat_channel_save(
        team=cast.team,
        actor=cast.lead,
        data={"kind": kind, "webhook_url": receiver.url(kind), "secret": SECRET if kind != "wecom" else "",
              "verbs": [NotificationVerb.RISK_ALERT], "language": "en"},
    )  # fmt: skip


def announce(cast, event):
    with transaction.atomic():
        chat_announce(team_id=cast.team.pk, message=ALERT_MESSAGES["red"],
                      params={"risk": "Payment gateway", "campaign": "WD-2027"}, url="/risks/1/", event=event)  # fmt: skip


def settled(delivery_id):
    return lambda: ChatDelivery.objects.filter(pk=delivery_id).exclude(status="pending").exists()


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_real_worker_delivers_one_event_once(cast, receiver, kind, redis_service, unique_queue):
    channel = make_channel(cast, receiver, kind)
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        announce(cast, "risk:1:red")
        announce(cast, "risk:1:red")  # announced twice: one delivery
        delivery = ChatDelivery.objects.get(channel=channel)
        wait_for(settled(delivery.pk), timeout=30, what="the worker to post the message")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert [(r.platform, r.signed_ok) for r in receiver.received] == [(kind, True)]
    assert "Red alert on risk “Payment gateway”" in receiver.received[0].text


def test_two_500s_then_200_post_exactly_one_message_after_three_logged_attempts(
    cast, receiver, redis_service, unique_queue
):
    channel = make_channel(cast, receiver, "dingtalk")
    receiver.script = ["500", "500", "200"]
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        announce(cast, "risk:2:red")
        delivery = ChatDelivery.objects.get(channel=channel)
        wait_for(settled(delivery.pk), timeout=40, what="three attempts (backoff 1 s, then 2 s)")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    log = list(ChatAttempt.objects.filter(delivery=delivery).values_list("status_code", "ok"))
    assert log == [(500, False), (500, False), (200, True)]
    assert len(receiver.delivered()) == 1 and receiver.requests == 3
    times = list(ChatAttempt.objects.filter(delivery=delivery).order_by("pk").values_list("at", flat=True))
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:], strict=False)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9, gaps  # backoff: 1 s, then 2 s


def test_a_hanging_receiver_is_given_up_on_after_the_timeout_and_retried(cast, receiver, redis_service, unique_queue):
    channel = make_channel(cast, receiver, "feishu")
    receiver.script, receiver.hang_seconds = ["hang", "200"], 3.0
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV):
        announce(cast, "risk:3:red")
        delivery = ChatDelivery.objects.get(channel=channel)
        wait_for(settled(delivery.pk), timeout=40, what="the timeout and the retry")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    first, second = ChatAttempt.objects.filter(delivery=delivery).order_by("pk")
    assert not first.ok and first.status_code is None and first.error.startswith("timeout after 1 s")
    assert second.ok and second.status_code == 200


def test_two_workers_racing_for_one_delivery_post_it_once(cast, receiver, redis_service, unique_queue):
    from teams.tasks import deliver_chat

    channel = make_channel(cast, receiver, "wecom")
    receiver.script, receiver.hang_seconds = ["hang"], 0.5  # a slow answer widens the race
    with running_worker(queue=unique_queue, broker_url=redis_service, extra_env=WORKER_ENV, concurrency=2):
        announce(cast, "risk:4:red")
        delivery = ChatDelivery.objects.get(channel=channel)
        for _ in range(5):  # the same delivery handed to both worker processes several times
            deliver_chat.delay(delivery.pk)
        wait_for(settled(delivery.pk), timeout=30, what="the delivery to settle")
        wait_for(lambda: b"succeeded" in worker_log(unique_queue) and worker_log(unique_queue).count(b"succeeded") >= 6,
                 timeout=30, what="all six tasks to finish")  # fmt: skip
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert receiver.requests == 1 and ChatAttempt.objects.filter(delivery=delivery).count() == 1


def worker_log(queue: str) -> bytes:
    from tests.worker import ARTIFACTS

    return (ARTIFACTS / f"worker-{queue}.log").read_bytes()
