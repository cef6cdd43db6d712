"""seed_demo creates SPEC 2.1's personas exactly, and a second run leaves everything as it was."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.permissions import principal_for
from teams.models import Department, Team, TeamMembership, User

pytestmark = pytest.mark.django_db

EXPECTED = {
    # username: (department code, org-wide roles, (team code, team role) or None)
    "admin": ("management", {"admin"}, None),
    "lead": ("marketing", set(), ("womens-day-task-force", "lead")),
    "deputy": ("tech", set(), ("womens-day-task-force", "deputy")),
    "staff": ("customer_service", set(), ("womens-day-task-force", "member")),
    "service": ("customer_service", set(), ("womens-day-task-force", "member")),
    "viewer": ("data_analytics", set(), ("womens-day-task-force", "viewer")),
    "finance": ("finance", {"finance_approver"}, None),
    "finance2": ("finance", {"finance_approver"}, None),
    "marketing": ("marketing", {"marketing_approver"}, None),
    "tech": ("tech", {"tech_approver"}, None),
    "dual": ("finance", {"finance_approver", "tech_approver"}, None),
    "exec": ("management", {"executive"}, None),
    "outsider": ("channel_operations", set(), ("channel-expansion", "lead")),
}


def test_seed_demo_creates_the_personas_of_the_spec():
    call_command("seed_demo")
    assert set(User.objects.values_list("username", flat=True)) == set(EXPECTED)
    for username, (department, roles, team_role) in EXPECTED.items():
        user = User.objects.get(username=username)
        assert user.check_password("concord-demo"), username
        assert user.department.code == department, username
        assert set(principal_for(user).roles) == roles, username
        top_level = TeamMembership.objects.filter(user=user, team__parent__isnull=True)
        if team_role is None:
            assert not top_level.exists(), username
        else:
            assert [(m.team.code, m.role) for m in top_level] == [team_role], username
    assert User.objects.get(username="admin").is_superuser
    assert Team.objects.get(code="womens-day-task-force").name == "女神節專項工作組"
    assert Team.objects.get(code="channel-expansion").name == "渠道拓展組"
    assert Team.objects.filter(parent__code="womens-day-task-force").count() == 6
    assert Department.objects.get(code="marketing").name == "市場部"


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    lead = User.objects.get(username="lead")
    lead.set_password("changed-by-user")
    lead.display_name = "Renamed"
    lead.save()
    counts = (User.objects.count(), Team.objects.count(), TeamMembership.objects.count(), Department.objects.count())
    call_command("seed_demo")
    assert counts == (
        User.objects.count(),
        Team.objects.count(),
        TeamMembership.objects.count(),
        Department.objects.count(),
    )
    lead.refresh_from_db()
    assert lead.check_password("changed-by-user")
    assert lead.display_name == "Renamed"
