"""The one access mechanism (SPEC 2's table) on its own, before any app uses it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from core.permissions import Access, TeamScopedPolicy, principal_for
from teams.models import Team
from teams.permissions import team_policy


def test_team_roles_map_to_access_levels(cast):
    team = cast.team
    assert team_policy.access(cast.lead, team) is Access.MANAGE
    assert team_policy.access(cast.deputy, team) is Access.MANAGE
    assert team_policy.access(cast.member, team) is Access.WRITE
    assert team_policy.access(cast.viewer, team) is Access.READ


def test_org_wide_roles(cast):
    assert team_policy.access(cast.executive, cast.team) is Access.READ
    assert team_policy.access(cast.admin, cast.team) is Access.MANAGE
    # An approver without an approver scope in this policy sees nothing of the team.
    assert team_policy.access(cast.finance, cast.team) is Access.NONE


def test_outsider_gets_404_and_read_only_user_gets_403(cast):
    qs = Team.objects.all()
    with pytest.raises(Http404):
        team_policy.get(cast.outsider, qs, cast.team.pk)
    with pytest.raises(PermissionDenied):
        team_policy.get(cast.viewer, qs, cast.team.pk, need=Access.WRITE)
    obj = team_policy.get(cast.member, qs, cast.team.pk, need=Access.WRITE)
    assert obj.access is Access.WRITE


@pytest.mark.parametrize("pk", ["abc", "-1", "0", None, "1.5"])
def test_malformed_keys_are_simply_not_found(cast, pk):
    with pytest.raises(Http404):
        team_policy.get(cast.lead, Team.objects.all(), pk)


def test_lists_contain_only_what_the_user_may_see(cast):
    other = Team.objects.get(code="channel-expansion")
    assert set(team_policy.visible(cast.viewer, Team.objects.all())) == {cast.team}
    assert set(team_policy.visible(cast.outsider, Team.objects.all())) == {other}
    assert set(team_policy.visible(cast.executive, Team.objects.all())) == {cast.team, other}
    assert list(team_policy.visible(cast.finance, Team.objects.all())) == []


def test_approver_scope_lets_approvers_read_selected_rows(cast):
    policy = TeamScopedPolicy(team_path="id", approver_scope=lambda principal: Q(code="wd-task-force"))
    assert policy.access(cast.finance, cast.team) is Access.READ
    assert list(policy.visible(cast.finance, Team.objects.all())) == [cast.team]
    with pytest.raises(PermissionDenied):
        policy.get(cast.finance, Team.objects.all(), cast.team.pk, need=Access.WRITE)


def test_anonymous_and_inactive_users_have_no_access(cast, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert team_policy.access(AnonymousUser(), cast.team) is Access.NONE
    cast.lead.is_active = False
    cast.lead.save()
    lead = django_user_model.objects.get(pk=cast.lead.pk)
    assert team_policy.access(lead, cast.team) is Access.NONE


def test_principal_is_loaded_once_per_user_object(cast, django_assert_num_queries):
    user = type(cast.member).objects.get(pk=cast.member.pk)
    with django_assert_num_queries(2):
        principal_for(user)
        principal_for(user)
        team_policy.access(user, cast.team)
