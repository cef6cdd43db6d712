"""``field__any`` (core/lookups.py) finds exactly what ``field__in`` finds, with any number of values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def members():
    return Member.objects.bulk_create(Member(external_id=f"L{i:04d}", name=f"n{i}") for i in range(30))


@pytest.mark.parametrize(
    "ids",
    [[], ["L0003"], ["L0001", "L0002", "nobody"], [f"L{i:04d}" for i in range(0, 30, 3)], ["'); DROP TABLE x; --"]],
)
def test_any_finds_what_in_finds(members, ids):
    found = set(Member.objects.filter(external_id__any=ids).values_list("external_id", flat=True))
    assert found == set(Member.objects.filter(external_id__in=ids).values_list("external_id", flat=True))


def test_any_works_on_numbers_and_in_exclusions(members):
    pks = [members[0].pk, members[5].pk]
    assert set(Member.objects.filter(pk__any=pks).values_list("pk", flat=True)) == set(pks)
    assert Member.objects.exclude(pk__any=pks).count() == 28


def test_thousands_of_values_are_one_parameter_on_postgresql(members):
    ids = [f"X{i}" for i in range(5000)] + ["L0007"]
    with CaptureQueriesContext(connection) as queries:
        assert list(Member.objects.filter(external_id__any=ids).values_list("external_id", flat=True)) == ["L0007"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries.captured_queries[0]["sql"]
