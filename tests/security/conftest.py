"""Fixtures for the attack reproductions of issue 13 ("Trust"). Each test replays one reported attack and
asserts the safe outcome; each was run against the commit before its fix and failed there."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Channel
from campaigns.services import campaign_create
from tests.faults.conftest import private_redis  # noqa: F401  (the frozen-Redis test)


@pytest.fixture
def own_campaign(campaign):
    """The shared WD-2027 (tests/conftest.py) with an APP push channel."""
    Channel.objects.create(campaign=campaign, type="app_push", name="APP推送 App push")
    return campaign


@pytest.fixture
def other_campaign(cast):
    """A campaign of the other team (the outsider leads it): the victim of the cross-team attacks."""
    other_team = cast.outsider.memberships.get().team
    return campaign_create(
        actor=cast.outsider,
        team=other_team,
        code="CE-2027",
        name="Channel expansion",
        start_date=dt.date(2027, 4, 1),
        end_date=dt.date(2027, 5, 1),
    )


@pytest.fixture
def post_import(api, django_capture_on_commit_callbacks):
    """Upload through the API as ``user``; with CELERY_TASK_ALWAYS_EAGER the job runs on commit."""

    def post(user, payload):
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post("/api/v1/members/import/", payload, format="multipart")

    return post
