from __future__ import annotations

import pytest

from config.celery import app
from tests.conftest import need_service, redis_available

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    need_service(redis_available(), "Redis")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"


def test_healthz_says_503_when_the_broker_is_unreachable(client):
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["status"] == "down"
    assert body["database"]["status"] == "ok"


def test_healthz_needs_no_login_and_only_get(client):
    assert client.post("/healthz").status_code == 405
