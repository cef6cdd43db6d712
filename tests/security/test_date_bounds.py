"""Hole 5 "A date typo breaks a campaign": a task ending 9999-12-31 made the overview, plan, timeline,
summary and ``schedule/`` answer 500; ``review-series`` and ``copy/`` with such a date also 500.
SPEC 10.1 bounds: every date accepted anywhere lies in 2000-01-01..2100-12-31, else 400 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import Task

pytestmark = pytest.mark.django_db

FAR = "9999-12-31"


def test_task_ending_9999_through_api_is_400_naming_the_field(api, cast, own_campaign):
    response = api(cast.member).post(
        "/api/v1/tasks/",
        {"campaign": own_campaign.pk, "title": "Typo", "start_date": "2027-02-10", "due_date": FAR},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "due_date" in response.json()
    assert not Task.objects.filter(title="Typo").exists()


def test_task_patched_to_9999_through_api_is_400(api, cast, own_campaign):
    task = Task.objects.create(
        campaign=own_campaign, title="Real", start_date=dt.date(2027, 2, 10), due_date=dt.date(2027, 2, 12)
    )
    response = api(cast.member).patch(f"/api/v1/tasks/{task.pk}/", {"due_date": FAR}, format="json")
    assert response.status_code == 400, response.content
    assert "due_date" in response.json()
    task.refresh_from_db()
    assert task.due_date == dt.date(2027, 2, 12)


def test_task_before_2000_through_api_is_400(api, cast, own_campaign):
    response = api(cast.member).post(
        "/api/v1/tasks/",
        {"campaign": own_campaign.pk, "title": "Old", "start_date": "1999-12-31", "due_date": "2027-02-12"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()


def test_task_ending_9999_through_the_form_is_400_naming_the_field(browser_client, cast, own_campaign):
    client = browser_client(cast.member)
    response = client.post(
        reverse("campaigns:task_create", args=[own_campaign.pk]),
        {"title": "Typo", "start_date": "2027-02-10", "due_date": FAR, "status": "todo", "progress": 0},
    )
    assert response.status_code == 400
    assert "due_date" in response.context["create_form"].errors
    assert not Task.objects.filter(title="Typo").exists()


def test_a_row_already_in_the_db_with_9999_does_not_break_any_page(api, browser_client, cast, own_campaign):
    first = Task.objects.create(
        campaign=own_campaign, title="Start", start_date=dt.date(2027, 2, 10), due_date=dt.date(2027, 2, 12)
    )
    wild = Task.objects.create(
        campaign=own_campaign, title="Wild", start_date=dt.date(2027, 2, 13), due_date=dt.date(9999, 12, 31)
    )
    tail = Task.objects.create(
        campaign=own_campaign, title="After", start_date=dt.date(2027, 3, 1), due_date=dt.date(2027, 3, 2)
    )
    wild.depends_on.add(first)
    tail.depends_on.add(wild)
    client = browser_client(cast.member)
    for name in ("detail", "plan", "gantt", "summary", "tasks"):
        response = client.get(reverse(f"campaigns:{name}", args=[own_campaign.pk]))
        assert response.status_code == 200, name
    response = api(cast.member).get(f"/api/v1/campaigns/{own_campaign.pk}/schedule/")
    assert response.status_code == 200, response.content


def test_review_series_starting_9999_is_400(api, cast, own_campaign):
    response = api(cast.lead).post(
        "/api/v1/review-series/",
        {
            "campaign": own_campaign.pk,
            "name": "Weekly",
            "starts_on": FAR,
            "weekday": 1,
            "time": "10:00",
            "weeks": 4,
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "starts_on" in response.json()


@pytest.mark.parametrize("start", [FAR, "2100-12-30"])
def test_copy_with_a_far_start_is_400(api, cast, own_campaign, start):
    # 2100-12-30 itself is in bounds, but the copy's end date (and its plan) would be shifted past 2100.
    response = api(cast.lead).post(
        f"/api/v1/campaigns/{own_campaign.pk}/copy/",
        {"code": "WD-9999", "name": "Far away", "start_date": start},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()


FORM_MODULES = [
    "campaigns.forms.campaign",
    "campaigns.forms.work",
    "dashboards.forms",
    "reviews.forms",
    "risks.forms",
    "budgets.forms",
    "members.forms",
]
SERIALIZER_MODULES = [
    "campaigns.api.serializers",
    "reviews.api.serializers",
    "risks.api.serializers",
    "budgets.api.serializers",
    "members.api.serializers",
]


# Shapes only ever written by the server (responses), never parsed from a request.
RESPONSE_ONLY = {
    "ScheduleSerializer",
    "ScheduleTaskSerializer",
    "DiffRowSerializer",
    "MatrixCellSerializer",
    "UploaderSerializer",
}


def _classes(module_names, base):
    import importlib
    import inspect

    for name in module_names:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__ == name:
                yield cls


def test_every_form_date_field_is_bounded():
    """Siblings: every date field of every form (filters included) refuses 9999-12-31 and 1999-12-31."""
    from django import forms
    from django.core.exceptions import ValidationError

    checked = []
    for form_class in _classes(FORM_MODULES, forms.BaseForm):
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                for value in (FAR, "1999-12-31"):
                    with pytest.raises(ValidationError):
                        field.clean(value)
                checked.append(f"{form_class.__name__}.{name}")
    assert len(checked) >= 15, checked


def test_every_serializer_date_field_is_bounded():
    from rest_framework import serializers

    checked = []
    for serializer_class in _classes(SERIALIZER_MODULES, serializers.Serializer):
        if serializer_class.__name__ in RESPONSE_ONLY:
            continue
        try:
            fields = serializer_class().fields
        except Exception:  # noqa: BLE001 - a serializer that needs context; its fields come from the model
            continue
        for name, field in fields.items():
            if isinstance(field, serializers.DateField | serializers.DateTimeField) and not field.read_only:
                for value in (FAR, "1999-12-31"):
                    with pytest.raises(serializers.ValidationError, match="between"):
                        field.run_validation(value)
                        pytest.fail(f"{serializer_class.__name__}.{name} accepted {value}")
                checked.append(f"{serializer_class.__name__}.{name}")
    assert len(checked) >= 8, checked


def test_wild_rows_do_not_break_the_pages_around_the_campaign(api, browser_client, cast, own_campaign):
    """Siblings of the overflow: every page that reads a campaign's dates (portfolio, home, risks exposure,
    reviews) copes with rows stored before the bounds existed, at both ends of the calendar."""
    from reviews.models import ReviewSeries
    from reviews.schedule import nominal_dates

    wild = Task.objects.create(
        campaign=own_campaign, title="Wild", start_date=dt.date(2027, 2, 13), due_date=dt.date(9999, 12, 31)
    )
    after = Task.objects.create(
        campaign=own_campaign, title="After", start_date=dt.date(2027, 3, 1), due_date=dt.date(2027, 3, 9)
    )
    after.depends_on.add(wild)
    Task.objects.create(campaign=own_campaign, title="Ancient", start_date=dt.date(1, 1, 1), due_date=dt.date(1, 1, 2))
    series = ReviewSeries.objects.create(
        campaign=own_campaign,
        title="Wild standup",
        weekday=6,
        time=dt.time(10),
        starts_on=dt.date(9999, 12, 31),
        chair=cast.lead,
    )
    assert nominal_dates(series, dt.date(2027, 2, 1), dt.date(2027, 3, 1)) == []
    client = browser_client(cast.lead)
    for url in (
        "/",
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[own_campaign.pk]),
        reverse("campaigns:gantt", args=[own_campaign.pk]),
        reverse("campaigns:summary", args=[own_campaign.pk]),
        reverse("risks:exposure", args=[own_campaign.pk]),
        reverse("risks:list"),
        reverse("reviews:list"),
    ):
        assert client.get(url).status_code == 200, url
    assert browser_client(cast.executive).get(reverse("campaigns:portfolio")).status_code == 200
    for url in (f"/api/v1/campaigns/{own_campaign.pk}/schedule/", "/api/v1/review-series/", "/api/v1/campaigns/"):
        assert api(cast.lead).get(url).status_code == 200, url
