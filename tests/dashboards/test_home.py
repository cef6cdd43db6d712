"""The "my work" home (SPEC 8): each person's tasks (late first), budgets awaiting their sign-off, alerts on risks
they own, next meetings and missing status updates, action items — each row linking to where to act, nothing
from teams they are not on, and a fixed number of queries however much data there is."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.models import Budget
from campaigns.models import Task
from reviews.models import ActionItem, Meeting, StatusUpdate
from risks.models import Risk
from tests.dashboards.data import grow
from tests.factories import message_for

pytestmark = pytest.mark.django_db


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, ident: str) -> str:
    match = re.search(rf'<section[^>]*id="{ident}".*?</section>', page, re.S)
    assert match, ident
    return match.group(0)


def test_member_sees_tasks_late_first_each_linking_to_the_task(client, cast):
    mine, theirs = grow(cast, 1)
    page = section(home(client, cast.member), "my-tasks")
    late = Task.objects.get(campaign=mine, title__startswith="Late")
    ahead = Task.objects.get(campaign=mine, title__startswith="Open")
    assert page.index(late.title) < page.index(ahead.title)
    assert reverse("campaigns:task_detail", args=[mine.pk, late.pk]) in page
    assert "3 days late" in page
    assert theirs.code not in page


def test_done_tasks_and_other_peoples_tasks_are_not_listed(client, cast):
    (mine, _theirs) = grow(cast, 1)
    Task.objects.filter(campaign=mine, title__startswith="Late").update(status="done")
    page = section(home(client, cast.member), "my-tasks")
    assert "Late task" not in page and "Open task" in page
    assert "No open tasks are assigned to you." in section(home(client, cast.lead), "my-tasks")


def test_unacknowledged_alerts_on_my_risks_link_to_the_alert_panel(client, cast):
    mine, theirs = grow(cast, 1)
    red = Risk.objects.get(campaign=mine, alert_level="red")
    page = section(home(client, cast.member), "my-alerts")
    assert f"{reverse('risks:detail', args=[red.pk])}#alert" in page
    assert page.index("red risk") < page.index("yellow risk") < page.index("blue risk")
    assert theirs.code not in page
    Risk.objects.filter(campaign=mine).update(acknowledged_at=timezone.now(), acknowledged_by=cast.member)
    page = section(home(client, cast.member), "my-alerts")
    assert "No alert waits for you." in page


def test_one_tap_marks_my_task_done_and_comes_back_home(client, cast):
    """Issue 18: a task's status changes from home in one tap (the task_update form, only the posted field)."""
    mine, _theirs = grow(cast, 1)
    late = Task.objects.get(campaign=mine, title__startswith="Late")
    page = section(home(client, cast.member), "my-tasks")
    update = reverse("campaigns:task_update", args=[mine.pk, late.pk])
    assert f'action="{update}"' in page and 'name="status" value="done"' in page
    response = client.post(update, {"status": "done", "next": reverse("home") + "#my-tasks"})
    assert response.status_code == 302 and response["Location"] == reverse("home") + "#my-tasks"
    late.refresh_from_db()
    assert late.status == "done"
    assert late.title not in section(home(client, cast.member), "my-tasks")


def test_a_read_only_owner_gets_no_status_buttons(client, cast):
    """A viewer who owns a task (assigned before their role changed) sees it but not buttons they would be
    refused."""
    mine, _theirs = grow(cast, 1)
    Task.objects.filter(campaign=mine).update(owner=cast.viewer)
    page = section(home(client, cast.viewer), "my-tasks")
    assert "Late task" in page and "quick-status" not in page


