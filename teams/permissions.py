"""Who may see and manage teams: their own members, executives and admins (SPEC 2)."""

from __future__ import annotations

from typing import Any

from core.permissions import Access, TeamScopedPolicy

from .models import Team

team_policy = TeamScopedPolicy(team_path="id")


def get_team_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Team:
    return team_policy.get(user, Team.objects.select_related("department", "parent"), pk, need=need)
