"""Shared fixtures: the people of every access test, API clients, and the real-services switches.

``REQUIRE_SERVICES=1`` (set by .ci/run) turns every "service missing, skip"
into a failure, so CI cannot go green by skipping what it was meant to prove.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.roles import OrgRole, TeamRole
from tests.factories import CampaignFactory, MembershipFactory, TeamFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(available: bool, what: str) -> None:
    """Skip when a service is missing — or fail, under REQUIRE_SERVICES=1."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


def redis_url() -> str:
    return settings.REDIS_URL or "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    parsed = urlparse(redis_url())
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def using_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES:
        problems = []
        if not using_postgres():
            problems.append("DATABASE_URL must point at PostgreSQL")
        if not settings.REDIS_URL or not redis_available():
            problems.append(f"Redis must answer at REDIS_URL ({settings.REDIS_URL!r})")
        if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
            problems.append("Chromium must be installed at /usr/bin/chromium")
        if problems:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but: " + "; ".join(problems))


@dataclass
class Cast:
    """One team with a person of each standing towards it, plus org-wide roles and an outsider."""

    team: object
    lead: object
    deputy: object
    member: object
    viewer: object
    outsider: object
    executive: object
    admin: object
    finance: object


@pytest.fixture
def cast(db) -> Cast:
    team = TeamFactory(name="女神節專項工作組", code="wd-task-force")
    people = {}
    for role in (TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER, TeamRole.VIEWER):
        people[role] = MembershipFactory(team=team, role=role, user=UserFactory(username=f"t-{role}")).user
    other = TeamFactory(name="渠道拓展組", code="channel-expansion")
    outsider = MembershipFactory(team=other, role=TeamRole.LEAD, user=UserFactory(username="t-outsider")).user
    executive = UserFactory(username="t-exec", roles=[OrgRole.EXECUTIVE])
    admin = UserFactory(username="t-admin", is_superuser=True, is_staff=True)
    finance = UserFactory(username="t-finance", roles=[OrgRole.FINANCE_APPROVER])
    return Cast(
        team=team,
        lead=people[TeamRole.LEAD],
        deputy=people[TeamRole.DEPUTY],
        member=people[TeamRole.MEMBER],
        viewer=people[TeamRole.VIEWER],
        outsider=outsider,
        executive=executive,
        admin=admin,
        finance=finance,
    )


@pytest.fixture
def api():
    """An API client factory: ``api(user)`` is authenticated as ``user``, ``api()`` is anonymous."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def browser_client(client):
    """Django's test client, logged in as someone: ``browser_client(user)``."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture
def redis_service():
    need_service(redis_available(), f"Redis at {redis_url()}")
    return redis_url()


@pytest.fixture
def unique_queue() -> str:
    return f"concord-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def _close_redis_breakers():
    """A test that broke Redis on purpose must not leave the next one skipping the cache or the broker."""
    from core.resilience import broker_breaker, cache_breaker

    cache_breaker.reset()
    broker_breaker.reset()
    yield


@pytest.fixture
def campaign(cast):
    """WD-2027, the Women's Day campaign of the cast's task force (10 Feb – 15 Mar 2027), created by its lead
    through the service. Folders that need other dates or extra rows override it."""
    return CampaignFactory(
        actor=cast.lead,
        team=cast.team,
        code="WD-2027",
        name="Women's Day 2027",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Chinese leaves Chinese active in the thread (Django's LocaleMiddleware activates per request and
    does not deactivate), so a later test reading a lazy message outside a request would read it in Chinese: each
    test starts in the default language."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
