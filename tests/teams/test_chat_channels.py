"""Team chat channels (SPEC 10.4) in-process: signing, what a channel receives, the API and the page. The
receiver is a real HTTP server on a loopback port (tests/chat_receiver.py); the task runs eagerly here — the
real-worker behaviour (retries, timeouts, two workers) is in test_chat_worker.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest
from django.core import mail

from budgets.services import budget_submit
from core.models import NotificationVerb
from risks.notices import ALERT_MESSAGES
from teams.chat import build_request, chat_announce, dingtalk_sign, feishu_sign
from teams.models import ChatAttempt, ChatChannel, ChatDelivery
from teams.services import chat_channel_save
from tests.chat_receiver import SECRET, start_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.CHAT_WEBHOOK_HOSTS = ["127.0.0.1"]
    settings.CHAT_TIMEOUT_SECONDS = 1
    settings.SITE_URL = "https://concord.example.com"
    server = start_receiver()
    yield server
    server.server.shutdown()


def channel_for(cast, receiver, kind, **extra):
    data = {"kind": kind, "webhook_url": receiver.url(kind), "verbs": [NotificationVerb.RISK_ALERT,
            NotificationVerb.BUDGET_SUBMITTED], "secret": SECRET if kind != "wecom" else "", **extra}  # fmt: skip
    return chat_channel_save(team=cast.team, actor=cast.lead, data=data)


def test_signatures_follow_the_platforms_documentation():
    # DingTalk: HMAC-SHA256 keyed by the secret over "timestamp\nsecret"; Feishu: keyed by "timestamp\nsecret"
    # over nothing. Both base64. (Reference values computed here from the documented recipe.)
    ts_ms, ts_s = 1_767_225_600_000, 1_767_225_600
    dingtalk = base64.b64encode(hmac.new(b"s3", f"{ts_ms}\ns3".encode(), hashlib.sha256).digest()).decode()
    feishu = base64.b64encode(hmac.new(f"{ts_s}\ns3".encode(), b"", hashlib.sha256).digest()).decode()
    assert dingtalk_sign("s3", ts_ms) == dingtalk and feishu_sign("s3", ts_s) == feishu
    channel = ChatChannel(
        kind="dingtalk", webhook_url="https://oapi.dingtalk.com/robot/send?access_token=t", secret="s3"
    )
    url, body = build_request(channel, "hello", "title")
    assert "&timestamp=" in url and "&sign=" in url and body["msgtype"] == "markdown"
    channel = ChatChannel(kind="feishu", webhook_url="https://open.feishu.cn/open-apis/bot/v2/hook/x", secret="s3")
    url, body = build_request(channel, "hello", "title")
    assert url.endswith("/hook/x") and {"timestamp", "sign", "msg_type", "content"} <= set(body)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_each_platform_receives_a_signed_message_in_the_channels_language_with_a_link(
    cast, receiver, kind, django_capture_on_commit_callbacks
):
    channel = channel_for(cast, receiver, kind, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        queued = chat_announce(team_id=cast.team.pk, message=ALERT_MESSAGES["red"],
                               params={"risk": "支付網關", "campaign": "WD-2027"}, url="/risks/7/", event="risk:7:red")  # fmt: skip
    assert queued == 1
    [got] = receiver.received
    assert got.platform == kind and got.signed_ok and got.answered == "200"
    assert "支付網關" in got.text and "红色预警" in got.text and "https://concord.example.com/risks/7/" in got.text
    delivery = ChatDelivery.objects.get(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    # The same event again queues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            chat_announce(team_id=cast.team.pk, message=ALERT_MESSAGES["red"], params={}, url="/", event="risk:7:red")
            == 0
        )
    assert len(receiver.received) == 1


def test_a_wrong_secret_fails_at_once_and_is_not_retried(cast, receiver, django_capture_on_commit_callbacks):
    channel = channel_for(cast, receiver, "dingtalk", secret="not-the-secret")
    with django_capture_on_commit_callbacks(execute=True):
        chat_announce(team_id=cast.team.pk, message=ALERT_MESSAGES["red"], params={"risk": "r", "campaign": "c"},
                      url="/", event="e1")  # fmt: skip
    delivery = ChatDelivery.objects.get(channel=channel)
    assert delivery.status == "failed" and delivery.attempts == 1 and "310000" in delivery.last_error
    assert ChatAttempt.objects.filter(delivery=delivery).count() == 1


def test_a_500_is_retried_later_not_at_once(cast, receiver, django_capture_on_commit_callbacks):
    channel = channel_for(cast, receiver, "feishu")
    receiver.script = ["500"]
    with django_capture_on_commit_callbacks(execute=True):
        chat_announce(team_id=cast.team.pk, message=ALERT_MESSAGES["red"], params={}, url="/", event="e2")
    delivery = ChatDelivery.objects.get(channel=channel)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at > dt.datetime.now(dt.UTC)


def test_channels_hear_only_their_events_and_services_announce(
    cast, campaign, receiver, django_capture_on_commit_callbacks
):
    from tests.factories import BudgetFactory

    channel_for(cast, receiver, "wecom", verbs=[NotificationVerb.BUDGET_SUBMITTED])
    channel_for(cast, receiver, "feishu", verbs=[NotificationVerb.MINUTES_PUBLISHED])
    budget = BudgetFactory(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        budget_submit(budget=budget, actor=cast.lead)
    assert [r.platform for r in receiver.received] == ["wecom"]
    assert "WD-2027 v1" in receiver.received[0].text
    assert len(mail.outbox) >= 1  # the people are still emailed as before


def test_only_the_lead_or_an_admin_configures_and_bad_input_is_named(api, cast, receiver):
    url = f"/api/v1/teams/{cast.team.pk}/chat-channels/"
    body = {"kind": "dingtalk", "webhook_url": receiver.url("dingtalk"), "secret": SECRET, "verbs": ["risk_alert"]}
    assert api(cast.deputy).post(url, body, format="json").status_code == 403
    assert api(cast.member).post(url, body, format="json").status_code == 403
    assert api(cast.outsider).post(url, body, format="json").status_code == 404
    created = api(cast.lead).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    row = created.json()
    assert "secret" not in row and row["has_secret"] is True and row["verbs"] == ["risk_alert"]
    assert api(cast.viewer).get(url).json()[0]["id"] == row["id"]  # the team reads
    assert api(cast.outsider).get(url).status_code == 404
    bad = api(cast.lead).post(url, {"kind": "slack", "webhook_url": "https://evil.example.com/x", "verbs": ["nope"]},
                              format="json")  # fmt: skip
    assert bad.status_code == 400 and {"kind", "verbs"} <= set(bad.json())
    ssrf = api(cast.lead).post(url, {"kind": "wecom", "webhook_url": "http://169.254.169.254/latest", "verbs": []},
                               format="json")  # fmt: skip
    assert ssrf.status_code == 400 and "webhook_url" in ssrf.json()
    detail = f"{url}{row['id']}/"
    assert api(cast.lead).patch(detail, {"active": False}, format="json").json()["active"] is False
    assert ChatChannel.objects.get().secret == SECRET  # kept when not sent
    assert api(cast.lead).post(f"{detail}test/").status_code == 202
    deliveries = api(cast.viewer).get(f"{detail}deliveries/").json()
    assert deliveries["count"] == 1 and set(deliveries["results"][0]) >= {
        "event",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    }
    assert api(cast.member).delete(detail).status_code == 403
    assert api(cast.lead).delete(detail).status_code == 204
    assert api(cast.lead).get(detail).status_code == 404


def test_channel_page_adds_tests_and_shows_the_log(browser_client, cast, receiver, django_capture_on_commit_callbacks):
    client = browser_client(cast.lead)
    page = client.get(f"/teams/{cast.team.pk}/chat/").content.decode()
    assert "No chat channel yet" in page and "Add a chat channel" in page
    refused = client.post(
        f"/teams/{cast.team.pk}/chat/", {"kind": "wecom", "webhook_url": "https://example.com/", "language": "en"}
    )
    assert refused.status_code == 400 and "must start with https://" in refused.content.decode()
    form = {"kind": "feishu", "name": "女神节项目群", "webhook_url": receiver.url("feishu"), "secret": SECRET,
            "verbs": ["risk_alert"], "language": "zh-hans"}  # fmt: skip
    assert client.post(f"/teams/{cast.team.pk}/chat/", form).status_code == 302
    channel = ChatChannel.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/teams/{cast.team.pk}/chat/{channel.pk}/test/").status_code == 302
    [got] = receiver.delivered()
    assert cast.team.name in got.text
    page = client.get(f"/teams/{cast.team.pk}/chat/").content.decode()
    assert 'data-status="sent"' in page and "女神节项目群" in page
    viewer_page = browser_client(cast.viewer).get(f"/teams/{cast.team.pk}/chat/").content.decode()
    assert 'data-status="sent"' in viewer_page and "Send test message" not in viewer_page
    assert browser_client(cast.viewer).post(f"/teams/{cast.team.pk}/chat/{channel.pk}/test/").status_code == 403
