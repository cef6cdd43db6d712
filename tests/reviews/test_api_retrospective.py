from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import Task
from reviews.models import ActionItem, Meeting, Retrospective
from tests.reviews.conftest import make_series

pytestmark = pytest.mark.django_db
SCORES = {"goal_score": 4, "efficiency_score": 3, "innovation_score": 5, "improvement_score": 2}


def retro_meeting(cast, campaign):
    series = make_series(cast, campaign, kind="retrospective", weekday=4)
    Meeting.objects.filter(series=series).delete()
    day = dt.date(2025, 10, 17)
    return Meeting.objects.create(
        series=series,
        nominal_date=day,
        scheduled_at=dt.datetime.combine(day, dt.time(16), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
    )


def test_retrospective_through_the_api(api, cast, campaign):
    meeting = retro_meeting(cast, campaign)
    url = f"/api/v1/meetings/{meeting.pk}/retrospective/"
    body = {
        **SCORES,
        "lessons": "Earlier creatives",
        "improvements": [{"title": "Brief tech by Wednesday", "owner": cast.deputy.pk}],
    }
    assert api(cast.outsider).post(url, body, format="json").status_code == 404
    assert api(cast.member).post(url, body, format="json").status_code == 403
    bad = api(cast.lead).post(url, {**body, "goal_score": 9}, format="json")
    assert bad.status_code == 400 and "goal_score" in bad.json()
    response = api(cast.lead).post(url, body, format="json")
    assert response.status_code == 200 and response.json()["lessons"] == "Earlier creatives"
    assert Retrospective.objects.get(meeting=meeting).goal_score == 4
    assert ActionItem.objects.get(meeting=meeting).title == "Brief tech by Wednesday"


def test_action_item_to_task_through_the_api(api, cast, campaign):
    meeting = retro_meeting(cast, campaign)
    api(cast.lead).post(
        f"/api/v1/meetings/{meeting.pk}/action-items/",
        {"title": "Book room", "owner": cast.deputy.pk, "due_date": "2025-11-01"},
        format="json",
    )
    item = ActionItem.objects.get()
    url = f"/api/v1/meetings/{meeting.pk}/action-items/{item.pk}/to-task/"
    assert api(cast.viewer).post(url).status_code == 403
    assert api(cast.outsider).post(url).status_code == 404
    assert api(cast.member).post(url).status_code == 201
    assert api(cast.member).post(url).status_code == 409
    assert api(cast.member).post(f"/api/v1/meetings/{meeting.pk}/action-items/abc/to-task/").status_code == 404
    assert Task.objects.get().title == "Book room"
