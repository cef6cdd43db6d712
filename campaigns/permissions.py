"""Who may see and change a campaign and everything in it (SPEC 2's table, through core.permissions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.permissions import Access, Principal, TeamScopedPolicy, principal_for
from teams.models import Team

from .models import Campaign, CampaignStatus

# Approvers read the campaigns whose budgets they must sign or signed (SPEC 2). That rule belongs to budgets, which
# sits above campaigns, so budgets registers it here (BudgetsConfig.ready) instead of campaigns importing budgets.
_approver_campaigns: list[Callable[[Principal], QuerySet]] = []


def register_approver_campaigns(campaign_ids: Callable[[Principal], QuerySet]) -> None:
    """Let an app above campaigns add campaigns an approver may read: ``campaign_ids(principal)`` returns a queryset
    of campaign ids (``values("campaign_id")``). Called once per app from its ``AppConfig.ready``."""
    if campaign_ids not in _approver_campaigns:
        _approver_campaigns.append(campaign_ids)


def approver_scope(prefix: str) -> Callable[[Principal], Q]:
    """The approver scope of a policy whose rows reach their campaign through ``prefix``."""

    def scope(principal: Principal) -> Q:
        condition = Q(pk__in=[])
        for campaign_ids in _approver_campaigns:
            condition |= Q(**{f"{prefix}pk__in": campaign_ids(principal)})
        return condition

    return scope


campaign_policy = TeamScopedPolicy(team_path="team_id", approver_scope=approver_scope(""))
# Phases, milestones, tasks, channels, KPIs: through their campaign.
campaign_part_policy = TeamScopedPolicy(team_path="campaign__team_id", approver_scope=approver_scope("campaign__"))


def get_campaign_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Campaign:
    return campaign_policy.get(user, Campaign.objects.select_related("team", "lead"), pk, need=need)


def campaign_read_again(campaign: Campaign) -> Campaign:
    """The campaign read afresh, keeping the access level already worked out for the user: for a shared part
    (``core.pagecache.shared_parts``), which must read what it shows itself."""
    fresh = Campaign.objects.select_related("team", "lead").get(pk=campaign.pk)
    fresh.access = campaign.access
    return fresh


def can_create_campaign_in(user: Any, team_id: int) -> bool:
    """Creating a campaign needs the lead or deputy role in its team (or admin)."""
    principal = principal_for(user)
    return principal.is_admin or principal.team_access(team_id) >= Access.MANAGE


# The button that moves a campaign into each status.
TRANSITION_LABELS = {
    CampaignStatus.PLANNING: _("Start planning"),
    CampaignStatus.ACTIVE: _("Launch (make active)"),
    CampaignStatus.CLOSING: _("Start closing"),
    CampaignStatus.CLOSED: _("Close the campaign"),
    CampaignStatus.CANCELLED: _("Cancel the campaign"),
}
FROZEN_STATUSES = (CampaignStatus.CLOSED, CampaignStatus.CANCELLED)


def campaign_abilities(campaign: Campaign) -> dict[str, bool]:
    """What the page may offer on a campaign already fetched with its access level: write, manage, frozen."""
    return {
        "can_write": campaign.access >= Access.WRITE,
        "can_manage": campaign.access >= Access.MANAGE,
        "is_frozen": campaign.status in FROZEN_STATUSES,
    }


def creatable_teams(user: Any) -> QuerySet[Team]:
    """Task forces the user may create campaigns in: lead or deputy there; an admin: every task force."""
    principal = principal_for(user)
    teams = Team.objects.filter(parent__isnull=True)
    if principal.is_admin:
        return teams
    managed = [team_id for team_id in principal.team_roles if principal.team_access(team_id) >= Access.MANAGE]
    return teams.filter(pk__in=managed)
