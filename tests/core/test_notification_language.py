"""SPEC 10.4: a notification's text is written in the reader's current language whenever it is read or sent —
also for notifications created before the reader switched language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import translation
from rest_framework.test import APIClient

from core.messages import MESSAGES, PLACEHOLDER, Money, Words, message, msgid, parse, render
from core.models import Notification, NotificationVerb
from core.services.notifications import notification_send_emails, notify
from reviews.notices import MINUTES_PUBLISHED
from risks.notices import ALERT_MESSAGES
from teams.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def _product_messages():
    return [m for key, m in sorted(MESSAGES.items()) if not key.startswith("tests.")]


def _sample(name: str):
    return {"date": dt.date(2027, 3, 8), "when": dt.datetime(2027, 3, 8, 10, 0), "pct": 92}.get(name, f"«{name}»")


def test_every_verb_has_a_declared_message():
    declared = {m.verb for m in _product_messages()}
    # The verbs of features not built yet are listed by name, so that adding them fails here until they speak.
    assert set(NotificationVerb.values) - declared == set()


@pytest.mark.parametrize("key", [m.key for m in _product_messages()])
def test_every_message_renders_in_both_languages_without_a_missing_translation(key):
    msg = MESSAGES[key]
    params = {name: _sample(name) for name in msg.placeholders}
    from core.messages import encode_params

    stored = encode_params(params)
    english = render(msg, stored, "en")
    chinese = render(msg, stored, "zh-hans")
    assert "%(" not in english and "%(" not in chinese
    assert english == msgid(msg.text) % render_params_en(stored)
    assert chinese != english, f"{key}: no zh-hans translation for {msgid(msg.text)!r}"
    assert CJK.search(chinese), chinese
    with translation.override("zh-hans"):
        assert set(PLACEHOLDER.findall(str(msg.text))) == set(msg.placeholders), "the translation drops a value"
    for name, value in params.items():
        if isinstance(value, str):
            assert value in chinese and value in english


def render_params_en(stored):
    from core.messages import decode

    with translation.override("en"):
        return {k: decode(v) for k, v in stored.items()}


def test_parameters_follow_the_readers_language():
    msg = message("tests.kinds", NotificationVerb.RISK_ALERT, "%(a)s|%(b)s|%(c)s|%(d)s|%(e)s")
    from core.messages import encode_params
    from core.roles import TeamRole

    stored = encode_params(
        {
            "a": dt.date(2027, 2, 10),
            "b": Money("28000000"),
            "c": [TeamRole.LEAD.label, TeamRole.DEPUTY.label],
            "d": Words("WD-2027", dt.datetime(2027, 3, 8, 9, 30)),
            "e": "女神節",
        }
    )
    assert (
        render(msg, stored, "en") == "10 Feb 2027|28,000,000.00 CNY|Lead, Deputy lead|WD-2027 8 Mar 2027, 09:30|女神節"
    )
    chinese = render(msg, stored, "zh-hans").split("|")
    assert chinese[0] == "2027年2月10日"
    assert chinese[1] == "28,000,000.00元"
    assert "、" in chinese[2] and "Lead" not in chinese[2]
    assert chinese[3] == "WD-2027 2027年3月8日 09:30"
    assert chinese[4] == "女神節"


def test_a_notice_created_in_english_is_read_in_chinese_after_the_switch(django_capture_on_commit_callbacks):
    reader = UserFactory(username="switcher", language="en", email="switcher@example.com")
    with django_capture_on_commit_callbacks(execute=False):
        [note] = notify(
            recipients=[reader],
            message=ALERT_MESSAGES["blue"],
            params={"risk": "支付網關", "campaign": "WD-2027", "date": dt.date(2027, 3, 8)},
            url="/risks/1/",
        )
    assert note.written_text.startswith("Blue alert on risk “支付網關” (WD-2027): expected 8 Mar 2027")

    reader.language = "zh-hans"
    reader.save(update_fields=["language"])
    chinese = Notification.objects.get(pk=note.pk).text_in("zh-hans")
    assert "2027年3月8日" in chinese and "Blue alert" not in chinese and CJK.search(chinese.replace("支付網關", ""))

    client = APIClient()
    client.force_login(User.objects.get(pk=reader.pk))
    inbox = client.get("/inbox/").content.decode()
    assert chinese in inbox and "Blue alert" not in inbox
    [row] = client.get("/api/v1/notifications/").json()["results"]
    assert row["text"] == chinese

    assert notification_send_emails(notification_ids=[note.pk]) == 1
    [email] = mail.outbox
    assert chinese in email.body and "Blue alert" not in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and chinese in html and 'lang="zh-hans"' in html


def test_plain_text_email_is_not_escaped_and_html_email_is(django_capture_on_commit_callbacks):
    reader = UserFactory(username="quoted", language="en", email="q@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[reader], message=MINUTES_PUBLISHED, params={"meeting": 'R&D <sync> "Q1"'})
    [email] = mail.outbox
    assert 'Minutes of R&D <sync> "Q1" are published.' in email.body
    html = email.alternatives[0][0]
    assert "R&amp;D &lt;sync&gt;" in html and "<sync>" not in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_old_rows_are_read_back_into_message_and_parameters(language):
    """The migration's reader: a text written before messages were stored, in either language, becomes the
    message and its parameters again (the date a date), so it too follows the reader's language."""
    msg = ALERT_MESSAGES["yellow"]
    with translation.override(language):
        written = str(msg.text) % {
            "risk": "R-12",
            "campaign": "WD-2027",
            "date": "2027年3月8日" if language != "en" else "8 Mar 2027",
        }
    key, params = parse("risk_alert", written)
    assert key == msg.key
    assert params == {"risk": "R-12", "campaign": "WD-2027", "date": {"$d": "2027-03-08"}}
    assert parse("risk_alert", "Something nobody declared") is None


def test_a_message_no_longer_declared_shows_the_text_as_written():
    reader = UserFactory(username="legacy")
    note = Notification.objects.create(
        recipient=reader, verb="risk_alert", message="gone.key", written_text="old words"
    )
    assert note.text == "old words"
