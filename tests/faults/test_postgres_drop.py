"""PostgreSQL connection cut in the middle of a write view (pg_terminate_backend from another connection, after
the view's first writes and before its last): the user gets the plain 500 page — no traceback, nothing of the
error — and nothing of the half-done write is saved. The next request, on a new connection, works."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from core.models import AuditEntry, Notification
from teams import services as team_services
from teams.models import TeamMembership
from tests import worker
from tests.conftest import need_service, using_postgres
from tests.factories import UserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def terminate_backend(pid: int) -> None:
    """Kill one backend from a separate connection, as an operator or a failover would."""
    with psycopg.connect(worker.test_database_url(), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True


@pytest.fixture
def postgres():
    need_service(using_postgres(), "PostgreSQL")


def test_connection_cut_mid_write_gives_a_clean_500_and_saves_nothing(postgres, cast, client, monkeypatch):
    UserFactory(username="newcomer", email="newcomer@example.com")
    audits_before = AuditEntry.objects.count()
    real_audit_record = team_services.audit_record
    cut = []

    def audit_then_cut(**kwargs):
        # The membership row and the audit entry are written in the view's transaction; then the line goes.
        result = real_audit_record(**kwargs)
        assert TeamMembership.objects.filter(team=cast.team, user__username="newcomer").exists()
        cut.append(connection.connection.info.backend_pid)
        terminate_backend(cut[-1])
        return result

    monkeypatch.setattr(team_services, "audit_record", audit_then_cut)
    client.force_login(cast.lead)
    client.raise_request_exception = False
    response = client.post(f"/teams/{cast.team.pk}/members/", {"username": "newcomer", "role": "member"})

    assert cut, "the hook never ran; the test proves nothing"
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    for leak in ("Traceback", "OperationalError", "InterfaceError", "psycopg", "terminating connection", "SELECT"):
        assert leak not in html
    # The rollback on the dead line failed, so Django closed that connection; the next query opens a new one.
    assert connection.connection is None or connection.connection.info.backend_pid != cut[0]
    assert not TeamMembership.objects.filter(team=cast.team, user__username="newcomer").exists()
    assert AuditEntry.objects.count() == audits_before
    assert not Notification.objects.filter(recipient__username="newcomer").exists()
    monkeypatch.undo()
    assert client.get(f"/teams/{cast.team.pk}/").status_code == 200
