"""The organisation part of the demo data (SPEC 2.1). Later apps add their campaign data on top."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from core.roles import OrgRole, TeamRole

from .models import Department, Team, TeamMembership, User

DEMO_PASSWORD = "concord-demo"

DEPARTMENTS = [
    ("marketing", "市場部", "Marketing"),
    ("tech", "技術部", "Technology"),
    ("customer_service", "客服部", "Customer service"),
    ("finance", "財務部", "Finance"),
    ("data_analytics", "數據分析部", "Data analytics"),
    ("channel_operations", "渠道運營部", "Channel operations"),
    ("management", "管理層", "Management"),
]

# username, display name, department, org-wide roles, superuser
PERSONAS = [
    ("admin", "系統管理員 Admin", "management", [OrgRole.ADMIN], True),
    ("lead", "王麗華 Wang Lihua", "marketing", [], False),
    ("deputy", "陳志強 Chen Zhiqiang", "tech", [], False),
    ("staff", "李曉梅 Li Xiaomei", "customer_service", [], False),
    # Customer service on the phone (SPEC 10.6): a team member who looks customers up by their phone number.
    ("service", "林芳 Lin Fang", "customer_service", [], False),
    ("viewer", "趙敏 Zhao Min", "data_analytics", [], False),
    ("finance", "劉建國 Liu Jianguo", "finance", [OrgRole.FINANCE_APPROVER], False),
    ("finance2", "孫悅 Sun Yue", "finance", [OrgRole.FINANCE_APPROVER], False),
    ("marketing", "周婷 Zhou Ting", "marketing", [OrgRole.MARKETING_APPROVER], False),
    ("tech", "吳磊 Wu Lei", "tech", [OrgRole.TECH_APPROVER], False),
    ("dual", "鄭雪 Zheng Xue", "finance", [OrgRole.FINANCE_APPROVER, OrgRole.TECH_APPROVER], False),
    ("exec", "黃總 Huang Wei", "management", [OrgRole.EXECUTIVE], False),
    ("outsider", "馬騰 Ma Teng", "channel_operations", [], False),
]

DEPARTMENT_HEADS = {"marketing": "marketing", "tech": "tech", "finance": "finance", "management": "exec"}

TASK_FORCE = ("womens-day-task-force", "女神節專項工作組", "Cross-department task force for the Women's Day campaign.")
# The seed plan's six functional groups, with who of the demo personas sits in each.
FUNCTIONAL_GROUPS = [
    ("wd-planning", "活動策劃組 Campaign planning", ["lead"]),
    ("wd-tech", "技術支持組 Tech support", ["deputy"]),
    ("wd-channels", "渠道運營組 Channel operations", ["lead"]),
    ("wd-service", "客服保障組 Customer service", ["staff", "service"]),
    ("wd-data", "數據分析組 Data analytics", ["viewer"]),
    ("wd-budget", "預算管控組 Budget control", ["lead"]),
]
TASK_FORCE_ROLES = {
    "lead": TeamRole.LEAD,
    "deputy": TeamRole.DEPUTY,
    "staff": TeamRole.MEMBER,
    "service": TeamRole.MEMBER,
    "viewer": TeamRole.VIEWER,
}
OTHER_TEAM = ("channel-expansion", "渠道拓展組", "Channel expansion team (another task force).")


@transaction.atomic
def seed_organisation() -> dict[str, User]:
    """Create departments, teams and personas; leave anything that already exists as it is."""
    departments = {}
    for code, name, name_en in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in OrgRole.values}

    users: dict[str, User] = {}
    for username, display_name, department, roles, superuser in PERSONAS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=display_name,
                email=f"{username}@concord.example",
                department=departments[department],
                is_superuser=superuser,
                is_staff=superuser,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(*(groups[role] for role in roles))
        users[username] = user

    # Heads of department receive the minutes of campaigns their department takes part in.
    for code, username in DEPARTMENT_HEADS.items():
        Department.objects.filter(code=code, head__isnull=True).update(head=users[username])

    code, name, description = TASK_FORCE
    task_force, _ = Team.objects.get_or_create(
        code=code, defaults={"name": name, "description": description, "department": departments["marketing"]}
    )
    for username, role in TASK_FORCE_ROLES.items():
        TeamMembership.objects.get_or_create(team=task_force, user=users[username], defaults={"role": role})
    for group_code, group_name, usernames in FUNCTIONAL_GROUPS:
        group, _ = Team.objects.get_or_create(
            code=group_code, defaults={"name": group_name, "parent": task_force, "department": task_force.department}
        )
        for username in usernames:
            TeamMembership.objects.get_or_create(
                team=group, user=users[username], defaults={"role": TASK_FORCE_ROLES[username]}
            )

    code, name, description = OTHER_TEAM
    other, _ = Team.objects.get_or_create(
        code=code, defaults={"name": name, "description": description, "department": departments["channel_operations"]}
    )
    TeamMembership.objects.get_or_create(team=other, user=users["outsider"], defaults={"role": TeamRole.LEAD})
    return users
