"""The large set-wise jobs' database habits: their commit does not wait for the disk (PostgreSQL; only in the
job's own transaction, never in a caller's), and the columns they rewrite by the tens of thousands — a risk's alert
level, a member's tier — are in no index, so that each row is rewritten in place."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.bulk import commit_without_waiting_for_disk
from members.models import Member
from risks.models import AlertEvent, Risk

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_jobs_own_transaction_commits_without_waiting_and_the_setting_ends_with_it():
    with transaction.atomic():
        commit_without_waiting_for_disk()
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == "on"  # SET LOCAL: the next transaction on this connection waits again


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_commit_keeps_waiting():
    # A request saving something (the outer block), which then runs the job's code (the inner one).
    with transaction.atomic(), transaction.atomic():
        commit_without_waiting_for_disk()
        assert _synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_outside_any_transaction_nothing_is_set():
    commit_without_waiting_for_disk()
    if connection.vendor == "postgresql":
        assert _synchronous_commit() == "on"


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), [(Risk, "alert_level"), (Member, "tier")])
def test_the_columns_the_daily_jobs_rewrite_are_in_no_index(model, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexed = {name: info["columns"] for name, info in constraints.items() if info["index"] or info["unique"]}
    assert indexed, "the table has indexes"
    assert not [name for name, columns in indexed.items() if column in columns]


@pytest.mark.django_db
def test_alert_events_keep_no_database_foreign_key_and_go_with_their_risk(cast, campaign):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AlertEvent._meta.db_table)
    assert not [name for name, info in constraints.items() if info["foreign_key"]]
    risk = Risk.objects.create(campaign=campaign, title="Supplier late", category="market", probability=3, impact=3)
    AlertEvent.objects.create(risk=risk, level="red", previous_level="yellow")
    risk.delete()
    assert not AlertEvent.objects.filter(risk_id=risk.pk).exists()
