"""Activity (SPEC 10.3, issue 16): every write to the plan lands in the audit ledger with the changed fields,
and the campaign's activity page, the task's panel and the API read it — newest first, paginated, readers only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.discussion import comment_add
from campaigns.services import task_save
from core.services.audit import audit_verify
from tests.factories import CampaignFactory, RiskFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(cast):
    return CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027", name="2027 女神節")


def test_a_task_change_is_recorded_with_before_and_after_of_the_changed_fields_only(api, cast, campaign):
    task = TaskFactory(campaign=campaign, actor=cast.lead, title="FAQ 知識庫")
    task_save(campaign=campaign, actor=cast.member, task=task, status="in_progress", progress=40, title="FAQ 知識庫")
    data = api(cast.viewer).get(f"/api/v1/tasks/{task.pk}/activity/").json()["results"]
    assert [e["action"] for e in data] == ["task.updated", "task.created"]
    newest = data[0]
    assert newest["changes"] == {"status": ["todo", "in_progress"], "progress": [0, 40]}
    assert newest["actor"]["username"] == cast.member.username and newest["object_id"] == str(task.pk)
    assert set(newest) == {"actor", "action", "object_type", "object_id", "changes", "at"}
    assert data[1]["changes"]["title"] == [None, "FAQ 知識庫"]
    assert audit_verify().ok  # the new column is outside the hash chain, which still verifies


def test_the_campaign_activity_has_its_tasks_risks_and_comments_newest_first(api, cast, campaign):
    task = TaskFactory(campaign=campaign, actor=cast.lead, title="話術培訓")
    RiskFactory(campaign=campaign, actor=cast.lead, title="客服話務高峰")
    comment_add(task=task, author=cast.member, body="進度 50%")
    other = CampaignFactory(actor=cast.outsider, team=cast.outsider.memberships.get().team, code="618-2027")
    TaskFactory(campaign=other, actor=cast.outsider, title="outsider task")
    actions = [e["action"] for e in api(cast.lead).get(f"/api/v1/campaigns/{campaign.pk}/activity/").json()["results"]]
    assert actions[:3] == ["task.comment_added", "risk.created", "task.created"] and "campaign.created" in actions
    assert api(cast.outsider).get(f"/api/v1/campaigns/{campaign.pk}/activity/").status_code == 404
    assert api(cast.outsider).get(f"/api/v1/tasks/{task.pk}/activity/").status_code == 404


def test_the_activity_page_pages_and_keeps_its_query_count(client, cast, campaign):
    task = TaskFactory(campaign=campaign, actor=cast.lead, title="主視覺")
    client.force_login(cast.viewer)
    url = reverse("campaigns:activity", args=[campaign.pk])
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "主視覺" in page and 'aria-current="page"' in page
    for n in range(60):
        task_save(campaign=campaign, actor=cast.member, task=task, progress=n + 1)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    # Does not grow with the entries (the people and titles lookups run only when a page names some).
    assert len(many.captured_queries) <= len(few.captured_queries), [q["sql"][:90] for q in many.captured_queries]
    assert "Page 1 of 2" in page and "progress %" in page  # the field's label, not its name
    assert "Page 2 of 2" in client.get(url, {"page": 2}).content.decode()
    only_task = client.get(url, {"task": task.pk}).content.decode()
    assert "Activity on the task" in only_task
    assert client.get(url, {"task": 999999}).status_code == 404


def test_the_task_page_shows_its_latest_changes(client, cast, campaign):
    task = TaskFactory(campaign=campaign, actor=cast.lead, title="門店培訓", due_date=dt.date(2027, 2, 16))
    task_save(campaign=campaign, actor=cast.lead, task=task, due_date=dt.date(2027, 2, 18))
    client.force_login(cast.member)
    page = client.get(reverse("campaigns:task_detail", args=[campaign.pk, task.pk])).content.decode()
    assert 'id="activity"' in page and "due date" in page and "2027-02-18" in page
    task_save(campaign=campaign, actor=cast.lead, task=task, status="in_progress")
    page = client.get(reverse("campaigns:task_detail", args=[campaign.pk, task.pk])).content.decode()
    assert "<del>To do</del> → In progress" in page  # choices read as their labels
