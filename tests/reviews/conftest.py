from __future__ import annotations

import datetime as dt

import pytest

from reviews.services import series_save
from tests.factories import CampaignFactory


@pytest.fixture
def campaign(cast):
    """Autumn 2025, so that the meeting calendar crosses the National Day holiday."""
    return CampaignFactory(
        actor=cast.lead,
        team=cast.team,
        code="WD-R",
        name="Reviews",
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2025, 12, 31),
    )


def make_series(cast, campaign, **kw):
    fields = {
        "kind": "standup",
        "weekday": 2,
        "time": dt.time(10, 0),
        "starts_on": dt.date(2025, 9, 1),
        "chair": cast.lead,
        "holiday_policy": "next_workday",
        **kw,
    }
    return series_save(campaign=campaign, actor=cast.lead, participants=[cast.lead, cast.member, cast.viewer], **fields)


def once_held(meeting):
    """Travel to an hour after the meeting's start: minutes are published only once it has been held."""
    import time_machine

    return time_machine.travel(meeting.scheduled_at + dt.timedelta(hours=1), tick=False)


def meeting_under_way(series):
    """The series' next scheduled meeting, moved to have started an hour ago: it is being held now, so its
    minutes may be published (a meeting in the future may not have them)."""
    from django.utils import timezone

    from reviews.models import Meeting, MeetingStatus

    meeting = Meeting.objects.filter(series=series, status=MeetingStatus.SCHEDULED).order_by("scheduled_at").first()
    Meeting.objects.filter(pk=meeting.pk).update(scheduled_at=timezone.now() - dt.timedelta(hours=1))
    meeting.refresh_from_db()
    return meeting
