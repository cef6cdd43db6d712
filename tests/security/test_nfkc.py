"""Hole: full-width look-alike campaign codes (``ＷＤ－２０２７`` beside ``WD-2027``) and phones in non-Latin
digits (Arabic-Indic ``١٣٨…``, full-width ``１３８…``) were accepted as they came. Now: NFKC first, then the
one rule each (core.validators), shared by forms, serializers, services and the member import."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from members.imports import import_run
from members.models import ImportRowError, Member
from tests.members.conftest import HEADER, create_job, upload

pytestmark = pytest.mark.django_db

LOOKALIKE = "ＷＤ－２０２７"  # full-width W, D, hyphen-minus and digits


def _create(api, user, team, code):
    return api(user).post(
        "/api/v1/campaigns/",
        {"team": team.pk, "code": code, "name": "Look-alike", "start_date": "2027-01-01", "end_date": "2027-01-31"},
        format="json",
    )


def test_a_full_width_lookalike_of_an_existing_code_is_refused_on_code(api, cast, own_campaign):
    assert own_campaign.code == "WD-2027"
    response = _create(api, cast.lead, cast.team, LOOKALIKE)
    assert response.status_code == 400, response.content[:300]
    assert "code" in response.json()
    assert Campaign.objects.count() == 1


def test_a_full_width_code_is_stored_in_its_ascii_form(api, cast):
    response = _create(api, cast.lead, cast.team, "ＳＰ－２０２８")
    assert response.status_code == 201, response.content[:300]
    assert response.json()["code"] == "SP-2028"
    assert Campaign.objects.get().code == "SP-2028"


@pytest.mark.parametrize("code", ["WD 2027", "WD‐2027", "活動-1", "-WD", "WD\u200b2027"])
def test_codes_outside_the_rule_are_400(api, cast, code):
    response = _create(api, cast.lead, cast.team, code)
    assert response.status_code == 400, (code, response.content[:300])
    assert "code" in response.json()


def test_the_form_normalises_and_refuses_the_lookalike_too(browser_client, cast, own_campaign):
    response = browser_client(cast.lead).post(
        reverse("campaigns:create"),
        {
            "team": cast.team.pk,
            "code": LOOKALIKE,
            "name": "Look-alike",
            "start_date": "2027-01-01",
            "end_date": "2027-01-31",
        },
    )
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert Campaign.objects.count() == 1


def test_copy_with_a_lookalike_code_is_400(api, cast, own_campaign):
    response = api(cast.lead).post(
        f"/api/v1/campaigns/{own_campaign.pk}/copy/",
        {"code": LOOKALIKE, "name": "Copy", "start_date": "2028-02-10"},
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert "code" in response.json()


def test_member_import_phones_full_width_normalised_other_scripts_refused(cast, own_campaign):
    text = HEADER + (
        "N1,王五,１３８１２３４５６７８,10,,是,,\n"  # full-width digits: NFKC makes them 13812345678
        "N2,趙六,١٣٨١٢٣٤٥٦٧٨,10,,是,,\n"  # Arabic-Indic digits: not a phone number here
        "N3,錢七,۱۳۸۱۲۳۴۵۶۷۸,10,,是,,\n"  # Extended Arabic-Indic digits
        "N4,孫八,१३८१२३४५६७८,10,,是,,\n"  # Devanagari digits
    )
    job = import_run(create_job(actor=cast.lead, upload=upload(text)).pk)
    assert job.status == "done"
    assert Member.objects.get(external_id="N1").phone == "13812345678"
    assert not Member.objects.filter(external_id__in=["N2", "N3", "N4"]).exists()
    assert ImportRowError.objects.filter(job=job).count() == 3
