"""Writes on team memberships: who may add, change or remove members, and the rule that a team keeps a lead."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import forget_principal, principal_for
from core.roles import TeamRole
from core.services.audit import audit_record
from core.services.notifications import notify

from . import notices
from .models import Team, TeamMembership, User


def _lead_count(team: Team) -> int:
    return team.memberships.filter(role=TeamRole.LEAD).count()


def can_manage_members(actor: Any, team: Team) -> bool:
    """SPEC 10.1 "Team roles": only the team's lead (a functional group: also its task force's lead) or an admin
    adds, removes or changes members. A deputy manages the campaign work, not the people."""
    principal = principal_for(actor)
    if principal.is_admin:
        return True
    return principal.team_roles.get(team.pk) == TeamRole.LEAD or (
        team.parent_id is not None and principal.team_roles.get(team.parent_id) == TeamRole.LEAD
    )


def _require_manager(actor: Any, team: Team) -> None:
    if not can_manage_members(actor, team):
        raise NotAllowed(_("Only the team's lead or an administrator can change its members."))


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, actor: Any) -> TeamMembership:
    """Add ``user`` to ``team`` with ``role``, or change their role. A team never loses its last lead.

    A functional group's members must belong to its task force first.
    """
    _require_manager(actor, team)
    if role not in TeamRole.values:
        raise ApplicationError(errors={"role": _("Choose one of: lead, deputy, member, viewer.")})
    if not user.is_active:
        raise ApplicationError(errors={"user": _("This account is deactivated.")})
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if team.parent_id and not TeamMembership.objects.filter(team_id=team.parent_id, user=user).exists():
        raise ApplicationError(
            errors={"user": _("Add this person to the task force %(team)s first.") % {"team": team.parent.name}}
        )
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    before = membership.role if membership else None
    if membership and membership.role == TeamRole.LEAD and role != TeamRole.LEAD and _lead_count(team) <= 1:
        raise Conflict(_("The team needs at least one lead. Make someone else lead first."))
    if membership is None:
        membership = TeamMembership.objects.create(team=team, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    else:
        return membership
    audit_record(
        actor=actor,
        action="team.membership_set",
        obj=team,
        before={"user": user.username, "role": before},
        after={"user": user.username, "role": role},
    )
    notify(
        recipients=[user],
        message=notices.MEMBERSHIP_SET,
        params={"role": TeamRole(role).label, "team": team.name},
        url=f"/teams/{team.pk}/",
        obj=team,
    )
    forget_principal(user)
    return membership


@transaction.atomic
def membership_remove(*, team: Team, user: User, actor: Any) -> None:
    """Remove ``user`` from ``team`` (and its functional groups). A team never loses its last lead."""
    _require_manager(actor, team)
    Team.objects.select_for_update().filter(pk=team.pk).first()
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise ApplicationError(errors={"user": _("This person is not a member of the team.")})
    if membership.role == TeamRole.LEAD and _lead_count(team) <= 1:
        raise Conflict(_("The team needs at least one lead. Make someone else lead first."))
    TeamMembership.objects.filter(team__parent=team, user=user).delete()
    membership.delete()
    audit_record(
        actor=actor,
        action="team.membership_removed",
        obj=team,
        before={"user": user.username, "role": membership.role},
        after=None,
    )
    forget_principal(user)
