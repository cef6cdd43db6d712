"""Who may see and change a campaign and everything in it (SPEC 2's table, through core.permissions)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from core.permissions import Access, Principal, TeamScopedPolicy, principal_for

from .models import Campaign


def _approver_budgets(principal: Principal) -> QuerySet:
    Budget = apps.get_model("budgets", "Budget")
    return Budget.objects.filter(Q(status="in_review") | Q(signoffs__signer_id=principal.user_id))


def _approver_scope(prefix: str):
    """Approvers read the campaigns whose budgets await sign-off, or whose budgets they signed."""

    def scope(principal: Principal) -> Q:
        if principal.approver_campaign_ids is not None:
            return Q(**{f"{prefix}pk__in": sorted(principal.approver_campaign_ids)})
        return Q(**{f"{prefix}pk__in": _approver_budgets(principal).values("campaign_id")})

    return scope


def pin_approver_campaigns(user: Any) -> None:
    """For a page that filters several lists by the campaign rule: read the campaigns an approver may see
    through their role once (one query), so each list filters by those ids instead of repeating the subquery.
    Lasts as long as the user's cached principal, i.e. the request."""
    principal = principal_for(user)
    if principal.user_id is None or principal.reads_everything or not principal.approver_roles:
        return
    if principal.approver_campaign_ids is None:
        ids = frozenset(_approver_budgets(principal).order_by().values_list("campaign_id", flat=True).distinct())
        user._concord_principal = dataclasses.replace(principal, approver_campaign_ids=ids)


campaign_policy = TeamScopedPolicy(team_path="team_id", approver_scope=_approver_scope(""))
# Phases, milestones, tasks, channels, KPIs: through their campaign.
campaign_part_policy = TeamScopedPolicy(team_path="campaign__team_id", approver_scope=_approver_scope("campaign__"))


def get_campaign_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Campaign:
    return campaign_policy.get(user, Campaign.objects.select_related("team", "lead"), pk, need=need)


def can_create_campaign_in(user: Any, team_id: int) -> bool:
    """Creating a campaign needs the lead or deputy role in its team (or admin)."""
    principal = principal_for(user)
    return principal.is_admin or principal.team_access(team_id) >= Access.MANAGE
