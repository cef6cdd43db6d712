"""Risks are campaign data (SPEC 2): the team reads and writes, viewers read, executives read, approvers read
the campaigns whose budgets they sign; outsiders get 404."""

from __future__ import annotations

from typing import Any

from campaigns.permissions import campaign_part_policy
from core.permissions import Access

from .models import Risk

risk_policy = campaign_part_policy


def get_risk_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Risk:
    qs = Risk.objects.select_related("campaign", "campaign__team", "campaign__lead", "owner", "task", "budget_line")
    return risk_policy.get(user, qs, pk, need=need)
