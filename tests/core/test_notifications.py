from __future__ import annotations

import pytest
from django.core import mail

from core.models import Notification, NotificationVerb
from core.services.notifications import notification_mark_read, notify
from tests.factories import UserFactory, message_for

pytestmark = pytest.mark.django_db


def test_notify_writes_inbox_rows_and_emails_each_recipient_once(django_capture_on_commit_callbacks):
    a = UserFactory(username="a", email="a@example.com")
    b = UserFactory(username="b", email="b@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(
            recipients=[a, b, a], message=message_for(NotificationVerb.BUDGET_SUBMITTED, "Budget awaits you"), url="/x/"
        )
    assert len(rows) == 2
    assert Notification.objects.filter(recipient=a).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    assert all(n.email_sent_at for n in Notification.objects.all())
    assert "Budget awaits you" in mail.outbox[0].body
    assert "/x/" in mail.outbox[0].body


def test_text_is_rendered_in_each_recipients_language(django_capture_on_commit_callbacks):
    from django.utils.translation import gettext_lazy as _

    zh = UserFactory(username="zh", language="zh-hans")
    en = UserFactory(username="en", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[zh, en],
            message=message_for(NotificationVerb.TEAM_MEMBERSHIP, _("You are now %(role)s of the team %(team)s.")),
            params={"role": "x", "team": "T"},
        )
    assert Notification.objects.get(recipient=en).text_in("en") == "You are now x of the team T."
    zh_text = Notification.objects.get(recipient=zh).text_in("zh-hans")
    assert zh_text == "您现在是团队“T”的x。"


def test_emails_are_not_sent_twice_when_the_task_runs_again(django_capture_on_commit_callbacks):
    from core.services.notifications import notification_send_emails

    user = UserFactory(username="c", email="c@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        [n] = notify(recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "Alert"))
    assert notification_send_emails(notification_ids=[n.pk]) == 0
    assert len(mail.outbox) == 1


def test_inactive_users_are_not_notified():
    user = UserFactory(username="gone", is_active=False)
    assert notify(recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "x")) == []


def test_mark_read_touches_only_the_users_own_rows():
    a, b = UserFactory(username="ra"), UserFactory(username="rb")
    notify(recipients=[a, b], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    other = Notification.objects.get(recipient=b)
    assert notification_mark_read(user=a, notification_ids=[other.pk]) == 0
    assert notification_mark_read(user=a) == 1
    assert Notification.objects.get(recipient=b).read_at is None


# --- API -------------------------------------------------------------------------


def test_api_lists_only_my_notifications_with_the_contract_fields(api, cast):
    notify(
        recipients=[cast.lead],
        message=message_for(NotificationVerb.BUDGET_APPROVED, "Approved"),
        url="/b/1/",
        obj=cast.team,
        email=False,
    )
    notify(recipients=[cast.member], message=message_for(NotificationVerb.RISK_ALERT, "Not yours"), email=False)
    body = api(cast.lead).get("/api/v1/notifications/").json()
    assert body["count"] == 1
    row = body["results"][0]
    for field in ("id", "verb", "text", "url", "read", "created_at", "object_type", "object_id"):
        assert field in row
    assert row["verb"] == "budget_approved"
    assert row["object_id"] == cast.team.pk
    assert row["read"] is False


def test_api_read_verb_marks_one_read_and_others_get_404(api, cast):
    [n] = notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    assert api(cast.member).post(f"/api/v1/notifications/{n.pk}/read/").status_code == 404
    response = api(cast.lead).post(f"/api/v1/notifications/{n.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True
    n.refresh_from_db()
    assert n.read_at is not None
    assert api(cast.lead).get("/api/v1/notifications/?read=false").json()["count"] == 0


def test_api_read_filter_rejects_nonsense(api, cast):
    response = api(cast.lead).get("/api/v1/notifications/?read=perhaps")
    assert response.status_code == 400
    assert "read" in response.json()


def test_api_read_all(api, cast):
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "y"), email=False)
    assert api(cast.lead).post("/api/v1/notifications/read-all/").json() == {"marked": 2}


