"""SPEC 4 rule 6: simultaneous sign-offs from separate database connections neither lose nor duplicate
anything — exactly three sign-offs and one approval (real concurrent transactions on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from budgets.models import Budget, Signoff
from budgets.services import budget_create, budget_submit, signoff_record
from campaigns.services import campaign_create
from core.errors import ApplicationError
from core.models import Notification
from core.roles import OrgRole
from core.services.audit import audit_verify
from tests.budgets.conftest import DEMO_LINES
from tests.conftest import need_service, using_postgres
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_signoffs_end_with_three_signoffs_and_one_approval(cast):
    import datetime as dt

    need_service(using_postgres(), "PostgreSQL")
    campaign = campaign_create(
        actor=cast.lead,
        team=cast.team,
        code="RACE",
        name="Race",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )
    budget = budget_create(actor=cast.lead, campaign=campaign, total="30000000", lines=DEMO_LINES)
    budget_submit(budget=budget, actor=cast.lead)
    attempts = []
    for role, group in (
        ("finance", OrgRole.FINANCE_APPROVER),
        ("marketing", OrgRole.MARKETING_APPROVER),
        ("tech", OrgRole.TECH_APPROVER),
    ):
        for n in range(4):  # four people per role race for the same role, each twice
            user = UserFactory(username=f"race-{role}-{n}", roles=[group])
            attempts += [(user, role), (user, role)]
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def sign(user, role):
        try:
            barrier.wait()
            signoff_record(budget=Budget(pk=budget.pk), signer=user, role=role, decision="approve")
            result = "signed"
        except ApplicationError as exc:
            result = type(exc).__name__
        except Exception as exc:  # anything else is a bug: recorded and asserted on
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=sign, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == len(attempts)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("signed") == 3
    assert set(Signoff.objects.values_list("role", flat=True)) == {"finance", "marketing", "tech"}
    assert Signoff.objects.count() == 3
    budget.refresh_from_db()
    assert budget.status == "approved"
    assert Notification.objects.filter(verb="budget_approved").count() == 1
    assert audit_verify().ok