def test_one_tap_acknowledges_my_alert_and_comes_back_home(client, cast):
    mine, _theirs = grow(cast, 1)
    red = Risk.objects.get(campaign=mine, alert_level="red")
    acknowledge = reverse("risks:acknowledge", args=[red.pk])
    assert f'action="{acknowledge}"' in section(home(client, cast.member), "my-alerts")
    response = client.post(acknowledge, {"next": reverse("home") + "#my-alerts"})
    assert response.status_code == 302 and response["Location"] == reverse("home") + "#my-alerts"
    red.refresh_from_db()
    assert red.acknowledged_by == cast.member
    # An address on another site is never followed: the risk's own page instead.
    blue = Risk.objects.get(campaign=mine, alert_level="blue")
    response = client.post(reverse("risks:acknowledge", args=[blue.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("risks:detail", args=[blue.pk])


def test_approver_sees_budgets_awaiting_their_signoff_with_a_link_to_the_queue_entry(client, cast):
    mine, theirs = grow(cast, 1)
    page = section(home(client, cast.finance), "my-signoffs")
    for campaign in (mine, theirs):  # approvers read every budget in review (SPEC 2)
        budget = Budget.objects.get(campaign=campaign, status="in_review")
        assert f"{reverse('budgets:queue')}#queue-{budget.pk}" in page
    assert 'id="my-signoffs"' not in home(client, cast.member)


def test_meetings_ahead_missing_status_updates_and_action_items(client, cast):
    mine, theirs = grow(cast, 1)
    meeting = Meeting.objects.get(series__campaign=mine)
    page = home(client, cast.member)
    meetings = section(page, "my-meetings")
    assert f"{reverse('reviews:meeting', args=[meeting.pk])}#status" in meetings
    assert "Status updates to file" in meetings
    item = ActionItem.objects.get(meeting=meeting)
    actions = section(page, "my-actions")
    assert f"{reverse('reviews:meeting', args=[meeting.pk])}#actions" in actions and item.title in actions
    assert theirs.code not in meetings and theirs.code not in actions

    StatusUpdate.objects.create(meeting=meeting, user=cast.member, done="x")
    meetings = section(home(client, cast.member), "my-meetings")
    assert "Status updates to file" not in meetings and "status filed" in meetings


def test_an_action_item_turned_into_a_task_links_to_the_task(client, cast):
    mine, _theirs = grow(cast, 1)
    task = Task.objects.get(campaign=mine, title__startswith="Open")
    ActionItem.objects.filter(meeting__series__campaign=mine).update(task=task)
    actions = section(home(client, cast.member), "my-actions")
    assert reverse("campaigns:task_detail", args=[mine.pk, task.pk]) in actions


@pytest.mark.parametrize("who", ["lead", "deputy", "member", "viewer", "finance", "executive", "admin", "outsider"])
def test_nobody_sees_rows_of_teams_they_are_not_on(client, cast, who):
    mine, theirs = grow(cast, 1)
    page = home(client, getattr(cast, who))
    for ident in ("my-tasks", "my-alerts", "my-meetings", "my-actions"):
        body = section(page, ident)
        if who != "outsider":
            assert theirs.code not in body, (who, ident)
        else:
            assert mine.code not in body, (who, ident)


def test_the_outsider_sees_their_own_work_only(client, cast):
    _mine, theirs = grow(cast, 1)
    page = home(client, cast.outsider)
    assert theirs.code in section(page, "my-tasks") and theirs.code in section(page, "my-alerts")


def test_empty_home_says_what_to_do_next(client, cast):
    page = home(client, cast.viewer)
    assert "No open tasks are assigned to you." in page
    assert "No alert waits for you." in page
    assert "No meetings ahead for you." in page
    assert "No open action items." in page
    assert 'href="/campaigns/portfolio/"' not in page
    assert 'href="/campaigns/portfolio/"' in home(client, cast.executive)


def count_queries(client, user) -> tuple[int, int]:
    """Queries of a first request after the data changed (stored health worked out again, a fixed number of
    queries) and of the next one (health read as a column)."""
    client.force_login(user)
    counts = []
    with override_settings(PAGE_CACHE=False):  # the page's own queries both times, not a second look from the cache
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("home")).status_code == 200
            counts.append(len(ctx.captured_queries))
    return counts[0], counts[1]


@pytest.mark.parametrize("who", ["member", "finance", "outsider", "executive"])
def test_home_query_count_is_constant_as_data_grows_tenfold(client, cast, who):
    user = getattr(cast, who)
    grow(cast, 2)
    small = count_queries(client, user)
    grow(cast, 18)
    large = count_queries(client, user)
    assert large == small, (small, large)
    assert small[1] <= 16


def test_an_approver_sees_their_own_work_in_campaigns_they_read_through_their_role_only(client, cast):
    """Approvers read campaigns whose budgets await sign-off (SPEC 2): their own task, risk and action item
    there are listed; once nothing awaits sign-off (and they signed nothing) they are not."""
    mine, theirs = grow(cast, 1)
    Task.objects.filter(campaign=theirs, title__startswith="Open").update(owner=cast.finance)
    Risk.objects.filter(campaign=theirs, alert_level="red").update(owner=cast.finance)
    ActionItem.objects.filter(meeting__series__campaign=theirs).update(owner=cast.finance)
    page = home(client, cast.finance)
    for ident in ("my-tasks", "my-alerts", "my-actions"):
        assert theirs.code in section(page, ident), ident
    Budget.objects.filter(campaign=theirs, status="in_review").update(status="rejected")
    page = home(client, cast.finance)
    for ident in ("my-tasks", "my-alerts", "my-actions"):
        assert theirs.code not in section(page, ident), ident


def test_the_unread_badge_counts_every_unread_notification_while_the_panel_shows_five(client, cast):
    from core.models import NotificationVerb
    from core.services.notifications import notify

    notify(recipients=[cast.member], message=message_for(NotificationVerb.RISK_ALERT, "Older alert"), email=False)
    for i in range(6):
        notify(recipients=[cast.member], message=message_for(NotificationVerb.RISK_ALERT, f"Alert {i}"), email=False)
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "Not yours"), email=False)
    page = home(client, cast.member)
    assert 'data-count="7"' in page
    assert page.count("notification-unread") == 5 and "Older alert" not in page and "Not yours" not in page
    assert 'data-count="7"' in client.get(reverse("inbox")).content.decode()  # the layout's own count
    assert 'data-count="0"' in home(client, cast.viewer)