# --- Pages -----------------------------------------------------------------------


def test_unread_count_is_in_the_header(browser_client, cast):
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "y"), email=False)
    html = browser_client(cast.lead).get("/").content.decode()
    assert 'id="unread-badge"' in html
    assert 'data-count="2"' in html


def test_inbox_mark_read_with_htmx_returns_the_row_and_triggers_the_badge(browser_client, cast):
    [n] = notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "Alert text"), email=False)
    client = browser_client(cast.lead)
    response = client.post(f"/inbox/{n.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "unread-changed"
    assert f'id="notification-{n.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    n.refresh_from_db()
    assert n.read_at is not None


def test_inbox_cannot_touch_someone_elses_notification(browser_client, cast):
    [n] = notify(recipients=[cast.member], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    assert browser_client(cast.lead).post(f"/inbox/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_inbox_needs_post_to_mark_read(browser_client, cast):
    [n] = notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    assert browser_client(cast.lead).get(f"/inbox/{n.pk}/read/").status_code == 405


def test_inbox_empty_state_and_pagination(browser_client, cast):
    client = browser_client(cast.lead)
    assert "Your inbox is empty" in client.get("/inbox/").content.decode()
    for i in range(30):
        notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, f"note-{i:02}"), email=False)
    first = client.get("/inbox/").content.decode()
    assert "Page 1 of 2" in first
    assert "note-29" in first
    assert "note-00" not in first
    assert "note-00" in client.get("/inbox/?page=2").content.decode()
    assert client.get("/inbox/?page=abc").status_code == 200


def test_inbox_query_count_does_not_grow_with_rows(browser_client, cast, django_assert_max_num_queries):
    client = browser_client(cast.lead)
    for i in range(40):
        notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, f"n{i}"), email=False)
    with django_assert_max_num_queries(8):
        assert client.get("/inbox/").status_code == 200


def test_marking_read_in_the_unread_list_removes_the_row(browser_client, cast):
    [n] = notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "Alert text"), email=False)
    response = browser_client(cast.lead).post(f"/inbox/{n.pk}/read/", {"show": "unread"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content == b""
    assert response["HX-Trigger"] == "unread-changed"


def test_dates_in_a_notification_are_written_in_its_readers_language():
    """One date language (issue 15): a date or a date and time given as a parameter is written as the reader's
    language writes it — 8 Mar 2027 / 2027年3月8日 — by notify and by the set-wise notify_rows alike."""
    import datetime as dt

    from core.services.notifications import NotificationRow, notify_rows

    zh = UserFactory(username="zh-d", language="zh-hans")
    en = UserFactory(username="en-d", language="en")
    notify(
        recipients=[zh, en],
        message=message_for(NotificationVerb.RISK_ALERT, "due %(day)s"),
        params={"day": dt.date(2027, 3, 8)},
    )
    assert Notification.objects.get(recipient=en).written_text == "due 8 Mar 2027"
    assert Notification.objects.get(recipient=zh).written_text == "due 2027年3月8日"
    assert Notification.objects.get(recipient=en).text_in("zh-hans") == "due 2027年3月8日"
    when = dt.datetime(2027, 3, 8, 10, 0)
    notify_rows(
        NotificationRow(recipient_id=u.pk, language=u.language, message=message_for(NotificationVerb.MEETING_REMINDER,
                        "at %(when)s"), params={"when": when})
        for u in (zh, en)
    )  # fmt: skip
    assert Notification.objects.get(recipient=en, verb="meeting_reminder").written_text == "at 8 Mar 2027, 10:00"
    assert Notification.objects.get(recipient=zh, verb="meeting_reminder").written_text == "at 2027年3月8日 10:00"
    assert Notification.objects.get(recipient=zh, verb="meeting_reminder").text_in("en") == "at 8 Mar 2027, 10:00"
