"""The retrospective report, action items becoming tasks, and minutes reaching department heads."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import Task
from core.errors import ApplicationError, Conflict, NotAllowed
from core.models import Notification
from reviews.models import ActionItem, Meeting, Retrospective
from reviews.services import action_item_create, action_item_to_task, minutes_publish, retrospective_save
from tests.factories import DepartmentFactory, UserFactory
from tests.reviews.conftest import make_series

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SCORES = {"goal_score": 4, "efficiency_score": 3, "innovation_score": 5, "improvement_score": 2}


def first_meeting(series):
    Meeting.objects.filter(series=series).delete()
    day = dt.date(2025, 10, 17)
    return Meeting.objects.create(
        series=series, nominal_date=day, scheduled_at=dt.datetime.combine(day, dt.time(16), tzinfo=SHANGHAI)
    )


def test_retrospective_scores_report_and_improvements_become_action_items(cast, campaign):
    meeting = first_meeting(make_series(cast, campaign, kind="retrospective", weekday=4))
    retro = retrospective_save(
        meeting=meeting,
        actor=cast.lead,
        **SCORES,
        goal_comment="1.2 M new users at 80 %",
        lessons="Start creatives earlier",
        suggestions="Book servers a month ahead",
        responsibilities="Tech: capacity; marketing: creatives",
        improvements=[{"title": "Creatives two weeks earlier", "owner": cast.member, "due_date": dt.date(2025, 11, 1)}],
    )
    assert (retro.goal_score, retro.improvement_score, retro.lessons) == (4, 2, "Start creatives earlier")
    assert ActionItem.objects.get(meeting=meeting).owner == cast.member
    retrospective_save(meeting=meeting, actor=cast.lead, **{**SCORES, "goal_score": 5})
    assert Retrospective.objects.get(meeting=meeting).goal_score == 5


@pytest.mark.parametrize("bad", [{"goal_score": 0}, {"efficiency_score": 6}, {"innovation_score": "great"}])
def test_scores_are_one_to_five(cast, campaign, bad):
    meeting = first_meeting(make_series(cast, campaign, kind="retrospective", weekday=4))
    with pytest.raises(ApplicationError) as excinfo:
        retrospective_save(meeting=meeting, actor=cast.lead, **{**SCORES, **bad})
    assert set(bad) <= set(excinfo.value.errors)
    assert not Retrospective.objects.exists()


def test_only_retrospectives_and_only_the_chair(cast, campaign):
    standup = first_meeting(make_series(cast, campaign))
    with pytest.raises(Conflict):
        retrospective_save(meeting=standup, actor=cast.lead, **SCORES)
    retro = first_meeting(make_series(cast, campaign, kind="retrospective", weekday=4))
    with pytest.raises(NotAllowed):
        retrospective_save(meeting=retro, actor=cast.member, **SCORES)


def test_an_action_item_becomes_a_task_once(cast, campaign):
    meeting = first_meeting(make_series(cast, campaign))
    action = action_item_create(
        meeting=meeting,
        actor=cast.lead,
        title="Book the training room",
        owner=cast.deputy,
        due_date=dt.date(2025, 12, 1),
    )
    task = action_item_to_task(action=action, actor=cast.lead)
    assert (task.title, task.owner, task.due_date, task.campaign) == (
        "Book the training room",
        cast.deputy,
        dt.date(2025, 12, 1),
        campaign,
    )
    with pytest.raises(Conflict):
        action_item_to_task(action=action, actor=cast.lead)
    assert Task.objects.count() == 1


def test_minutes_reach_the_heads_of_participating_departments(cast, campaign):
    head = UserFactory(username="head-of-tech")
    department = DepartmentFactory(code="tech-x", head=head)
    campaign.departments.add(department)
    meeting = first_meeting(make_series(cast, campaign))
    minutes_publish(meeting=meeting, actor=cast.lead, minutes="Go live on 2 March.")
    assert Notification.objects.filter(verb="minutes_published", recipient=head).count() == 1


def test_a_published_retrospective_can_no_longer_be_changed(cast, campaign):
    meeting = first_meeting(make_series(cast, campaign, kind="retrospective", weekday=4))
    retrospective_save(meeting=meeting, actor=cast.lead, **SCORES)
    minutes_publish(meeting=meeting, actor=cast.lead, minutes="Retrospective held.")
    with pytest.raises(Conflict):
        retrospective_save(meeting=meeting, actor=cast.lead, **{**SCORES, "goal_score": 1})
    assert Retrospective.objects.get(meeting=meeting).goal_score == 4
