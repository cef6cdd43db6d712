"""Budgets through the core access rules (SPEC 2): the team reads, lead/deputy edit and submit, approvers
read the budgets they must sign (in review) or have signed, executives read all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.permissions import Access, TeamScopedPolicy

from .models import Budget
from .rules import approver_budgets

budget_policy = TeamScopedPolicy(
    team_path="campaign__team_id", approver_scope=lambda principal: Q(pk__in=approver_budgets(principal).values("pk"))
)


def get_budget_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Budget:
    return budget_policy.get(
        user, Budget.objects.select_related("campaign", "campaign__team", "campaign__lead"), pk, need=need
    )
