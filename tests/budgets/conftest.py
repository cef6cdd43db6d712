from __future__ import annotations

from dataclasses import dataclass

import pytest

from budgets.services import budget_create
from core.roles import OrgRole
from tests.factories import UserFactory

# The demo's corrected figures (SPEC 4): rigid 22 M, flexible 6 M, total 28 M under a 30 M cap; reserve 4 M ≥ 3 M.
DEMO_LINES = [
    {"category": "tech_development", "kind": "rigid", "amount": "8000000.00"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "7000000.00"},
    {"category": "benefits_procurement", "kind": "rigid", "amount": "7000000.00"},
    {"category": "materials", "kind": "flexible", "amount": "2000000.00"},
    {"category": "partner_reserve", "kind": "flexible", "amount": "3000000.00"},
    {"category": "emergency", "kind": "flexible", "amount": "1000000.00"},
]


@dataclass
class Signers:
    finance: object
    finance2: object
    marketing: object
    tech: object
    dual: object


@pytest.fixture
def signers(db) -> Signers:
    return Signers(
        finance=UserFactory(username="s-finance", roles=[OrgRole.FINANCE_APPROVER]),
        finance2=UserFactory(username="s-finance2", roles=[OrgRole.FINANCE_APPROVER]),
        marketing=UserFactory(username="s-marketing", roles=[OrgRole.MARKETING_APPROVER]),
        tech=UserFactory(username="s-tech", roles=[OrgRole.TECH_APPROVER]),
        dual=UserFactory(username="s-dual", roles=[OrgRole.FINANCE_APPROVER, OrgRole.TECH_APPROVER]),
    )


@pytest.fixture
def budget(cast, campaign):
    return budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=DEMO_LINES)
