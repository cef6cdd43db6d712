"""Budgets through the core access rules (SPEC 2): the team reads, lead/deputy edit and submit, approvers
read the budgets they must sign (in review) or have signed, executives read all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.permissions import Access, Principal, TeamScopedPolicy

from .models import Budget, BudgetStatus


def approver_budget_ids(principal: Principal):
    """Budgets an approver may read: those awaiting sign-off, and those they signed."""
    return Budget.objects.filter(Q(status=BudgetStatus.IN_REVIEW) | Q(signoffs__signer_id=principal.user_id)).values(
        "pk"
    )


budget_policy = TeamScopedPolicy(
    team_path="campaign__team_id", approver_scope=lambda principal: Q(pk__in=approver_budget_ids(principal))
)


def get_budget_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Budget:
    return budget_policy.get(
        user, Budget.objects.select_related("campaign", "campaign__team", "campaign__lead"), pk, need=need
    )
