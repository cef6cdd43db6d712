"""The working calendar as data (SPEC 10.4): entries override the packaged statutory calendar; meeting
generation, reminders and budget reminders ask ``core.calendar``; a change moves the affected future meetings
and tells their chairs; admins are warned when next year is unknown."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from core.calendar import is_working_day, next_working_day, packaged_knows, year_known
from core.errors import ApplicationError, NotAllowed
from core.models import CalendarDay, Notification
from core.services.calendar import calendar_day_delete, calendar_days_set
from reviews.models import Meeting, MeetingStatus
from tests.reviews.conftest import make_series

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Spring Festival holiday for 2027 as an administrator would enter it (the package stops at 2026).
SPRING_FESTIVAL = (dt.date(2027, 2, 6), dt.date(2027, 2, 13))
MAKE_UP_SUNDAY = dt.date(2027, 2, 14)


@pytest.fixture
def in_january_2027():
    # A Monday morning in Shanghai: the four weeks of meetings ahead reach into the Spring Festival.
    with time_machine.travel(dt.datetime(2027, 1, 25, 1, 0, tzinfo=dt.UTC), tick=False):
        yield


def enter_spring_festival(admin):
    with_callbacks = calendar_days_set(actor=admin, start=SPRING_FESTIVAL[0], end=SPRING_FESTIVAL[1],
                                       kind="holiday", name="春节")  # fmt: skip
    calendar_days_set(actor=admin, start=MAKE_UP_SUNDAY, kind="workday", name="春节调休")
    return with_callbacks


def local_days(series, status=MeetingStatus.SCHEDULED):
    return [
        m.scheduled_at.astimezone(SHANGHAI).date()
        for m in Meeting.objects.filter(series=series, status=status).order_by("scheduled_at")
    ]


def test_entries_override_the_packaged_calendar_and_unknown_years_are_weekends_only(cast):
    assert packaged_knows(2026) and not packaged_knows(2027)
    assert not is_working_day(dt.date(2026, 10, 1))  # National Day, from the package
    assert is_working_day(dt.date(2027, 2, 10))  # unknown year: a Wednesday is a working day
    assert not year_known(2027)
    calendar_days_set(actor=cast.admin, start=dt.date(2027, 2, 10), kind="holiday", name="春节")
    calendar_days_set(actor=cast.admin, start=dt.date(2026, 10, 1), kind="workday", name="company day")
    assert not is_working_day(dt.date(2027, 2, 10)) and is_working_day(dt.date(2026, 10, 1))
    assert next_working_day(dt.date(2027, 2, 10)) == dt.date(2027, 2, 11)
    assert year_known(2027)


def test_only_admins_change_it_and_bad_ranges_are_refused(cast):
    with pytest.raises(NotAllowed):
        calendar_days_set(actor=cast.lead, start=dt.date(2027, 2, 10), kind="holiday")
    with pytest.raises(ApplicationError) as backwards:
        calendar_days_set(actor=cast.admin, start=dt.date(2027, 2, 10), end=dt.date(2027, 2, 1), kind="holiday")
    assert "end" in backwards.value.errors
    with pytest.raises(ApplicationError) as too_long:
        calendar_days_set(actor=cast.admin, start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 1), kind="holiday")
    assert "end" in too_long.value.errors
    with pytest.raises(ApplicationError) as kind:
        calendar_days_set(actor=cast.admin, start=dt.date(2027, 2, 10), kind="party")
    assert "kind" in kind.value.errors
    assert not CalendarDay.objects.exists()


def test_a_meeting_on_an_entered_holiday_moves_per_its_policy_and_the_chair_is_told(
    cast, campaign, in_january_2027, django_capture_on_commit_callbacks
):
    moving = make_series(cast, campaign, weekday=2, starts_on=dt.date(2027, 1, 4))  # Wednesdays, move
    skipping = make_series(cast, campaign, weekday=3, starts_on=dt.date(2027, 1, 4), holiday_policy="skip")
    assert dt.date(2027, 2, 10) in local_days(moving) and dt.date(2027, 2, 11) in local_days(skipping)

    with django_capture_on_commit_callbacks(execute=True):
        enter_spring_festival(cast.admin)

    assert local_days(moving) == [dt.date(2027, 1, 27), dt.date(2027, 2, 3), MAKE_UP_SUNDAY, dt.date(2027, 2, 17)]
    assert local_days(skipping) == [dt.date(2027, 1, 28), dt.date(2027, 2, 4), dt.date(2027, 2, 18)]
    assert local_days(skipping, MeetingStatus.CANCELLED) == [dt.date(2027, 2, 11)]
    told = Notification.objects.filter(recipient=cast.lead, verb="meeting_moved")
    texts = sorted(n.text_in("en") for n in told)
    assert len(texts) == 2
    assert any("moves from 10 Feb 2027, 10:00 to 14 Feb 2027, 10:00" in t for t in texts), texts
    assert any("on 11 Feb 2027, 10:00 is skipped" in t for t in texts), texts
    assert all("2027年2月" in n.text_in("zh-hans") for n in told)

    # Taking the holiday out again puts both meetings back on their own days.
    with django_capture_on_commit_callbacks(execute=True):
        for day in CalendarDay.objects.filter(kind="holiday"):
            calendar_day_delete(actor=cast.admin, day=day)
    assert dt.date(2027, 2, 10) in local_days(moving) and dt.date(2027, 2, 11) in local_days(skipping)
    assert MAKE_UP_SUNDAY not in local_days(moving)


def test_a_make_up_working_sunday_gets_its_meeting(cast, campaign, in_january_2027, django_capture_on_commit_callbacks):
    sundays = make_series(cast, campaign, weekday=6, starts_on=dt.date(2027, 1, 3), holiday_policy="skip")
    assert local_days(sundays) == []  # every Sunday is a day off
    with django_capture_on_commit_callbacks(execute=True):
        enter_spring_festival(cast.admin)
    assert local_days(sundays) == [MAKE_UP_SUNDAY]


def test_budget_reminders_skip_entered_holidays(cast):
    from budgets.tasks import remind_pending_signers

    calendar_days_set(actor=cast.admin, start=SPRING_FESTIVAL[0], end=SPRING_FESTIVAL[1], kind="holiday")
    with time_machine.travel(dt.datetime(2027, 2, 10, 2, 0, tzinfo=dt.UTC)):  # a Wednesday in the holiday
        from core.calendar import is_working_day as asked

        assert not asked(dt.date(2027, 2, 10))
        assert remind_pending_signers() == 0


def test_entering_the_2027_spring_festival_moves_the_demo_standups_out_of_it(django_capture_on_commit_callbacks):
    from teams.models import User

    with time_machine.travel(dt.datetime(2027, 1, 25, 1, 0, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo")
        standups = Meeting.objects.filter(series__title__startswith="周例會", status=MeetingStatus.SCHEDULED)
        before = {m.scheduled_at.astimezone(SHANGHAI).date() for m in standups}
        assert dt.date(2027, 2, 8) in before  # a Monday inside the holiday, weekends-only today
        admin = User.objects.get(username="admin")
        with django_capture_on_commit_callbacks(execute=True):
            enter_spring_festival(admin)
        after = {m.scheduled_at.astimezone(SHANGHAI).date() for m in standups.all()}
    holiday = {SPRING_FESTIVAL[0] + dt.timedelta(days=i) for i in range(8)}
    assert not after & holiday
    assert MAKE_UP_SUNDAY in after  # the holiday's standup moved to the next working day, the make-up Sunday


# --- API and pages ---------------------------------------------------------------------------------------------


def test_api_everyone_reads_admins_write_and_bad_input_is_named(api, cast):
    admin, lead = api(cast.admin), api(cast.lead)
    assert (
        lead.post("/api/v1/calendar-days/", {"date": "2027-02-10", "kind": "holiday"}, format="json").status_code == 403
    )
    created = admin.post(
        "/api/v1/calendar-days/", {"date": "2027-02-10", "kind": "holiday", "name": "春节"}, format="json"
    )
    assert created.status_code == 201 and created.json() == {"date": "2027-02-10", "kind": "holiday", "name": "春节"}
    again = admin.post("/api/v1/calendar-days/", {"date": "2027-02-10", "kind": "workday"}, format="json")
    assert again.status_code == 201 and CalendarDay.objects.get().kind == "workday"  # an entry per date, replaced
    assert lead.get("/api/v1/calendar-days/?year=2027").json()["results"] == [
        {"date": "2027-02-10", "kind": "workday", "name": ""}
    ]
    assert lead.get("/api/v1/calendar-days/?year=2026").json()["results"] == []
    assert lead.get("/api/v1/calendar-days/?year=abc").json() == {"year": ["Give a year such as 2027."]}
    bad = admin.post(
        "/api/v1/calendar-days/", {"date": "2027-02-31", "kind": "party", "name": "x" * 101}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()) == {"date", "kind", "name"}
    assert admin.patch("/api/v1/calendar-days/2027-02-10/", {"kind": "nope"}, format="json").status_code == 400
    assert admin.patch("/api/v1/calendar-days/2027-02-10/", {"name": "补班"}, format="json").json()["name"] == "补班"
    assert lead.delete("/api/v1/calendar-days/2027-02-10/").status_code == 403
    assert admin.get("/api/v1/calendar-days/2027-02-11/").status_code == 404
    assert admin.get("/api/v1/calendar-days/2027-13-45/").status_code == 404
    assert admin.delete("/api/v1/calendar-days/2027-02-10/").status_code == 204
    assert not CalendarDay.objects.exists()
    assert api().get("/api/v1/calendar-days/").status_code == 401


def test_calendar_page_for_admins_and_readers(browser_client, cast, client):
    page = browser_client(cast.admin).get("/calendar/?year=2027").content.decode()
    assert 'data-calendar-unknown="2027"' in page and "Add days" in page
    response = client.post(
        "/calendar/", {"start": "2027-02-06", "end": "2027-02-13", "kind": "holiday", "name": "春节"}
    )
    assert response.status_code == 302 and CalendarDay.objects.filter(kind="holiday").count() == 8
    page = client.get("/calendar/?year=2027").content.decode()
    assert "data-calendar-unknown" not in page and page.count('data-kind="holiday"') == 8
    refused = client.post("/calendar/", {"start": "2027-02-20", "end": "2027-02-01", "kind": "holiday"})
    assert refused.status_code == 400 and "The last day cannot be before the first." in refused.content.decode()
    assert client.post("/calendar/2027-02-06/delete/").status_code == 302
    assert CalendarDay.objects.filter(kind="holiday").count() == 7
    assert client.post("/calendar/2027-02-06/delete/").status_code == 404

    reader = browser_client(cast.staff if hasattr(cast, "staff") else cast.member)
    page = reader.get("/calendar/?year=2026").content.decode()
    assert "Add days" not in page and 'data-packaged="holiday"' in page
    assert reader.post("/calendar/", {"start": "2027-02-20", "kind": "holiday"}).status_code == 403
    assert reader.post("/calendar/2027-02-07/delete/").status_code == 403


def test_home_warns_admins_while_next_year_is_unknown(browser_client, cast):
    with time_machine.travel(dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)):
        assert 'id="calendar-unknown"' in browser_client(cast.admin).get("/").content.decode()
        assert 'id="calendar-unknown"' not in browser_client(cast.lead).get("/").content.decode()
        calendar_days_set(actor=cast.admin, start=dt.date(2027, 1, 1), kind="holiday", name="元旦")
        assert 'id="calendar-unknown"' not in browser_client(cast.admin).get("/").content.decode()
