"""Hole: a JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE got Django's HTML 400 page from the API. It must be a
JSON 400 like every other API error (SPEC 9), and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def _oversized_campaign(cast) -> bytes:
    body = {
        "team": cast.team.pk,
        "code": "HUGE-1",
        "name": "Huge",
        "objective": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
        "start_date": "2027-01-01",
        "end_date": "2027-01-31",
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize("auth", ["session", "force"])
def test_an_oversized_json_body_gets_a_json_400(api, cast, auth):
    if auth == "force":
        client = api(cast.lead)
    else:
        client = Client()
        client.force_login(cast.lead)
    response = client.post("/api/v1/campaigns/", _oversized_campaign(cast), content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert "detail" in response.json()
    assert not Campaign.objects.filter(code="HUGE-1").exists()


def test_an_oversized_form_post_outside_the_api_still_gets_the_html_page(browser_client, cast):
    response = browser_client(cast.lead).post(
        "/campaigns/new/", {"objective": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
