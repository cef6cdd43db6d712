"""Who may see members and their personal data, and who may import them into which campaigns (SPEC 2, 10.1)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from campaigns.models import Campaign
from core.permissions import Access, principal_for
from core.roles import TeamRole

from .models import Member


def can_view_pii(user: Any) -> bool:
    """Whether the user sees members' names and phone numbers unmasked (the ``members.view_pii`` permission)."""
    return bool(user and user.is_authenticated and user.has_perm("members.view_pii"))


def member_list_for(user: Any) -> QuerySet[Member]:
    """Members the user may see (masked unless :func:`can_view_pii`): org-wide roles see all; team members
    see the members their campaigns brought in; anyone else nothing."""
    principal = principal_for(user)
    if principal.user_id is None:
        return Member.objects.none()
    if principal.reads_everything or principal.approver_roles or user.has_perm("members.view_pii"):
        return Member.objects.all()
    if not principal.team_roles:
        return Member.objects.none()
    return Member.objects.filter(source_campaign__in=Campaign.objects.filter(team_id__in=list(principal.team_roles)))


def importable_campaigns(user: Any) -> QuerySet[Campaign]:
    """Campaigns an upload may be for (SPEC 10.1): those of the teams the user leads or deputises; an admin, all."""
    principal = principal_for(user)
    if principal.user_id is None:
        return Campaign.objects.none()
    if principal.is_admin:
        return Campaign.objects.all()
    teams = [team for team, role in principal.team_roles.items() if role in (TeamRole.LEAD, TeamRole.DEPUTY)]
    return Campaign.objects.filter(team_id__in=teams)


def import_boundary(user: Any) -> list[int] | None:
    """The ids of the campaigns whose members an import by ``user`` may create or update (SPEC 10.1): the
    campaigns of the teams the user may write. ``None`` for an admin, who is not bounded."""
    principal = principal_for(user)
    if principal.is_admin:
        return None
    teams = [team for team in principal.team_roles if principal.team_access(team) >= Access.WRITE]
    return list(Campaign.objects.filter(team_id__in=teams).values_list("pk", flat=True))


def can_import(user: Any) -> bool:
    """Lead or deputy of any team, or an admin (SPEC 2)."""
    principal = principal_for(user)
    return principal.is_admin or any(role in ("lead", "deputy") for role in principal.team_roles.values())


def can_record_points(user: Any, member: Member) -> bool:
    """Who records a member's points (SPEC 10.6): the lead or deputy of the team whose campaign brought the member
    in, or an admin. Everyone else who may see the member only reads the ledger (403 on a write)."""
    principal = principal_for(user)
    if principal.is_admin:
        return True
    if member.source_campaign_id is None:
        return False
    if Member.source_campaign.is_cached(member):  # loaded with the member: no query
        team_id = member.source_campaign.team_id
    else:
        team_id = Campaign.objects.filter(pk=member.source_campaign_id).values_list("team_id", flat=True).first()
    return principal.team_roles.get(team_id) in (TeamRole.LEAD, TeamRole.DEPUTY)
