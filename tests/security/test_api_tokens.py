"""Hole 6 (medium): API tokens lived forever (SPEC 10.1 "API tokens").

Reported: a token survived password change and logout, never expired, could not be revoked, and was stored in
plain text. Now ``POST auth/token/`` answers ``{"token", "expires_at"}``; tokens expire after
``API_TOKEN_TTL_HOURS`` (default 168), are stored hashed, and are revoked by ``DELETE auth/token/`` (204), by a
password change and by deactivating the user. An expired or revoked token gets 401.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9"


@pytest.fixture
def user(cast):
    cast.lead.set_password(PASSWORD)
    cast.lead.save()
    return cast.lead


def issue(user) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> int:
    return bearer(token).get("/api/v1/campaigns/").status_code


def test_a_token_expires_after_the_configured_hours(user, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    body = issue(user)
    expires = parse_datetime(body["expires_at"])
    assert abs((expires - timezone.now()) - dt.timedelta(hours=168)) < dt.timedelta(minutes=1)
    assert works(body["token"]) == 200
    time_machine.move_to(timezone.now() + dt.timedelta(hours=168, minutes=1), tick=False)
    assert works(body["token"]) == 401


def test_expired_tokens_are_refused_and_swept_without_a_query_per_request(user, time_machine):
    """Issue 20: a request reads only its own token (knox's check also read every other token of the user);
    the hourly sweep deletes the expired ones nobody presents again."""
    from knox.models import AuthToken

    from core.tasks import delete_expired_tokens

    time_machine.move_to(timezone.now(), tick=False)
    old = issue(user)["token"]
    time_machine.move_to(timezone.now() + dt.timedelta(hours=100), tick=False)
    fresh = issue(user)["token"]
    time_machine.move_to(timezone.now() + dt.timedelta(hours=69), tick=False)  # old expired, fresh not
    assert works(fresh) == 200
    assert AuthToken.objects.filter(user=user).count() == 2  # the presented token's check left the other alone
    with CaptureQueriesContext(connection) as ctx:
        assert works(fresh) == 200
    assert not [q for q in ctx.captured_queries if 'WHERE "knox_authtoken"."user_id" =' in q["sql"]]
    assert delete_expired_tokens() == 1
    assert AuthToken.objects.filter(user=user).count() == 1
    assert works(old) == 401 and works(fresh) == 200
    time_machine.move_to(timezone.now() + dt.timedelta(hours=100), tick=False)
    assert works(fresh) == 401  # refused, and deleted as it is refused
    assert AuthToken.objects.filter(user=user).count() == 0


def test_the_token_is_not_stored_in_plain_text(user):
    token = issue(user)["token"]
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if "token" in t]
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                assert token not in {str(value) for value in row}, f"the raw token is stored in {table}"


def test_delete_revokes_the_presented_token_only(user):
    first, second = issue(user)["token"], issue(user)["token"]
    response = bearer(first).delete("/api/v1/auth/token/")
    assert response.status_code == 204
    assert works(first) == 401
    assert works(second) == 200


def test_a_password_change_revokes_every_token_of_the_user(user, client):
    tokens = [issue(user)["token"], issue(user)["token"]]
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "another-long-phrase-7", "new_password2": "another-long-phrase-7"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-phrase-7")
    assert [works(t) for t in tokens] == [401, 401]


def test_set_password_anywhere_revokes_the_tokens(user):
    token = issue(user)["token"]
    user.set_password("changed-by-an-admin-1")
    user.save()
    assert works(token) == 401


def test_deactivating_the_user_revokes_the_tokens(user):
    token = issue(user)["token"]
    user.is_active = False
    user.save()
    assert works(token) == 401
    user.is_active = True
    user.save()
    assert works(token) == 401  # revoked, not merely suspended


def test_an_unknown_token_is_401_and_delete_without_a_token_is_401(user):
    assert works("0" * 64) == 401
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401


def test_the_profile_language_still_applies_to_token_clients(user):
    user.language = "zh-hans"
    user.save()
    token = issue(user)["token"]
    response = bearer(token).get("/api/v1/campaigns/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] != "Not found."
