"""Hole: two creates of one campaign code at the same moment → the loser got a 500 (IntegrityError from the
unique index, after both passed the "code free?" check). It must be a 400 on ``code``; the same for the other
unique names created through the API (playbook codes; KPI and channel names already were)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from campaigns.models import Campaign, Playbook
from tests.conftest import need_service, using_postgres

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BODY = {"code": "RACE-1", "name": "Race", "start_date": "2027-01-01", "end_date": "2027-01-31"}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a crash of the test
    return client


def _wait_until_blocked(timeout: float = 10) -> None:
    """Until some other connection waits on a lock (the racing INSERT behind the uncommitted one)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the second create never blocked on the first one's row")


def _race(first, second_request):
    """``first`` inserts inside a transaction held open; meanwhile ``second_request`` passes every check and
    blocks on the unique index; then ``first`` commits. Returns the second request's response."""
    held, release, results, errors = threading.Event(), threading.Event(), [], []

    def hold():
        try:
            with transaction.atomic():
                first()
                held.set()
                release.wait(30)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            held.set()
        finally:
            connection.close()

    def race():
        try:
            held.wait(30)
            results.append(second_request())
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=race)]
    for thread in threads:
        thread.start()
    held.wait(30)
    _wait_until_blocked()
    release.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results[0]


def test_concurrent_creates_of_one_campaign_code_answer_201_and_400(cast):
    need_service(using_postgres(), "PostgreSQL")
    barrier, responses = threading.Barrier(2), []

    def create():
        try:
            barrier.wait()
            responses.append(
                _client(cast.lead).post("/api/v1/campaigns/", {**BODY, "team": cast.team.pk}, format="json")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status_code for r in responses) == [201, 400], [r.content[:200] for r in responses]
    assert "code" in next(r for r in responses if r.status_code == 400).json()
    assert Campaign.objects.filter(code="RACE-1").count() == 1


def test_the_loser_of_a_campaign_code_race_gets_400_on_code(cast):
    """The same race made certain: the first create is still uncommitted when the second one inserts."""
    need_service(using_postgres(), "PostgreSQL")
    response = _race(
        lambda: Campaign.objects.create(
            code="RACE-1",
            name="First",
            team=cast.team,
            lead=cast.lead,
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 1, 31),
        ),
        lambda: _client(cast.lead).post("/api/v1/campaigns/", {**BODY, "team": cast.team.pk}, format="json"),
    )
    assert response.status_code == 400, response.content[:300]
    assert "code" in response.json()
    assert Campaign.objects.filter(code="RACE-1").count() == 1


def test_the_loser_of_a_playbook_code_race_gets_400_on_code(cast, own_campaign):
    need_service(using_postgres(), "PostgreSQL")
    response = _race(
        lambda: Playbook.objects.create(code="race-pb", name="First"),
        lambda: _client(cast.lead).post(
            f"/api/v1/campaigns/{own_campaign.pk}/save-as-playbook/",
            {"code": "race-pb", "name": "Second"},
            format="json",
        ),
    )
    assert response.status_code == 400, response.content[:300]
    assert "code" in response.json()
