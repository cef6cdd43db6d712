"""The one access mechanism every app plugs into (SPEC 2).

A user's standing towards a row is an :class:`Access` level, decided from the
row's team (directly or through its campaign) and the user's org-wide roles:

=====================  ======================================================
team ``lead``/``deputy``  ``MANAGE`` (write, plus edit/submit budgets, manage the team)
team ``member``           ``WRITE``
team ``viewer``           ``READ``
``executive``             ``READ`` on everything
approver roles            ``READ`` where the app's ``approver_scope`` says so
``admin``                 ``MANAGE`` on everything
anyone else               ``NONE`` → 404 (existence is not revealed)
=====================  ======================================================

A user whose level is below what an action needs gets 403. Each app declares a
:class:`TeamScopedPolicy` in its ``permissions.py`` and both its HTML views and
its API views go through it, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .roles import APPROVER_ROLES, OrgRole, TeamRole


class Access(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    MANAGE = 3


TEAM_ROLE_ACCESS = {
    TeamRole.LEAD: Access.MANAGE,
    TeamRole.DEPUTY: Access.MANAGE,
    TeamRole.MEMBER: Access.WRITE,
    TeamRole.VIEWER: Access.READ,
}


@dataclass(frozen=True)
class Principal:
    """What the access rules need to know about one user, loaded once per request."""

    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    team_roles: dict[int, str] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return OrgRole.ADMIN in self.roles

    @property
    def reads_everything(self) -> bool:
        return self.is_admin or OrgRole.EXECUTIVE in self.roles

    @property
    def approver_roles(self) -> frozenset[str]:
        return self.roles & APPROVER_ROLES

    def team_access(self, team_id: int | None) -> Access:
        role = self.team_roles.get(team_id) if team_id is not None else None
        return TEAM_ROLE_ACCESS.get(role, Access.NONE) if role else Access.NONE


ANONYMOUS = Principal(user_id=None)


def principal_for(user: Any) -> Principal:
    """The user's roles and team memberships, cached on the user object (two queries at most)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_concord_principal", None)
    if cached is not None:
        return cached
    roles = set(user.groups.filter(name__in=OrgRole.values).values_list("name", flat=True))
    if user.is_superuser:
        roles.add(OrgRole.ADMIN)
    # AUTH_USER_MODEL's `memberships` relation (settings name the user model; the kernel imports no app).
    team_roles = dict(user.memberships.order_by().values_list("team_id", "role"))  # no ordering: no joins
    principal = Principal(user_id=user.pk, roles=frozenset(roles), team_roles=team_roles)
    user._concord_principal = principal
    return principal


def forget_principal(user: Any) -> None:
    """Drop the cached principal after the user's roles or memberships changed."""
    if hasattr(user, "_concord_principal"):
        del user._concord_principal


def has_role(user: Any, role: str) -> bool:
    return role in principal_for(user).roles


def _follow(obj: Model, path: str) -> Any:
    value: Any = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value


MAX_PK = 2**63 - 1  # the largest value a BigAutoField holds; a larger one would overflow in the database


def parse_pk(pk: Any) -> int:
    """A primary key from a URL or payload; anything that is not a positive integer is simply not found."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("Not found.")) from None
    if value <= 0 or value > MAX_PK:
        raise Http404(_("Not found."))
    return value


@dataclass(frozen=True)
class TeamScopedPolicy:
    """Access to rows that belong to a team.

    ``team_path`` leads from the row to its team's id (``"id"`` for a team
    itself, ``"team_id"``, ``"campaign__team_id"``). ``approver_scope``, when
    given, returns the Q of rows an approver may read (e.g. campaigns whose
    budgets await them).
    """

    team_path: str
    approver_scope: Callable[[Principal], Q] | None = None

    def visible(self, user: Any, queryset: QuerySet) -> QuerySet:
        """The rows of ``queryset`` the user may see at all."""
        principal = principal_for(user)
        if principal.user_id is None:
            return queryset.none()
        if principal.reads_everything:
            return queryset
        condition = Q(**{f"{self.team_path}__in": list(principal.team_roles)})
        if self.approver_scope is not None and principal.approver_roles:
            condition |= self.approver_scope(principal)
        return queryset.filter(condition)

    def sees_whole_team(self, user: Any, team_id: int) -> bool:
        """Whether :meth:`visible` keeps every row of ``team_id`` for the user (everything, or a member of it) — so
        what they see of that team's rows is what every such reader sees, not their own selection."""
        principal = principal_for(user)
        return principal.user_id is not None and (principal.reads_everything or team_id in principal.team_roles)

    def access(self, user: Any, obj: Model) -> Access:
        principal = principal_for(user)
        if principal.user_id is None:
            return Access.NONE
        if principal.is_admin:
            return Access.MANAGE
        level = principal.team_access(_follow(obj, self.team_path))
        if level is Access.NONE and OrgRole.EXECUTIVE in principal.roles:
            level = Access.READ
        if (
            level is Access.NONE
            and self.approver_scope is not None
            and principal.approver_roles
            and type(obj)._default_manager.filter(self.approver_scope(principal), pk=obj.pk).exists()
        ):
            level = Access.READ
        return level

    def require(self, user: Any, obj: Model, need: Access = Access.READ) -> Access:
        """Raise 404 if the user may not see ``obj``, 403 if they may see but not do ``need``."""
        level = self.access(user, obj)
        if level is Access.NONE:
            raise Http404(_("Not found."))
        if level < need:
            raise PermissionDenied(_("You have read-only access here."))
        return level

    def get(self, user: Any, queryset: QuerySet, pk: Any, *, need: Access = Access.READ) -> Model:
        """Fetch one row for the user: 404 when invisible, 403 when visible but ``need`` is not met.

        The returned object carries the user's level as ``obj.access``.
        """
        obj = self.visible(user, queryset).filter(pk=parse_pk(pk)).first()
        if obj is None:
            raise Http404(_("Not found."))
        obj.access = self.require(user, obj, need)
        return obj
