"""My tasks across campaigns (issue 16): late first, filters, saved filters per user, one tap to finish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dashboards.models import SavedTaskFilter
from tests.factories import CampaignFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(cast):
    wd = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027")
    six = CampaignFactory(actor=cast.lead, team=cast.team, code="618-2027")
    make = lambda c, title, due, **kw: TaskFactory(campaign=c, actor=cast.lead, title=title, owner=cast.member,  # noqa: E731
                                                   start_date=due - dt.timedelta(days=3), due_date=due, **kw)  # fmt: skip
    return {
        "late": make(wd, "FAQ 知識庫", dt.date(2026, 11, 30)),
        "next": make(six, "618 預熱海報", dt.date(2027, 2, 1)),
        "done": make(wd, "已完成的任務", dt.date(2027, 1, 5), status="done"),
        "theirs": TaskFactory(campaign=wd, actor=cast.lead, title="Deputy's task", owner=cast.deputy),
    }


def page(client, **params) -> str:
    response = client.get(reverse("my_tasks"), params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_my_unfinished_tasks_in_every_campaign_late_first(client, cast, tasks):
    client.force_login(cast.member)
    html = page(client)
    assert html.index("FAQ 知識庫") < html.index("618 預熱海報")
    assert "已完成的任務" not in html and "Deputy&#x27;s task" not in html and "Deputy's task" not in html
    assert "task-late" in html and 'value="done"' in html
    assert "已完成的任務" in page(client, status="done")
    only = page(client, campaign=tasks["next"].campaign_id)
    assert "618 預熱海報" in only and "FAQ 知識庫" not in only
    assert "FAQ 知識庫" in page(client, due_before="2026-12-31") and "618 預熱海報" not in page(
        client, due_before="2026-12-31"
    )
    bad = client.get(reverse("my_tasks"), {"status": "finished", "due_before": "soon", "campaign": "x"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()


def test_one_tap_done_comes_back_to_the_same_filtered_page(client, cast, tasks):
    client.force_login(cast.member)
    here = reverse("my_tasks") + f"?campaign={tasks['late'].campaign_id}"
    update = reverse("campaigns:task_update", args=[tasks["late"].campaign_id, tasks["late"].pk])
    response = client.post(update, {"status": "done", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    tasks["late"].refresh_from_db()
    assert tasks["late"].status == "done"


def test_saved_filters_are_per_user_named_once_and_deletable(client, cast, tasks):
    client.force_login(cast.member)
    save = reverse("my_tasks_filter_save")
    query = f"campaign={tasks['next'].campaign_id}&status=todo"
    assert client.post(save, {"name": "618 待辦", "query": query}).status_code == 302
    html = page(client)
    assert "618 待辦" in html and "?" + query.replace("&", "&amp;") in html
    client.post(save, {"name": "618 待辦", "query": "status=all"})
    assert SavedTaskFilter.objects.filter(user=cast.member).count() == 1  # the same name is refused
    client.post(save, {"name": "", "query": "status=all"})
    assert SavedTaskFilter.objects.filter(user=cast.member).count() == 1
    saved = SavedTaskFilter.objects.get(user=cast.member)
    client.force_login(cast.deputy)
    assert "618 待辦" not in page(client)
    assert client.post(reverse("my_tasks_filter_delete", args=[saved.pk])).status_code == 404
    client.force_login(cast.member)
    assert client.post(reverse("my_tasks_filter_delete", args=[saved.pk])).status_code == 302
    assert not SavedTaskFilter.objects.exists()


def test_the_query_count_does_not_grow_with_my_tasks(client, cast, tasks, django_assert_max_num_queries):
    client.force_login(cast.member)
    for n in range(30):
        TaskFactory(campaign=tasks["late"].campaign, actor=cast.lead, title=f"more {n}", owner=cast.member)
    with django_assert_max_num_queries(12):
        page(client)
