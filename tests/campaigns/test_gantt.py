"""The timeline people plan with (issue 15 item 2, SPEC 10.2): tasks grouped by phase at their scheduled dates with
the planned dates as a baseline, milestones on their phase's row, and moving a bar through the task service."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import Task, TaskDependency
from tests.factories import PhaseFactory

pytestmark = pytest.mark.django_db


def day(n: int) -> dt.date:
    return dt.date(2027, 2, 9) + dt.timedelta(days=n)  # day 1 = 10 Feb 2027, WD-2027's first day


@pytest.fixture
def chain(cast, campaign):
    """Prep (days 1–10, milestone on day 8) holds Brief (1–3) → Build (4–8); Launch (2–3, no phase) waits for Build,
    so it is scheduled on days 9–10 though planned on 2–3."""
    prep = PhaseFactory(campaign=campaign, actor=cast.lead, name="準備期", order=1, start_date=day(1), end_date=day(10))
    services.milestone_save(campaign=campaign, actor=cast.lead, phase=prep, name="物料終稿", due_date=day(8))
    brief = services.task_save(
        campaign=campaign, actor=cast.lead, title="Brief", phase=prep, start_date=day(1), due_date=day(3)
    )
    build = services.task_save(campaign=campaign, actor=cast.lead, title="Build", phase=prep, start_date=day(4),
                               due_date=day(8), depends_on=[brief])  # fmt: skip
    launch = services.task_save(campaign=campaign, actor=cast.lead, title="Launch", start_date=day(2), due_date=day(3),
                                depends_on=[build])  # fmt: skip
    return {"prep": prep, "brief": brief, "build": build, "launch": launch}


def page(client, user, campaign) -> str:
    client.force_login(user)
    return client.get(f"/campaigns/{campaign.pk}/timeline/").content.decode()


def script(html: str, name: str):
    return json.loads(re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_rows_are_grouped_by_phase_at_scheduled_dates_with_the_plan_as_baseline(client, cast, campaign, chain):
    rows = script(page(client, cast.viewer, campaign), "gantt-data")
    assert [r["id"] for r in rows] == [
        f"p{chain['prep'].pk}", f"t{chain['brief'].pk}", f"t{chain['build'].pk}", "p0", f"t{chain['launch'].pk}"
    ]  # fmt: skip
    phase, launch = rows[0], rows[-1]
    assert (phase["kind"], phase["start"], phase["end"]) == ("phase", "2027-02-10", "2027-02-19")
    assert phase["milestones"] == [{"name": "物料終稿", "date": "2027-02-17", "done": False}]
    assert rows[3]["name"] == "No phase"
    # Launch waits for Build (ends day 8): drawn on days 9–10, its plan (days 2–3) is the baseline.
    assert (launch["start"], launch["end"]) == ("2027-02-18", "2027-02-19")
    assert (launch["planned_start"], launch["planned_end"]) == ("2027-02-11", "2027-02-12")


def test_the_chart_opens_on_the_campaigns_range_and_only_writers_may_drag(client, cast, campaign, chain):
    config = script(page(client, cast.viewer, campaign), "gantt-config")
    assert config["can_edit"] is False and config["move_url"].endswith("/timeline/tasks/0/move/")
    assert campaign.start_date.isoformat() <= config["scroll_to"] <= campaign.end_date.isoformat()
    assert script(page(client, cast.member, campaign), "gantt-config")["can_edit"] is True


def move(client, user, campaign, task, start, due):
    client.force_login(user)
    return client.post(
        f"/campaigns/{campaign.pk}/timeline/tasks/{task.pk}/move/", {"start_date": start, "due_date": due}
    )


def test_moving_a_bar_saves_the_plan_and_answers_with_the_new_schedule(client, cast, campaign, chain):
    response = move(client, cast.member, campaign, chain["build"], "2027-02-14", "2027-02-20")
    assert response.status_code == 200
    body = response.json()
    chain["build"].refresh_from_db()
    assert (chain["build"].start_date, chain["build"].due_date) == (day(5), day(11))
    launch = next(r for r in body["data"] if r["id"] == f"t{chain['launch'].pk}")
    assert (launch["start"], launch["end"]) == ("2027-02-21", "2027-02-22")  # the schedule followed
    assert 'class="campaign-health' in body["badge"] and 'id="gantt-schedule"' in body["schedule"]
    assert "moved" in body["message"]


def test_a_bar_dropped_before_the_task_it_waits_for_finishes_is_refused_and_nothing_is_saved(
    client, cast, campaign, chain
):
    response = move(client, cast.member, campaign, chain["build"], "2027-02-12", "2027-02-16")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["start_date"]
    assert body["message"] == (
        "“Build” waits for “Brief”, which is scheduled to finish on 12 Feb 2027: it can start on 13 Feb 2027 at the "
        "earliest."
    )
    chain["build"].refresh_from_db()
    assert (chain["build"].start_date, chain["build"].due_date) == (day(4), day(8))


@pytest.mark.parametrize(
    ("start", "due", "field"),
    [("2027-02-20", "2027-02-14", "due_date"), ("not a date", "2027-02-14", "start_date"), ("", "", "start_date"),
     ("2027-02-14", "10000-01-01", "due_date")],
)  # fmt: skip
def test_bad_dates_are_refused_field_by_field(client, cast, campaign, chain, start, due, field):
    response = move(client, cast.member, campaign, chain["brief"], start, due)
    assert response.status_code == 400 and field in response.json()["errors"]
    chain["brief"].refresh_from_db()
    assert chain["brief"].start_date == day(1)


def test_read_only_people_get_403_and_outsiders_404(client, cast, campaign, chain):
    assert move(client, cast.viewer, campaign, chain["brief"], "2027-02-11", "2027-02-13").status_code == 403
    assert move(client, cast.outsider, campaign, chain["brief"], "2027-02-11", "2027-02-13").status_code == 404
    client.force_login(cast.member)
    assert client.get(f"/campaigns/{campaign.pk}/timeline/tasks/{chain['brief'].pk}/move/").status_code == 405
    other = services.task_save(campaign=campaign, actor=cast.lead, title="x", start_date=day(1), due_date=day(1))
    Task.objects.filter(pk=other.pk).delete()
    assert move(client, cast.member, campaign, other, "2027-02-11", "2027-02-13").status_code == 404


def test_the_timeline_query_count_stays_the_same_as_the_plan_grows(client, cast, campaign, chain):
    def count() -> int:
        client.force_login(cast.viewer)
        client.get(f"/campaigns/{campaign.pk}/timeline/")  # the stored health is worked out once after a change
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/campaigns/{campaign.pk}/timeline/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    previous = chain["launch"]
    for n in range(30):
        phase = PhaseFactory(campaign=campaign, actor=cast.lead, order=n + 2, start_date=day(1), end_date=day(30))
        services.milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name=f"m{n}", due_date=day(20))
        task = services.task_save(campaign=campaign, actor=cast.lead, title=f"t{n}", phase=phase, start_date=day(2),
                                  due_date=day(4))  # fmt: skip
        TaskDependency.objects.create(predecessor=previous, successor=task)
        previous = task
    assert count() == small
