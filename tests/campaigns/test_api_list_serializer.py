"""The campaign list's one-pass rows (CampaignListSerializer, issue #9) are exactly CampaignSerializer's per campaign."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIRequestFactory

from campaigns.api.serializers import CampaignListSerializer, CampaignSerializer
from campaigns.models import Campaign, CampaignStatus, Playbook
from campaigns.selectors import campaign_list
from tests.campaigns.test_api_support import make_campaign, make_task
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def varied(cast) -> None:
    """Campaigns that differ in every way a row can: departments (ids not in code order), playbook, copy, status,
    tasks, texts, lead."""
    late, early, middle = (DepartmentFactory(code=code) for code in ("zz-late", "aa-early", "mm-middle"))
    plain = make_campaign(cast, "L-PLAIN", name="", objective="")
    full = make_campaign(
        cast, "L-FULL", name="女神節 2027", objective="Reach 1,000,000 members.\nSecond line: «quoted» & <b>",
        lead=cast.deputy, playbook=Playbook.objects.get(code="festival"), status=CampaignStatus.ACTIVE,
        time_zone="Europe/Berlin", currency="EUR",
    )  # fmt: skip
    full.departments.add(late, early, middle)
    copy = make_campaign(cast, "L-COPY", copied_from=full, status=CampaignStatus.CLOSED, days=1)
    copy.departments.add(middle)
    for n in range(3):
        make_task(full, f"T{n}", 1, 3)
    make_task(copy, "T", 1, 1)
    make_campaign(cast, "L-CANCEL", status=CampaignStatus.CANCELLED, lead=cast.member)
    assert plain.pk and Campaign.objects.count() >= 4


def per_campaign(user, context) -> list[dict]:
    """The reference: DRF's own field-by-field serialisation, one campaign at a time, departments prefetched."""
    campaigns = campaign_list(user=user).prefetch_related("departments")
    return [CampaignSerializer(campaign, context=context).data for campaign in campaigns]


@pytest.mark.parametrize("language, zone", [("en", None), ("zh-hans", "America/New_York")])
def test_list_rows_are_the_per_campaign_rows(cast, language, zone):
    varied(cast)
    request = APIRequestFactory().get("/api/v1/campaigns/")
    request.user = cast.lead
    context = {"request": request}
    with translation.override(language), timezone.override(zone or timezone.get_default_timezone()):
        expected = per_campaign(cast.lead, context)
        listed = CampaignSerializer(campaign_list(user=cast.lead), many=True, context=context)
        assert isinstance(listed, CampaignListSerializer)
        rows = listed.data
        # The same with departments prefetched (the path that reads them from the prefetch cache).
        prefetched = CampaignSerializer(
            campaign_list(user=cast.lead).prefetch_related("departments"), many=True, context=context
        ).data
    assert len(rows) == len(expected) >= 4
    for row, reference in zip(rows, expected, strict=True):
        assert list(row) == list(reference)  # same keys, same order
        assert row == reference
        assert [type(value) for value in row.values()] == [type(value) for value in reference.values()]
    assert json.dumps(rows) == json.dumps(expected) == json.dumps(prefetched)
    full = next(row for row in rows if row["code"] == "L-FULL")
    assert full["task_count"] == 3 and len(full["departments"]) == 3 and full["playbook"] is not None


def test_api_list_answers_the_per_campaign_rows(api, cast):
    varied(cast)
    response = api(cast.lead).get("/api/v1/campaigns/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    request = APIRequestFactory().get("/api/v1/campaigns/")
    request.user = cast.lead
    expected = json.loads(json.dumps(per_campaign(cast.lead, {"request": request})))
    assert response.json()["results"] == expected
    assert response.json()["count"] == len(expected)
