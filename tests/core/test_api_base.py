"""SPEC 9's API base: token, 401, pagination shape and limits, error bodies, schema and docs offline."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.errors import ApplicationError, Conflict, NotAllowed
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_endpoint_exchanges_credentials_for_a_token_that_authenticates():
    UserFactory(username="tok")
    response = APIClient().post("/api/v1/auth/token/", {"username": "tok", "password": "pw-for-tests"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "tok"


def test_token_endpoint_bad_credentials_and_bad_shapes_are_400_not_500():
    UserFactory(username="tok")
    client = APIClient()
    wrong = client.post("/api/v1/auth/token/", {"username": "tok", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    missing = client.post("/api/v1/auth/token/", {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"username", "password"}
    garbage = client.generic("POST", "/api/v1/auth/token/", "{not json", content_type="application/json")
    assert garbage.status_code == 400
    assert "detail" in garbage.json()


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/teams/", "/api/v1/departments/", "/api/v1/notifications/"])
def test_unauthenticated_requests_get_401(path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_invalid_token_gets_401():
    assert APIClient(HTTP_AUTHORIZATION="Token deadbeef").get("/api/v1/me/").status_code == 401


def test_lists_are_paginated_with_page_size_capped_at_200(api):
    for i in range(205):
        DepartmentFactory(code=f"d{i:03}")
    client = api(UserFactory(username="p"))
    body = client.get("/api/v1/departments/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 50
    assert body["count"] == 206  # the factory user's own department too
    assert len(client.get("/api/v1/departments/?page_size=500").json()["results"]) == 200
    assert len(client.get("/api/v1/departments/?page_size=abc").json()["results"]) == 50
    assert client.get("/api/v1/departments/?page=2&page_size=200").json()["previous"] is not None
    assert client.get("/api/v1/departments/?page=999").status_code == 404


def test_me_reports_roles_teams_and_accepts_profile_changes(api, cast):
    body = api(cast.lead).get("/api/v1/me/").json()
    assert body["username"] == "t-lead"
    assert body["roles"] == []
    assert body["teams"] == [{"id": cast.team.pk, "name": cast.team.name, "role": "lead"}]
    assert api(cast.admin).get("/api/v1/me/").json()["roles"] == ["admin"]
    assert api(cast.finance).get("/api/v1/me/").json()["roles"] == ["finance_approver"]
    patched = api(cast.lead).patch("/api/v1/me/", {"language": "zh-hans"}, format="json")
    assert patched.status_code == 200
    cast.lead.refresh_from_db()
    assert cast.lead.language == "zh-hans"


def test_me_rejects_bad_values_field_by_field(api, cast):
    response = api(cast.lead).patch("/api/v1/me/", {"language": "klingon", "time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"language", "time_zone"}
    cast.lead.refresh_from_db()
    assert cast.lead.language == "en"


def test_me_username_is_read_only(api, cast):
    api(cast.lead).patch("/api/v1/me/", {"username": "root"}, format="json")
    cast.lead.refresh_from_db()
    assert cast.lead.username == "t-lead"


def test_application_errors_map_to_spec_bodies():
    from core.api.exceptions import exception_handler

    assert exception_handler(Conflict("locked"), {}).status_code == 409
    assert exception_handler(NotAllowed(), {}).status_code == 403
    response = exception_handler(ApplicationError(errors={"total": "Over the cap"}), {})
    assert (response.status_code, response.data) == (400, {"total": ["Over the cap"]})
    assert exception_handler(Conflict("locked"), {}).data == {"detail": "locked"}


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/me/",
        "/api/v1/teams/{team_pk}/members/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/auth/token/",
    ):
        assert path in text


def test_api_docs_page_uses_only_local_assets(client, cast):
    client.force_login(cast.lead)
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/schema/").status_code == 200


def test_token_clients_get_error_messages_in_their_profile_language():
    UserFactory(username="zh-token", language="zh-hans")
    token = APIClient().post("/api/v1/auth/token/", {"username": "zh-token", "password": "pw-for-tests"}, format="json")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    response = client.post("/api/v1/campaigns/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == ["该字段是必填项。"]
    assert response["Content-Language"] == "zh-hans"
    english = UserFactory(username="en-token", language="en")
    client = APIClient()
    client.force_authenticate(english)
    assert client.post("/api/v1/campaigns/", {}, format="json").json()["code"] == ["This field is required."]


def test_a_page_that_is_no_page_number_is_a_400_naming_page(api):
    """Found by tests/test_hostile_input.py: ``?page=-1`` / ``abc`` / ``1 OR 1=1`` were DRF's 404."""
    client = api(UserFactory(username="p"))
    for junk in ("-1", "0", "abc", "1 OR 1=1", "1.5", "99999999999999999999999999", "２"):
        response = client.get("/api/v1/departments/", {"page": junk})
        assert response.status_code == 400, junk
        assert list(response.json()) == ["page"]
    assert client.get("/api/v1/departments/", {"page": "1"}).status_code == 200
    assert client.get("/api/v1/departments/", {"page": "last"}).status_code == 200


def test_an_id_beyond_a_bigint_is_not_found_rather_than_a_database_error(api, cast):
    """parse_pk refuses ids past a bigint itself (Django's own range check covers plain pk lookups only)."""
    huge = "9" * 30
    client = api(cast.lead)
    assert client.get(f"/api/v1/teams/{huge}/members/").status_code == 404
    assert client.get(f"/api/v1/members/imports/{huge}/errors.csv").status_code == 404
