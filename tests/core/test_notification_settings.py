"""SPEC 10.4: notification settings per user (email and chat per kind, the daily digest) — API, page, what
reaches the mailbox, and the digest once per user per working day at 09:00 local time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from core.models import Notification, NotificationSettings, NotificationVerb
from core.services.calendar import calendar_days_set
from core.services.notifications import digest_due, digest_send, notification_send_emails, notify
from risks.notices import ALERT_MESSAGES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/notification-settings/"
RED = {"risk": "支付網關", "campaign": "WD-2027"}


def test_api_defaults_partial_changes_and_field_level_refusals(api, cast):
    client = api(cast.member)
    body = client.get(URL).json()
    assert body["digest"] == "off" and set(body["email"]) == set(NotificationVerb.values)
    assert all(body["email"].values()) and all(body["chat"].values())
    changed = client.patch(URL, {"email": {"risk_alert": False}, "digest": "daily"}, format="json").json()
    assert changed["email"]["risk_alert"] is False and changed["email"]["budget_approved"] is True
    assert changed["digest"] == "daily"
    bad = client.patch(URL, {"email": {"nope": True}, "chat": {"risk_alert": "yes"}, "digest": "weekly"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"email", "chat", "digest"}
    assert client.patch(URL, ["x"], format="json").status_code == 400
    assert client.patch(URL, {"colour": "red"}, format="json").status_code == 400
    assert client.get(URL).json() == changed  # nothing half-saved
    assert api().get(URL).status_code == 401


def test_an_email_turned_off_is_not_sent_but_the_inbox_keeps_it(cast, django_capture_on_commit_callbacks):
    cast.member.email = "member@example.com"
    cast.member.save()
    NotificationSettings.objects.create(user=cast.member, email={"risk_alert": False})
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[cast.member], message=ALERT_MESSAGES["red"], params=RED)
        notify(recipients=[cast.member], message=ALERT_MESSAGES["blue"], params={**RED, "date": dt.date(2027, 3, 1)})
    assert Notification.objects.filter(recipient=cast.member).count() == 2
    assert mail.outbox == []  # both are risk alerts
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()  # handled, not left for the sweep


def at(local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_daily_digest_goes_at_nine_on_working_days_once_with_what_is_unread(
    cast, django_capture_on_commit_callbacks
):
    user = UserFactory(username="digest", email="digest@example.com", time_zone="Asia/Shanghai", language="zh-hans")
    NotificationSettings.objects.create(user=user, digest="daily")
    with django_capture_on_commit_callbacks(execute=True):
        [first] = notify(recipients=[user], message=ALERT_MESSAGES["red"], params=RED)
        notify(recipients=[user], message=ALERT_MESSAGES["red"], params={**RED, "risk": "已读的"})
    Notification.objects.filter(params__risk="已读的").update(read_at=at("2027-03-08T08:00"))
    notification_send_emails(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
    assert mail.outbox == []  # a digest user gets no email per notification

    assert digest_due(now=at("2027-03-08T08:59")) == []  # Monday, before 09:00
    assert digest_due(now=at("2027-03-08T09:00")) == [user.pk]
    assert digest_send(user_id=user.pk, now=at("2027-03-08T09:00")) == 1
    assert digest_send(user_id=user.pk, now=at("2027-03-08T09:15")) == 0  # once a day
    assert digest_due(now=at("2027-03-08T23:00")) == []
    [email] = mail.outbox
    assert "支付網關" in email.body and "已读的" not in email.body and "红色预警" in email.body
    assert email.alternatives[0][1] == "text/html"

    assert digest_due(now=at("2027-03-13T10:00")) == []  # Saturday
    calendar_days_set(actor=cast.admin, start=dt.date(2027, 3, 9), kind="holiday", name="公司假日")
    assert digest_due(now=at("2027-03-09T10:00")) == []  # an entered holiday
    Notification.objects.filter(pk=first.pk).update(created_at=at("2027-03-08T08:00"))
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[user], message=ALERT_MESSAGES["red"], params={**RED, "risk": "新的"})
    Notification.objects.filter(params__risk="新的").update(created_at=at("2027-03-10T07:00"))
    assert digest_send(user_id=user.pk, now=at("2027-03-10T09:00")) == 1  # only what came since the last one
    assert "新的" in mail.outbox[1].body and "支付網關" not in mail.outbox[1].body


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_digest():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = UserFactory(username="racer", email="racer@example.com", time_zone="Asia/Shanghai")
    NotificationSettings.objects.create(user=user, digest="daily")
    notify(recipients=[user], message=ALERT_MESSAGES["red"], params=RED, email=False)
    results, barrier = [], threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            results.append(digest_send(user_id=user.pk, now=at("2027-03-08T09:00")))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1] and len(mail.outbox) == 1


def test_settings_page_saves_the_choices(browser_client, cast):
    client = browser_client(cast.member)
    page = client.get("/profile/notifications/").content.decode()
    assert 'name="email_risk_alert" checked' in page and 'id="digest-off" value="off" checked' in page
    form = {"digest": "daily", **{f"email_{v}": "on" for v in NotificationVerb.values if v != "risk_alert"}}
    assert client.post("/profile/notifications/", form).status_code == 302
    saved = NotificationSettings.objects.get(user=cast.member)
    assert saved.digest == "daily" and saved.email["risk_alert"] is False and saved.email["budget_approved"] is True
    assert saved.chat["risk_alert"] is False  # unticked boxes are off
    assert client.post("/profile/notifications/", {"digest": "hourly"}).status_code == 400
    assert NotificationSettings.objects.get(user=cast.member).digest == "daily"
