"""A sign-off request is resolved once it no longer applies (SPEC 10.4, issue 15 item 4): for a signer whose
role has been signed, for everyone when the budget is decided or withdrawn; home never shows it as pending."""

from __future__ import annotations

import pytest
from django.urls import reverse

from budgets.services import budget_submit, budget_withdraw, signoff_record
from core.models import Notification

pytestmark = pytest.mark.django_db


def pending(verb: str = "budget_submitted") -> set[str]:
    return set(
        Notification.objects.filter(verb=verb, resolved_at__isnull=True).values_list("recipient__username", flat=True)
    )


def test_a_request_is_resolved_for_each_signer_as_their_roles_are_signed_and_for_all_on_approval(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    assert pending() == {"s-finance", "s-finance2", "s-marketing", "s-tech", "s-dual", "t-finance"}
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    # Finance is signed: the finance-only approvers have nothing left to do; dual may still sign as tech.
    assert pending() == {"s-marketing", "s-tech", "s-dual"}
    signoff_record(budget=budget, signer=signers.marketing, role="marketing", decision="approve")
    assert pending() == {"s-tech", "s-dual"}
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="approve")
    assert pending() == set()
    assert Notification.objects.filter(verb="budget_submitted").count() == 6  # kept, as history


def test_a_rejection_or_a_withdrawal_resolves_every_request(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    budget_withdraw(budget=budget, actor=cast.lead)
    assert pending() == set()
    budget_submit(budget=budget, actor=cast.lead)
    assert len(pending()) == 6  # the new round asks again
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="reject", comment="接口未評估")
    assert pending() == set()


def test_home_and_the_api_show_a_resolved_request_as_settled(client, api, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    client.force_login(signers.finance2)
    assert budget.campaign.code in client.get(reverse("home")).content.decode()
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    home = client.get(reverse("home")).content.decode()
    assert "awaits your sign-off" not in home  # neither in the queue card nor as an unread notification
    inbox = client.get(reverse("inbox")).content.decode()
    assert "notification-resolved" in inbox
    rows = api(signers.finance2).get("/api/v1/notifications/").json()["results"]
    assert [(r["verb"], r["resolved"]) for r in rows] == [("budget_submitted", True)]
