"""The live agenda, action items carried over, and minutes published once."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from budgets.services import budget_create, budget_submit
from campaigns.models import Kpi
from campaigns.services import kpi_record_reading, milestone_save, phase_save, task_save
from core.errors import ApplicationError, Conflict, NotAllowed
from core.models import AuditEntry, Notification
from reviews.models import Meeting
from reviews.services import action_item_create, agenda_add_item, agenda_reorder, meeting_open, minutes_publish
from risks.services import risk_save
from tests.budgets.conftest import DEMO_LINES
from tests.reviews.conftest import make_series

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 10, 15)  # a Wednesday


def meeting_on(series, day=DAY):
    return Meeting.objects.create(
        series=series, nominal_date=day, scheduled_at=dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)
    )


def test_agenda_is_built_from_live_state(cast, campaign):
    import time_machine

    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    meeting = meeting_on(series)
    late = task_save(
        campaign=campaign,
        actor=cast.lead,
        title="Posters",
        start_date=DAY - dt.timedelta(days=9),
        due_date=DAY - dt.timedelta(days=1),
    )
    task_save(campaign=campaign, actor=cast.lead, title="H5 page", start_date=DAY, due_date=DAY + dt.timedelta(days=3))
    task_save(
        campaign=campaign, actor=cast.lead, title="Far away", start_date=DAY, due_date=DAY + dt.timedelta(days=30)
    )
    phase = phase_save(
        campaign=campaign, actor=cast.lead, name="準備期", order=1, start_date=DAY, end_date=DAY + dt.timedelta(days=20)
    )
    milestone_save(
        campaign=campaign, actor=cast.lead, phase=phase, name="Creatives delivered", due_date=DAY + dt.timedelta(days=5)
    )
    milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name="Later", due_date=DAY + dt.timedelta(days=20))
    with time_machine.travel(dt.datetime(2025, 10, 14, 2, tzinfo=dt.UTC), tick=False):
        risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Platform outage",
            category="technical",
            probability=4,
            impact=5,
            expected_date=DAY + dt.timedelta(days=1),
        )
    budget_submit(
        budget=budget_create(actor=cast.lead, campaign=campaign, total="30000000", lines=DEMO_LINES), actor=cast.lead
    )
    kpi = Kpi.objects.create(campaign=campaign, name="NPS", kind="nps", target=68)
    kpi_record_reading(kpi=kpi, actor=cast.lead, date=DAY - dt.timedelta(days=1), actual="40", forecast="60")
    meeting = meeting_open(meeting=meeting, actor=cast.lead)
    kinds = {(item["kind"], item["title"]) for item in meeting.agenda}
    assert ("late_task", "Posters") in kinds and ("task_due", "H5 page") in kinds
    assert not any(title == "Far away" for _kind, title in kinds)
    assert ("milestone", "Creatives delivered") in kinds and ("milestone", "Later") not in kinds
    assert ("risk", "Platform outage") in kinds
    assert any(kind == "budget" for kind, _title in kinds)
    assert ("kpi", "NPS") in kinds
    assert late.pk in [item["id"] for item in meeting.agenda if item["kind"] == "late_task"]


def test_open_action_items_carry_over_until_done(cast, campaign):
    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    first, second = meeting_on(series), meeting_on(series, DAY + dt.timedelta(days=7))
    action = action_item_create(
        meeting=first,
        actor=cast.lead,
        title="Book backup servers",
        owner=cast.deputy,
        due_date=DAY + dt.timedelta(days=3),
    )
    assert Notification.objects.get(verb="action_item_assigned").recipient == cast.deputy
    assert [i["title"] for i in meeting_open(meeting=second, actor=cast.lead).agenda if i["kind"] == "action_item"] == [
        "Book backup servers"
    ]
    action.done = True
    action.save()
    assert not [i for i in meeting_open(meeting=second, actor=cast.lead).agenda if i["kind"] == "action_item"]
    with pytest.raises(ApplicationError):
        action_item_create(meeting=first, actor=cast.lead, title="x", owner=cast.viewer)


def test_the_chair_adds_and_reorders_items_and_others_may_not(cast, campaign):
    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    meeting = meeting_on(series)
    a = agenda_add_item(meeting=meeting, actor=cast.lead, title="Partner contracts")
    b = agenda_add_item(meeting=meeting, actor=cast.lead, title="Store training")
    meeting = agenda_reorder(meeting=meeting, actor=cast.lead, keys=[b["key"], a["key"]])
    assert [i["title"] for i in meeting.agenda] == ["Store training", "Partner contracts"]
    assert [i["title"] for i in meeting_open(meeting=meeting, actor=cast.lead).agenda if i["kind"] == "chair"] == [
        "Store training",
        "Partner contracts",
    ]
    with pytest.raises(ApplicationError):
        agenda_reorder(meeting=meeting, actor=cast.lead, keys=[a["key"]])
    with pytest.raises(NotAllowed):
        agenda_add_item(meeting=meeting, actor=cast.member, title="x")


def test_minutes_are_published_once(cast, campaign):
    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    meeting = meeting_on(series)
    with pytest.raises(ApplicationError):
        minutes_publish(meeting=meeting, actor=cast.lead, minutes="  ")
    meeting = minutes_publish(meeting=meeting, actor=cast.lead, minutes="Decisions: launch on 3/2.")
    assert meeting.status == "held"
    recipients = set(
        Notification.objects.filter(verb="minutes_published").values_list("recipient__username", flat=True)
    )
    assert recipients == {"t-lead", "t-member", "t-viewer"}
    with pytest.raises(Conflict):
        minutes_publish(meeting=meeting, actor=cast.lead, minutes="again")
    assert Notification.objects.filter(verb="minutes_published").count() == 3
    assert AuditEntry.objects.filter(action="reviews.minutes_published").count() == 1


def test_published_minutes_freeze_the_agenda_and_minutes_wait_for_the_meeting(cast, campaign):
    series = make_series(cast, campaign)
    Meeting.objects.filter(series=series).delete()
    later = Meeting.objects.create(
        series=series, nominal_date=dt.date(2099, 1, 7), scheduled_at=dt.datetime(2099, 1, 7, 10, tzinfo=SHANGHAI)
    )
    with pytest.raises(Conflict) as early:
        minutes_publish(meeting=later, actor=cast.lead, minutes="Written ahead of time.")
    assert "not started yet" in str(early.value.message)
    meeting = meeting_on(series)
    item = agenda_add_item(meeting=meeting, actor=cast.lead, title="Partner contracts")
    minutes_publish(meeting=meeting, actor=cast.lead, minutes="Decisions: launch on 3/2.")
    with pytest.raises(Conflict):
        agenda_add_item(meeting=meeting, actor=cast.lead, title="After the fact")
    with pytest.raises(Conflict):
        agenda_reorder(meeting=meeting, actor=cast.lead, keys=[item["key"]])
    meeting.refresh_from_db()
    assert [i["title"] for i in meeting.agenda] == ["Partner contracts"]
