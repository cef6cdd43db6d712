"""The test factories build rows through the product's services, so a test starts from a state the product can
reach: each leaves the audit entry or side effect its service makes, and refuses what the service refuses."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from tests.factories import (
    BudgetFactory,
    CampaignFactory,
    MemberFactory,
    PhaseFactory,
    ReviewSeriesFactory,
    RiskFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_each_factory_goes_through_its_service(cast):
    campaign = CampaignFactory(actor=cast.lead, team=cast.team)
    assert campaign.lead == cast.lead and campaign.team == cast.team
    phase = PhaseFactory(campaign=campaign)
    task = TaskFactory(campaign=campaign, phase=phase, owner=cast.member)
    budget = BudgetFactory(campaign=campaign)
    risk = RiskFactory(campaign=campaign, owner=cast.member)
    series = ReviewSeriesFactory(campaign=campaign, participants=[cast.lead, cast.member])
    member = MemberFactory(source_campaign=campaign)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"campaign.created", "phase.created", "budget.created"} <= actions
    assert task.phase == phase and budget.status == "draft" and budget.lines.count() == 2
    assert risk.band and risk.score == 9
    assert set(series.participants.all()) == {cast.lead, cast.member} and series.chair == cast.lead
    assert member.pk and member.source_campaign == campaign


def test_a_factory_refuses_what_its_service_refuses(cast):
    with pytest.raises(ApplicationError):
        TaskFactory(campaign=CampaignFactory(actor=cast.lead, team=cast.team), owner=cast.outsider)
