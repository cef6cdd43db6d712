"""The large set-wise jobs' database habits: the columns they rewrite by the tens of thousands — a risk's alert
level, a member's tier — are in no index, so that each row is rewritten in place; the rows they insert by the tens
of thousands keep no database foreign keys, each checked at commit."""

from __future__ import annotations

import pytest
from django.db import connection

from members.models import Member, PointsEntry, TierChange
from risks.models import AlertEvent, Risk


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), [(Risk, "alert_level"), (Member, "tier")])
def test_the_columns_the_daily_jobs_rewrite_are_in_no_index(model, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexed = {name: info["columns"] for name, info in constraints.items() if info["index"] or info["unique"]}
    assert indexed, "the table has indexes"
    assert not [name for name, columns in indexed.items() if column in columns]


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AlertEvent, PointsEntry, TierChange])
def test_the_rows_the_daily_jobs_insert_keep_no_database_foreign_key(model):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert not [name for name, info in constraints.items() if info["foreign_key"]]


@pytest.mark.django_db
def test_alert_events_go_with_their_risk(cast, campaign):
    risk = Risk.objects.create(campaign=campaign, title="Supplier late", category="market", probability=3, impact=3)
    AlertEvent.objects.create(risk=risk, level="red", previous_level="yellow")
    risk.delete()
    assert not AlertEvent.objects.filter(risk_id=risk.pk).exists()
