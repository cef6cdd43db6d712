"""Occurrences on the Chinese working calendar, and reminders exactly once per (meeting, user, kind)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core.models import Notification
from reviews.models import Meeting, ReminderSent, StatusUpdate
from reviews.reminders import reminders_send
from reviews.schedule import series_generate_meetings
from reviews.services import series_save
from tests.reviews.conftest import make_series

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def days(series):
    return [
        m.scheduled_at.astimezone(SHANGHAI).date()
        for m in Meeting.objects.filter(series=series).order_by("scheduled_at")
    ]


def test_a_holiday_moves_to_the_next_working_day_and_two_moves_never_double_up(cast, campaign):
    series = make_series(cast, campaign)  # Wednesdays
    Meeting.objects.filter(series=series).delete()
    series_generate_meetings(series, today=dt.date(2025, 9, 22), weeks=4)
    # 1 Oct and 8 Oct 2025 are National Day holidays: both would move to Thursday 9 Oct, which takes one.
    assert days(series) == [dt.date(2025, 9, 24), dt.date(2025, 10, 9), dt.date(2025, 10, 15)]
    assert (
        Meeting.objects.get(series=series, nominal_date=dt.date(2025, 10, 1)).scheduled_at.astimezone(SHANGHAI).hour
        == 10
    )


def test_skip_policy_drops_meetings_on_days_off(cast, campaign):
    series = make_series(cast, campaign, holiday_policy="skip")
    Meeting.objects.filter(series=series).delete()
    series_generate_meetings(series, today=dt.date(2025, 9, 22), weeks=4)
    assert days(series) == [dt.date(2025, 9, 24), dt.date(2025, 10, 15)]


def test_a_make_up_working_sunday_holds_the_meeting_while_ordinary_sundays_move(cast, campaign):
    series = make_series(cast, campaign, weekday=6, holiday_policy="next_workday")  # Sundays
    Meeting.objects.filter(series=series).delete()
    series_generate_meetings(series, today=dt.date(2025, 9, 15), weeks=2)
    # 21 Sep is an ordinary Sunday (moves to Monday 22), 28 Sep is a make-up working day (held).
    assert days(series) == [dt.date(2025, 9, 22), dt.date(2025, 9, 28)]


def test_biweekly_retrospectives_and_idempotent_generation(cast, campaign):
    series = make_series(cast, campaign, kind="retrospective", weekday=4)
    assert series.interval_weeks == 2
    Meeting.objects.filter(series=series).delete()
    assert series_generate_meetings(series, today=dt.date(2025, 11, 3), weeks=4) == 2
    assert series_generate_meetings(series, today=dt.date(2025, 11, 3), weeks=4) == 0
    assert days(series) == [dt.date(2025, 11, 14), dt.date(2025, 11, 28)]  # every other Friday from 5 Sep


def test_meetings_exist_as_soon_as_a_series_is_created(cast, campaign):
    assert Meeting.objects.filter(series=make_series(cast, campaign, starts_on=dt.date.today())).count() >= 4


def meeting_at(cast, campaign, when):
    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    return Meeting.objects.create(series=series, nominal_date=when.date(), scheduled_at=when)


def test_each_participant_is_reminded_once_when_the_window_opens(cast, campaign):
    start = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
    meeting = meeting_at(cast, campaign, start)
    assert reminders_send(now=start - dt.timedelta(hours=25))["meeting_reminder"] == 0  # window not open
    assert reminders_send(now=start - dt.timedelta(hours=23))["meeting_reminder"] == 3
    assert reminders_send(now=start - dt.timedelta(hours=22))["meeting_reminder"] == 0
    assert ReminderSent.objects.filter(meeting=meeting, kind="meeting_reminder").count() == 3
    note = Notification.objects.filter(verb="meeting_reminder", recipient=cast.member).get()
    assert note.object_id == meeting.pk


def test_status_update_reminder_two_hours_before_only_to_those_without_one(cast, campaign):
    start = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
    meeting = meeting_at(cast, campaign, start)
    StatusUpdate.objects.create(meeting=meeting, user=cast.member, done="Posters", next="H5", blockers="")
    assert reminders_send(now=start - dt.timedelta(hours=3))["status_update_reminder"] == 0
    assert reminders_send(now=start - dt.timedelta(hours=2))["status_update_reminder"] == 2
    assert reminders_send(now=start - dt.timedelta(hours=1))["status_update_reminder"] == 0
    assert set(
        Notification.objects.filter(verb="status_update_reminder").values_list("recipient__username", flat=True)
    ) == {"t-lead", "t-viewer"}


def test_no_reminders_for_cancelled_or_past_meetings(cast, campaign):
    start = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
    meeting = meeting_at(cast, campaign, start)
    meeting.status = "cancelled"
    meeting.save()
    assert reminders_send(now=start - dt.timedelta(hours=1)) == {"meeting_reminder": 0, "status_update_reminder": 0}
    meeting.status = "scheduled"
    meeting.save()
    assert reminders_send(now=start + dt.timedelta(minutes=1)) == {"meeting_reminder": 0, "status_update_reminder": 0}


def test_changing_the_weekday_cancels_the_old_meetings_and_pausing_cancels_all(cast, campaign):
    import time_machine

    with time_machine.travel(dt.datetime(2025, 11, 3, 1, tzinfo=dt.UTC), tick=False):
        series = make_series(cast, campaign, starts_on=dt.date(2025, 11, 3))  # Wednesdays
        assert {d.weekday() for d in days(series)} == {2}
        series = series_save(campaign=campaign, actor=cast.lead, participants=[cast.lead], series=series, weekday=3)
        live = Meeting.objects.filter(series=series).exclude(status="cancelled")
        assert {m.scheduled_at.astimezone(SHANGHAI).weekday() for m in live} == {3}
        assert Meeting.objects.filter(series=series, status="cancelled").count() >= 4
        series_save(campaign=campaign, actor=cast.lead, participants=[cast.lead], series=series, active=False)
        assert not Meeting.objects.filter(series=series, status="scheduled").exists()


def test_each_reminder_names_its_own_meeting_in_its_readers_language(cast, campaign):
    # Two meetings due in the same run: every participant's notice names that meeting's series and time, written
    # in the participant's own language (each meeting's words are made once and shared by its reminders).
    start = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
    first = meeting_at(cast, campaign, start)
    second = meeting_at(cast, campaign, start + dt.timedelta(hours=3))
    second.series.title = "Channel sync"
    second.series.save()
    cast.member.language = "zh-hans"
    cast.member.save()
    cast.viewer.is_active = False
    cast.viewer.save()
    assert reminders_send(now=start - dt.timedelta(hours=1))["meeting_reminder"] == 4  # the inactive viewer: none
    texts = {
        (n.recipient.username, n.object_id): n.written_text
        for n in Notification.objects.filter(verb="meeting_reminder").select_related("recipient")
    }
    assert set(texts) == {(u, m.pk) for u in ("t-lead", "t-member") for m in (first, second)}
    assert "Channel sync" in texts[("t-lead", second.pk)] and "Channel sync" not in texts[("t-lead", first.pk)]
    assert texts[("t-lead", first.pk)].startswith("Reminder:") and "10:00" in texts[("t-lead", first.pk)]
    assert "13:00" in texts[("t-lead", second.pk)]
    assert texts[("t-member", first.pk)].startswith("提醒") and "10:00" in texts[("t-member", first.pk)]
    assert "Channel sync" in texts[("t-member", second.pk)] and "13:00" in texts[("t-member", second.pk)]
