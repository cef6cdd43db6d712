"""Who may see and change a campaign and everything in it (SPEC 2's table, through core.permissions)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q

from core.permissions import Access, Principal, TeamScopedPolicy, principal_for

from .models import Campaign


def _approver_scope(prefix: str):
    """Approvers read the campaigns whose budgets await sign-off, or whose budgets they signed."""

    def scope(principal: Principal) -> Q:
        Budget = apps.get_model("budgets", "Budget")
        budgets = Budget.objects.filter(Q(status="in_review") | Q(signoffs__signer_id=principal.user_id))
        return Q(**{f"{prefix}pk__in": budgets.values("campaign_id")})

    return scope


campaign_policy = TeamScopedPolicy(team_path="team_id", approver_scope=_approver_scope(""))
# Phases, milestones, tasks, channels, KPIs: through their campaign.
campaign_part_policy = TeamScopedPolicy(team_path="campaign__team_id", approver_scope=_approver_scope("campaign__"))


def get_campaign_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Campaign:
    return campaign_policy.get(user, Campaign.objects.select_related("team", "lead"), pk, need=need)


def can_create_campaign_in(user: Any, team_id: int) -> bool:
    """Creating a campaign needs the lead or deputy role in its team (or admin)."""
    principal = principal_for(user)
    return principal.is_admin or principal.team_access(team_id) >= Access.MANAGE
