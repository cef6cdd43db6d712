"""List endpoints run a constant number of queries: ten times the rows, the same bound (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.health import fresh_health, health_invalidate
from campaigns.models import Campaign
from tests.campaigns.test_api_support import (
    make_campaign,
    make_channel,
    make_kpi,
    make_milestone,
    make_phase,
    make_reading,
    make_task,
)

pytestmark = pytest.mark.django_db

# The requester's roles and teams (2, once per request user), the page count and the page (2), then each list's
# own fixed extras: campaigns prefetch departments (1) and check that the stored health is current (1); phases
# load their campaigns, phases, milestones, tasks and dependencies for the health lights (5); tasks prefetch
# dependencies and watchers (2); KPIs prefetch readings (1).
BOUNDS = {
    "campaigns": 6,
    "phases": 9,
    "milestones": 4,
    "tasks": 6,
    "kpis": 5,
    "channels": 4,
}


def grow(cast, campaigns: int, first: int = 0) -> int:
    """``campaigns`` campaigns, each with phases, milestones, dependent tasks, KPIs with readings and channels."""
    for i in range(first, first + campaigns):
        campaign = make_campaign(cast, f"Q-{i}")
        campaign.departments.add(cast.lead.department, cast.member.department)
        prep, execution = make_phase(campaign, "準備期", 1, 10), make_phase(campaign, "執行期", 11, 20, order=2)
        make_milestone(prep, "物料終稿", 8)
        make_milestone(execution, "活動上線", 11, done=True)
        a = make_task(campaign, "A", 1, 3, phase=prep, owner=cast.member, department=cast.member.department)
        b = make_task(campaign, "B", 4, 8, phase=prep, after=[a])
        make_task(campaign, "C", 11, 20, phase=execution, after=[a, b])
        kpi = make_kpi(campaign)
        make_reading(kpi, prep.start_date, forecast="20")
        make_reading(kpi, prep.end_date, actual="19")
        make_kpi(campaign, "新增用戶", "1000000")
        make_channel(campaign)
        make_channel(campaign, "短信", "sms")
    fresh_health(Campaign.objects.all())  # as the quarter-hourly beat task leaves it; the cold path: below
    return campaigns


@pytest.mark.parametrize("campaigns", [2, 20])
@pytest.mark.parametrize("resource", list(BOUNDS))
def test_list_queries_stay_constant_as_rows_grow(api, cast, django_assert_max_num_queries, resource, campaigns):
    grow(cast, campaigns)
    client = api(cast.viewer)
    with django_assert_max_num_queries(BOUNDS[resource]):
        response = client.get(f"/api/v1/{resource}/?page_size=200")
    assert response.status_code == 200
    per_campaign = {"campaigns": 1, "phases": 2, "milestones": 2, "tasks": 3, "kpis": 2, "channels": 2}
    assert response.json()["count"] == campaigns * per_campaign[resource]


@pytest.mark.parametrize("campaigns", [2, 20])
def test_executive_campaign_list_is_constant_too(api, cast, django_assert_max_num_queries, campaigns):
    grow(cast, campaigns)
    with django_assert_max_num_queries(BOUNDS["campaigns"]):
        body = api(cast.executive).get("/api/v1/campaigns/?page_size=200").json()
    assert body["count"] == campaigns
    assert all(row["task_count"] == 3 and len(row["departments"]) == 2 for row in body["results"])


def test_a_campaign_list_that_first_works_out_stale_health_is_constant_too(api, cast):
    """Every campaign's stored health out of date (a plan change, a new day): the list works it out again for
    all of them in a fixed number of queries, then reads it as a column."""
    counts = []
    for n in (2, 20):
        grow(cast, n - Campaign.objects.count(), first=Campaign.objects.count())
        api(cast.viewer).get("/api/v1/campaigns/")  # the requester's roles are read once and kept
        health_invalidate(Campaign.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            body = api(cast.viewer).get("/api/v1/campaigns/?page_size=200").json()
        assert body["count"] == n and {row["health"] for row in body["results"]} <= {"green", "yellow", "red"}
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
