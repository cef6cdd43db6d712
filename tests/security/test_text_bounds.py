"""SPEC 10.1 text bounds: titles and names ≤ 200 characters; descriptions, notes and comments ≤ 20,000.
The attack: a 2 MB objective and a 100,000-character risk description were accepted and stored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from risks.models import Risk
from tests.security.test_date_bounds import FORM_MODULES, RESPONSE_ONLY, SERIALIZER_MODULES, _classes

pytestmark = pytest.mark.django_db

NAME_FIELDS = {"name", "title", "code"}


def test_a_2mb_objective_through_the_api_is_400_naming_the_field(api, cast):
    response = api(cast.lead).post(
        "/api/v1/campaigns/",
        {
            "team": cast.team.pk,
            "code": "BIG-1",
            "name": "Big",
            "objective": "目" * (2 * 1024 * 1024 // 3),
            "start_date": "2027-01-01",
            "end_date": "2027-01-31",
        },
        format="json",
    )
    assert response.status_code == 400, response.status_code
    assert "objective" in response.json()
    assert not Campaign.objects.filter(code="BIG-1").exists()


def test_a_100k_risk_description_through_the_api_is_400(api, cast, own_campaign):
    response = api(cast.lead).post(
        "/api/v1/risks/",
        {
            "campaign": own_campaign.pk,
            "title": "Flood",
            "category": "market",
            "probability": 3,
            "impact": 3,
            "description": "x" * 100_000,
        },
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert "description" in response.json()
    assert not Risk.objects.filter(title="Flood").exists()


def test_a_20000_character_objective_is_still_fine(api, cast):
    response = api(cast.lead).post(
        "/api/v1/campaigns/",
        {
            "team": cast.team.pk,
            "code": "OK-1",
            "name": "N" * 200,
            "objective": "x" * 20_000,
            "start_date": "2027-01-01",
            "end_date": "2027-01-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:300]


def test_a_100k_objective_through_the_form_is_400(browser_client, cast):
    response = browser_client(cast.lead).post(
        reverse("campaigns:create"),
        {
            "team": cast.team.pk,
            "code": "BIG-2",
            "name": "Big",
            "objective": "x" * 100_000,
            "start_date": "2027-01-01",
            "end_date": "2027-01-31",
        },
    )
    assert response.status_code == 400
    assert "objective" in response.context["form"].errors
    assert not Campaign.objects.filter(code="BIG-2").exists()


def test_every_form_text_field_is_bounded():
    """Siblings: every free-text field of every form has a max_length, names and titles ≤ 200."""
    from django import forms

    unbounded = []
    for form_class in _classes(FORM_MODULES, forms.BaseForm):
        for name, field in form_class.base_fields.items():
            if type(field) in (forms.CharField, forms.SlugField) or isinstance(field, forms.CharField):
                limit = 200 if name in NAME_FIELDS else 20_000
                if field.max_length is None or field.max_length > limit:
                    unbounded.append(f"{form_class.__name__}.{name}={field.max_length}")
    assert not unbounded


def test_every_serializer_text_field_is_bounded():
    from rest_framework import serializers

    unbounded = []
    for serializer_class in _classes(SERIALIZER_MODULES, serializers.Serializer):
        if serializer_class.__name__ in RESPONSE_ONLY:
            continue
        try:
            fields = serializer_class().fields
        except Exception:  # noqa: BLE001, S112 - a serializer that needs context
            continue
        for name, field in fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                limit = 200 if name in NAME_FIELDS else 20_000
                if field.max_length is None or field.max_length > limit:
                    unbounded.append(f"{serializer_class.__name__}.{name}={field.max_length}")
    assert not unbounded
