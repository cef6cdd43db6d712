from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from .models import Department, Team, TeamMembership
from .permissions import team_policy


def team_list(*, user: Any) -> QuerySet[Team]:
    """Teams the user may see, with member counts, top-level task forces first."""
    qs = Team.objects.select_related("department", "parent").annotate(member_count=Count("memberships"))
    return team_policy.visible(user, qs).order_by("parent_id", "name")


def team_members(*, team: Team) -> QuerySet[TeamMembership]:
    """The team's memberships with their users, ordered by role and name."""
    return team.memberships.select_related("user", "user__department").order_by("role", "user__username")


def department_list() -> QuerySet[Department]:
    """Every department, by code."""
    return Department.objects.all()
