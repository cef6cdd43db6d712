"""The task list's table and the timeline as shared parts (issue 20, core.pagecache.shared_parts): every reader gets
the page they would get without them — writers their inline forms with their own CSRF token and draggable bars,
read-only readers neither, "only mine" their own tasks — and a change to a task is on the next look of anyone."""

from __future__ import annotations

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from campaigns.models import Task
from core.metrics import PAGE_CACHE
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([^"]+)')
QUERIES = ["", "?view=list&mine=1", "?view=list&late=1", "?view=list&status=todo", "?view=board"]


def look(user, path, **headers):
    client = Client()
    client.force_login(user)
    return client, client.get(path, **headers)


def shared_hits() -> float:
    return PAGE_CACHE.labels(result="shared_hit")._value.get()


@pytest.fixture
def tasks(cast, campaign):
    mine = TaskFactory(campaign=campaign, title="Print the posters", owner=cast.member)
    theirs = TaskFactory(campaign=campaign, title="Book the venue", owner=cast.deputy)
    return mine, theirs


def test_every_reader_gets_the_list_they_would_get_without_the_shared_part(cast, campaign, tasks, settings):
    base = f"/campaigns/{campaign.pk}/tasks/"
    readers = ["lead", "deputy", "member", "viewer", "executive", "admin", "outsider"]
    settings.PAGE_CACHE = False
    fresh = {}
    for who in readers:
        for query in QUERIES:
            _client, response = look(getattr(cast, who), base + query)
            fresh[who, query] = (response.status_code, CSRF_FIELD.sub(r"\1T", response.content.decode()))
    assert fresh["outsider", ""][0] == 404
    assert 'id="task-' in fresh["lead", ""][1] and "-form" in fresh["lead", ""][1]  # writers: inline forms
    assert 'form id="task-' not in fresh["viewer", ""][1]
    assert "Print the posters" in fresh["member", "?view=list&mine=1"][1]
    assert "Book the venue" not in fresh["member", "?view=list&mine=1"][1]
    settings.PAGE_CACHE = True
    hits = shared_hits()
    for who in readers:
        for query in QUERIES:
            _client, response = look(getattr(cast, who), base + query)
            page = (response.status_code, CSRF_FIELD.sub(r"\1T", response.content.decode()))
            assert page == fresh[who, query], (who, query)
    assert shared_hits() - hits >= 3  # the deputy after the lead, the executive after the viewer, …


def test_each_writer_posts_with_their_own_token_and_a_change_is_seen_by_the_next_reader(
    cast, campaign, tasks, settings
):
    settings.PAGE_CACHE = True
    base = f"/campaigns/{campaign.pk}/tasks/"
    look(cast.lead, base)
    hits = shared_hits()
    client, response = look(cast.deputy, base)
    assert shared_hits() == hits + 1
    token = CSRF_FIELD.search(response.content.decode().split('id="task-results"', 1)[1]).group(2)
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    Task.objects.filter(pk=tasks[0].pk).update(title="Print the banners")
    _client, response = look(cast.viewer, base)
    assert "Print the banners" in response.content.decode()
    _client, response = look(cast.lead, base + "?view=list", HTTP_HX_REQUEST="true")  # the htmx partial too
    assert response.content.decode().lstrip().startswith('<div id="task-results">')
    assert "Print the banners" in response.content.decode()


def test_every_reader_gets_the_timeline_they_would_get_without_the_shared_part(cast, campaign, tasks, settings):
    path = f"/campaigns/{campaign.pk}/timeline/"
    readers = ["lead", "deputy", "member", "viewer", "executive", "admin", "outsider"]
    settings.PAGE_CACHE = False
    fresh = {}
    for who in readers:
        _client, response = look(getattr(cast, who), path)
        fresh[who] = (response.status_code, CSRF_FIELD.sub(r"\1T", response.content.decode()))
    assert fresh["outsider"][0] == 404
    assert '"can_edit": true' in fresh["member"][1] and '"can_edit": false' in fresh["viewer"][1]
    settings.PAGE_CACHE = True
    hits = shared_hits()
    for who in readers:
        _client, response = look(getattr(cast, who), path)
        assert (response.status_code, CSRF_FIELD.sub(r"\1T", response.content.decode())) == fresh[who], who
    assert shared_hits() - hits >= 3
    Task.objects.filter(pk=tasks[1].pk).update(title="Book the hall")
    assert "Book the hall" in look(cast.viewer, path)[1].content.decode()
