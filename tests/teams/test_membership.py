from __future__ import annotations

import pytest

from core.errors import ApplicationError, Conflict
from core.models import AuditEntry, Notification
from core.permissions import Access
from core.roles import TeamRole
from teams.models import TeamMembership
from teams.permissions import team_policy
from teams.services import membership_remove, membership_set
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_adding_a_member_is_audited_and_notifies_them(cast):
    newcomer = UserFactory(username="newcomer")
    membership_set(team=cast.team, user=newcomer, role=TeamRole.MEMBER, actor=cast.lead)
    entry = AuditEntry.objects.get(action="team.membership_set")
    assert entry.actor == cast.lead
    assert entry.after == {"user": "newcomer", "role": "member"}
    assert Notification.objects.get(recipient=newcomer).object_id == cast.team.pk


def test_the_last_lead_cannot_be_demoted_or_removed(cast):
    with pytest.raises(Conflict):
        membership_set(team=cast.team, user=cast.lead, role=TeamRole.MEMBER, actor=cast.admin)
    with pytest.raises(Conflict):
        membership_remove(team=cast.team, user=cast.lead, actor=cast.admin)
    membership_set(team=cast.team, user=cast.deputy, role=TeamRole.LEAD, actor=cast.admin)
    membership_remove(team=cast.team, user=cast.lead, actor=cast.admin)
    assert not TeamMembership.objects.filter(team=cast.team, user=cast.lead).exists()


def test_a_functional_group_only_takes_members_of_its_task_force(cast):
    group = TeamFactory(parent=cast.team, name="技術支持組")
    stranger = UserFactory(username="stranger")
    with pytest.raises(ApplicationError) as excinfo:
        membership_set(team=group, user=stranger, role=TeamRole.MEMBER, actor=cast.lead)
    assert "user" in excinfo.value.errors
    membership_set(team=group, user=cast.member, role=TeamRole.MEMBER, actor=cast.lead)
    membership_remove(team=cast.team, user=cast.member, actor=cast.lead)
    assert not TeamMembership.objects.filter(team=group, user=cast.member).exists()


def test_unknown_role_is_refused_with_a_field_message(cast):
    with pytest.raises(ApplicationError) as excinfo:
        membership_set(team=cast.team, user=cast.member, role="boss", actor=cast.lead)
    assert excinfo.value.errors == {"role": ["Choose one of: lead, deputy, member, viewer."]}


def test_role_change_takes_effect_on_access_immediately(cast):
    assert team_policy.access(cast.member, cast.team) is Access.WRITE
    membership_set(team=cast.team, user=cast.member, role=TeamRole.VIEWER, actor=cast.lead)
    assert team_policy.access(cast.member, cast.team) is Access.READ


def test_database_refuses_two_memberships_for_one_person_in_one_team(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMembership.objects.create(team=cast.team, user=cast.member, role=TeamRole.VIEWER)
