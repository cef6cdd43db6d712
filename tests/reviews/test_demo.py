"""The demo reviews: WD-2027's standup and retrospective, a held meeting with minutes, the next standup half
filed — and a second seed_demo changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from core.models import Notification
from reviews.demo import seed_reviews
from reviews.models import ActionItem, AgendaNote, Meeting, MeetingStatus, Retrospective, ReviewSeries, StatusUpdate
from reviews.selectors import agenda_with_notes
from teams.models import User

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC)  # a Wednesday


def test_demo_reviews_are_seeded_once():
    with time_machine.travel(DAY, tick=False):
        call_command("seed_demo")
    series = {s.kind: s for s in ReviewSeries.objects.filter(campaign__code="WD-2027")}
    assert set(series) == {"standup", "retrospective"}
    standup, retro = series["standup"], series["retrospective"]
    assert (standup.weekday, standup.time, standup.interval_weeks) == (0, dt.time(10), 1)
    assert (retro.weekday, retro.time, retro.interval_weeks) == (4, dt.time(16), 2)
    assert standup.chair.username == "lead"
    assert set(standup.participants.values_list("username", flat=True)) == {"lead", "deputy", "staff"}
    held = Meeting.objects.get(series=standup, status=MeetingStatus.HELD)
    assert held.published_at is not None and "會議紀要" in held.minutes
    assert ActionItem.objects.get(meeting=held).owner.username == "deputy"
    assert set(held.attendees.values_list("username", flat=True)) == {"lead", "deputy", "staff"}
    items = agenda_with_notes(held)
    assert [i["title"][:4] for i in items] == ["進度同步", "問題解決", "風險預警"]
    assert all(i["notes"] and i["decision"] for i in items)
    held_retro = Meeting.objects.get(series=retro, status=MeetingStatus.HELD)
    assert held_retro.published_at is not None and held_retro.scheduled_at < DAY
    report = Retrospective.objects.get(meeting=held_retro)
    assert (report.goal_score, report.innovation_score) == (4, 5) and report.responsibilities
    assert ActionItem.objects.filter(meeting=held_retro).count() == 1
    assert held_retro.attendees.count() == 3
    upcoming = Meeting.objects.filter(series=standup, status=MeetingStatus.SCHEDULED, scheduled_at__gt=DAY).first()
    assert list(StatusUpdate.objects.filter(meeting=upcoming).values_list("user__username", flat=True)) == ["staff"]
    assert retro.meetings.exists()

    counts = (
        ReviewSeries.objects.count(),
        Meeting.objects.count(),
        ActionItem.objects.count(),
        StatusUpdate.objects.count(),
        Notification.objects.count(),
        AgendaNote.objects.count(),
        Retrospective.objects.count(),
    )
    with time_machine.travel(DAY + dt.timedelta(days=1), tick=False):
        call_command("seed_demo")
        seed_reviews({u.username: u for u in User.objects.all()})
    assert counts == (
        ReviewSeries.objects.count(),
        Meeting.objects.count(),
        ActionItem.objects.count(),
        StatusUpdate.objects.count(),
        Notification.objects.count(),
        AgendaNote.objects.count(),
        Retrospective.objects.count(),
    )


def test_demo_meeting_pages_render_for_the_lead(client):
    with time_machine.travel(DAY, tick=False):
        call_command("seed_demo")
    client.force_login(User.objects.get(username="lead"))
    held = Meeting.objects.get(status=MeetingStatus.HELD, series__kind="standup")
    page = client.get(f"/reviews/meetings/{held.pk}/").content.decode()
    assert "會議紀要" in page and "增配30名話務專員" in page
    assert "增配30名話務專員" in client.get(f"/reviews/meetings/{held.pk}/print/").content.decode()
    retro = Meeting.objects.get(status=MeetingStatus.HELD, series__kind="retrospective")
    assert "AR試妝" in client.get(f"/reviews/meetings/{retro.pk}/retrospective/print/").content.decode()
    assert client.get("/reviews/").status_code == 200
