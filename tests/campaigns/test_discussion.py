"""A task's discussion (SPEC 10.3, issue 16): comments with @mentions and watchers, through the API and the task
page — with the owner (lead), a teammate (member), a viewer (403 on writes), an approver who reads nothing of it
and an outsider who must get 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.discussion import comment_add
from campaigns.models import TaskComment, TaskWatcher
from core.models import Notification
from tests.factories import CampaignFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(cast):
    campaign = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027", name="2027 女神節")
    return TaskFactory(campaign=campaign, actor=cast.lead, title="活動FAQ知識庫 Campaign FAQ", owner=cast.lead)


def comments_url(task) -> str:
    return f"/api/v1/tasks/{task.pk}/comments/"


def test_a_teammate_comments_and_the_owner_hears_of_it(api, cast, task):
    response = api(cast.member).post(comments_url(task), {"body": "FAQ 初稿 **done**"}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= {"id", "author", "body", "created_at", "edited_at"}
    assert data["author"] == cast.member.pk and data["body"] == "FAQ 初稿 **done**" and data["edited_at"] is None
    assert "<strong>done</strong>" in data["body_html"]
    owner_notes = Notification.objects.filter(recipient=cast.lead, verb="comment_added")
    assert owner_notes.count() == 1 and "commented on the task" in owner_notes.get().text
    assert not Notification.objects.filter(recipient=cast.member).exists()  # never the author
    # The author now watches, beside the owner; the task's API shows them.
    detail = api(cast.lead).get(f"/api/v1/tasks/{task.pk}/").json()
    assert detail["watchers"] == sorted([cast.lead.pk, cast.member.pk]) and detail["description"] == ""
    listed = api(cast.viewer).get(comments_url(task)).json()
    assert [c["body"] for c in listed["results"]] == ["FAQ 初稿 **done**"]


def test_a_mention_notifies_once_and_the_watchers_hear_the_rest(api, cast, task):
    TaskWatcher.objects.create(task=task, user=cast.viewer)
    response = api(cast.member).post(comments_url(task), {"body": "@t-deputy @T-Lead please look"}, format="json")
    assert response.status_code == 201, response.content
    verbs = dict(
        Notification.objects.filter(verb__in=["mentioned", "comment_added"]).values_list("recipient__username", "verb")
    )
    assert verbs == {"t-deputy": "mentioned", "t-lead": "mentioned", "t-viewer": "comment_added"}


def test_a_mention_of_someone_who_cannot_read_the_task_or_of_nobody_is_refused(api, cast, task):
    for body, name in (("hi @t-outsider", "@t-outsider"), ("hi @ghost", "@ghost")):
        response = api(cast.member).post(comments_url(task), {"body": body}, format="json")
        assert response.status_code == 400, response.content
        assert name in str(response.json()["body"])
    assert not TaskComment.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("who, status", [("viewer", 403), ("executive", 403), ("finance", 404), ("outsider", 404)])
def test_only_team_writers_comment_and_outsiders_do_not_see_the_thread(api, cast, task, who, status):
    user = getattr(cast, who)
    assert api(user).post(comments_url(task), {"body": "hello"}, format="json").status_code == status
    read = api(user).get(comments_url(task)).status_code
    assert read == (404 if status == 404 else 200)
    assert not TaskComment.objects.exists()


@pytest.mark.parametrize(
    "body, field_message",
    [
        ("", "blank"),
        ("   ", "blank"),
        ("x" * 20_001, "20000"),
        (["a list"], "valid string"),
    ],
)
def test_bad_bodies_are_refused_field_by_field(api, cast, task, body, field_message):
    response = api(cast.member).post(comments_url(task), {"body": body}, format="json")
    assert response.status_code == 400
    assert field_message in str(response.json()["body"]).replace(",", "")
    assert not TaskComment.objects.exists()


def test_script_iframes_and_javascript_links_are_shown_as_text_never_run(api, cast, task):
    body = (
        '<script>alert(1)</script> <iframe src="https://evil.example"></iframe> [x](javascript:alert(1)) '
        + "y" * 19_000
    )
    data = api(cast.member).post(comments_url(task), {"body": body}, format="json").json()
    html = data["body_html"]
    assert "<script" not in html and "<iframe" not in html and "javascript:" not in html.replace("(javascript:", "")
    assert 'href="javascript' not in html and "&lt;script&gt;" in html
    assert len(TaskComment.objects.get().body) == len(body)  # kept as written; only its rendering is cleaned


def test_the_author_edits_within_15_minutes_and_deletes_their_own(api, cast, task):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        created = api(cast.member).post(comments_url(task), {"body": "first"}, format="json").json()
    url = f"{comments_url(task)}{created['id']}/"
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        edited = api(cast.member).patch(url, {"body": "first, corrected @t-deputy"}, format="json")
        assert edited.status_code == 200 and edited.json()["edited_at"] is not None
        assert Notification.objects.filter(recipient=cast.deputy, verb="mentioned").count() == 1
        assert api(cast.lead).patch(url, {"body": "not mine"}, format="json").status_code == 403
        assert api(cast.lead).delete(url).status_code == 403
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        late = api(cast.member).patch(url, {"body": "too late"}, format="json")
        assert late.status_code == 403 and "15 minutes" in str(late.json())
    assert TaskComment.objects.get().body == "first, corrected @t-deputy"
    assert api(cast.outsider).delete(url).status_code == 404
    assert api(cast.member).delete(url).status_code == 204
    assert not TaskComment.objects.exists()


def test_the_task_page_shows_the_thread_and_takes_a_comment_without_javascript(client, cast, task):
    url = reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])
    client.force_login(cast.member)
    page = client.get(url).content.decode()
    assert "No comments yet." in page and 'id="mention-picker"' in page and "@t-deputy" in page
    add = reverse("campaigns:task_comment_add", args=[task.campaign_id, task.pk])
    response = client.post(add, {"body": "見 @t-deputy <script>x()</script>"})
    comment = TaskComment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{url}#comment-{comment.pk}"
    page = client.get(url).content.decode()
    assert '<span class="mention">@t-deputy</span>' in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    refused = client.post(add, {"body": "@nobody-here"})
    assert refused.status_code == 400 and "Nobody is called @nobody-here here." in refused.content.decode()
    # htmx swaps the discussion in place.
    swapped = client.post(add, {"body": "second"}, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200 and 'id="discussion"' in swapped.content.decode()
    assert "<html" not in swapped.content.decode()


def test_watch_and_unwatch_from_the_page_and_a_viewer_reads_without_a_form(client, cast, task):
    watch = reverse("campaigns:task_watch", args=[task.campaign_id, task.pk])
    client.force_login(cast.viewer)
    page = client.get(reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])).content.decode()
    assert "comment-form" not in page and "No comments yet." in page
    assert client.post(watch, {"watching": "1"}).status_code == 302
    assert TaskWatcher.objects.filter(task=task, user=cast.viewer).exists()
    client.post(watch, {"watching": "0"})
    assert not TaskWatcher.objects.filter(task=task, user=cast.viewer).exists()
    assert (
        client.post(reverse("campaigns:task_comment_add", args=[task.campaign_id, task.pk]), {"body": "x"}).status_code
        == 403
    )
    client.force_login(cast.outsider)
    assert client.post(watch, {"watching": "1"}).status_code == 404


def test_the_task_page_query_count_does_not_grow_with_the_thread(client, cast, task):
    url = reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])
    client.force_login(cast.member)
    comment_add(task=task, author=cast.lead, body="one")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(15):
        comment_add(task=task, author=cast.deputy if n % 2 else cast.lead, body=f"comment {n} @t-member")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    # Not more however long the thread (the activity panel looks up names only when its entries show some).
    assert len(many.captured_queries) <= len(few.captured_queries)
