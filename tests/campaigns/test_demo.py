"""seed_demo's campaigns: WD-2027 as the seed plan has it, last year's WD-2026 closed, the outsider team's own
campaign, and a second run that changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F

from campaigns.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Task,
    TaskDependency,
    TaskStatus,
)
from campaigns.schedule import topological_order
from campaigns.selectors import campaign_kpis, campaign_schedule
from core.roles import TeamRole
from teams.models import TeamMembership

pytestmark = pytest.mark.django_db


def d(month: int, day: int, year: int = 2027) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def wd2027() -> Campaign:
    call_command("seed_demo")
    return Campaign.objects.select_related("team", "lead").get(code="WD-2027")


def test_wd_2027_is_the_task_forces_planning_campaign_led_by_lead(wd2027):
    assert wd2027.name == "2027 女神節 · 她的專屬權益 Women's Day 2027"
    assert wd2027.team.code == "womens-day-task-force"
    assert wd2027.lead.username == "lead"
    assert wd2027.status == CampaignStatus.PLANNING
    assert (wd2027.start_date, wd2027.end_date) == (d(2, 10), d(3, 15))
    assert wd2027.time_zone == "Asia/Shanghai"
    assert "1.2 M" in wd2027.objective and "25 %" in wd2027.objective
    assert set(wd2027.departments.values_list("code", flat=True)) == {
        "marketing",
        "tech",
        "customer_service",
        "data_analytics",
        "channel_operations",
        "finance",
    }


def test_wd_2027_has_the_four_phases_of_the_seed_timeline(wd2027):
    phases = [(p.order, p.name, p.start_date, p.end_date) for p in Phase.objects.filter(campaign=wd2027)]
    assert phases == [
        (1, "準備期 Preparation", d(2, 10), d(2, 19)),
        (2, "預熱期 Warm-up", d(2, 20), d(2, 26)),
        (3, "執行期 Execution", d(3, 2), d(3, 7)),
        (4, "收尾期 Wrap-up", d(3, 8), d(3, 15)),
    ]


def test_wd_2027_milestones_carry_the_seeds_deliverables(wd2027):
    milestones = list(Milestone.objects.filter(campaign=wd2027))
    assert len(milestones) >= 8
    assert all(m.deliverable for m in milestones)
    assert all(wd2027.start_date <= m.due_date <= wd2027.end_date and not m.done for m in milestones)

    def due(word: str) -> set[dt.date]:
        return {m.due_date for m in milestones if word in m.name + m.deliverable}

    assert due("洞察報告") and due("權益包") and due("美妝") and due("FAQ") and due("效果評估")
    assert d(2, 25) in due("主視覺")
    assert d(3, 1) in due("驗收")
    assert d(3, 1) in due("門店")
    assert d(3, 12) in due("復盤報告")
    assert Milestone.objects.filter(campaign=wd2027, due_date=d(3, 2), phase__name="執行期 Execution").exists()


def test_every_functional_group_has_three_to_five_tasks(wd2027):
    tasks = list(Task.objects.filter(campaign=wd2027).select_related("department", "phase"))
    assert 20 <= len(tasks) <= 25
    per_department: dict[str, int] = {}
    for task in tasks:
        per_department[task.department.code] = per_department.get(task.department.code, 0) + 1
    assert set(per_department) == {
        "marketing",
        "tech",
        "channel_operations",
        "customer_service",
        "data_analytics",
        "finance",
    }
    assert all(3 <= n <= 5 for n in per_department.values()), per_department
    for task in tasks:
        assert task.phase is not None, task.title
        assert wd2027.start_date <= task.start_date <= task.due_date <= wd2027.end_date, task.title
        assert task.status == TaskStatus.TODO, task.title


def test_task_owners_are_leads_deputies_or_members_of_the_team(wd2027):
    owners = set(Task.objects.filter(campaign=wd2027).values_list("owner_id", flat=True))
    allowed = set(
        TeamMembership.objects.filter(
            team=wd2027.team, role__in=[TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER]
        ).values_list("user_id", flat=True)
    )
    assert None not in owners
    assert owners <= allowed
    viewer = TeamMembership.objects.get(team=wd2027.team, role=TeamRole.VIEWER).user
    assert not Task.objects.filter(campaign=wd2027, owner=viewer).exists()


def test_dependencies_form_a_network_without_cycles_consistent_with_the_dates(wd2027):
    edges = list(
        TaskDependency.objects.filter(successor__campaign=wd2027).values_list("predecessor_id", "successor_id")
    )
    task_ids = list(Task.objects.filter(campaign=wd2027).values_list("pk", flat=True))
    assert len(edges) >= len(task_ids)
    assert len(topological_order(task_ids, edges)) == len(task_ids)
    # Finish-to-start: the planned dates already respect every dependency, so the plan is its own schedule.
    for dep in TaskDependency.objects.filter(successor__campaign=wd2027).select_related("predecessor", "successor"):
        assert dep.predecessor.due_date < dep.successor.start_date, (dep.predecessor.title, dep.successor.title)
    # Dependencies cross functional groups.
    assert (
        TaskDependency.objects.filter(successor__campaign=wd2027)
        .exclude(predecessor__department=F("successor__department"))
        .exists()
    )


def test_critical_path_runs_through_tech_development_channel_integration_and_creatives(wd2027):
    schedule = campaign_schedule(campaign=wd2027, today=d(11, 23, 2026))
    titles = dict(Task.objects.filter(campaign=wd2027).values_list("pk", "title"))
    path = [titles[pk] for pk in schedule.critical_path]
    assert path
    assert any("技術開發" in t for t in path)
    assert any("渠道對接" in t for t in path)
    assert any("物料設計製作" in t for t in path)
    assert any("上線" in t for t in path)
    assert schedule.end == d(3, 15)
    assert schedule.projected_end == d(3, 15)
    # Supporting work has float: training, budget and hotline tasks are not on the path.
    assert not any("預算編制" in t or "熱線" in t for t in path)


def test_channels_include_the_seeds_reach_matrix(wd2027):
    channels = {c.type: c for c in Channel.objects.filter(campaign=wd2027)}
    assert {"app_push", "sms", "offline_store", "partner", "social"} <= set(channels)
    for kind in ("app_push", "sms"):
        assert channels[kind].reach_target and "80 %" in channels[kind].note
    assert "3,000" in channels["offline_store"].name
    partner = Channel.objects.get(campaign=wd2027, type="partner", name__contains="美妝")
    assert "30 %" in partner.note
    assert partner.conversion_target == Decimal("30")


def test_kpis_have_the_seeds_targets(wd2027):
    kpis = {k.kind: k for k in Kpi.objects.filter(campaign=wd2027)}
    assert kpis["count"].target == Decimal("1200000")
    assert kpis["count"].direction == "higher"
    assert kpis["member_conversion"].target == Decimal("25")
    assert kpis["member_conversion"].unit == "%"
    assert (kpis["nps"].baseline, kpis["nps"].target) == (Decimal("52"), Decimal("68"))
    assert kpis["redemption_rate"].target == Decimal("30")
    assert kpis["cac"].direction == "lower"


def test_kpi_readings_are_forecasts_for_2027_and_actuals_only_in_the_past(wd2027):
    readings = list(KpiReading.objects.filter(kpi__campaign=wd2027))
    assert readings
    assert all(r.actual is None for r in readings if r.date >= d(11, 23, 2026))
    assert any(r.forecast is not None and d(2, 1) <= r.date <= d(3, 15) for r in readings)
    nps = next(s for s in campaign_kpis(campaign=wd2027) if s.kpi.kind == "nps")
    assert nps.latest_actual == Decimal("52")
    assert not any(s.off_forecast for s in campaign_kpis(campaign=wd2027))


def test_last_years_campaign_is_closed_with_all_work_done():
    call_command("seed_demo")
    wd2026 = Campaign.objects.get(code="WD-2026")
    assert wd2026.status == CampaignStatus.CLOSED
    assert (wd2026.start_date, wd2026.end_date) == (d(2, 10, 2026), d(3, 15, 2026))
    assert wd2026.playbook.code == "festival"
    tasks = Task.objects.filter(campaign=wd2026)
    assert tasks.exists()
    assert not tasks.exclude(status=TaskStatus.DONE).exists()
    assert not tasks.exclude(progress=100).exists()
    assert not tasks.filter(owner__isnull=True).exists()
    assert not Milestone.objects.filter(campaign=wd2026, done=False).exists()
    statuses = campaign_kpis(campaign=wd2026)
    assert statuses and all(s.latest_actual is not None for s in statuses)


def test_the_outsiders_team_has_its_own_campaign():
    call_command("seed_demo")
    campaign = Campaign.objects.select_related("team", "lead", "playbook").get(code="CE-2027Q1")
    assert campaign.team.code == "channel-expansion"
    assert campaign.lead.username == "outsider"
    assert campaign.status == CampaignStatus.PLANNING
    assert campaign.start_date.year == 2027
    assert campaign.playbook.code == "launch"
    assert not Task.objects.filter(campaign=campaign).exclude(owner=campaign.lead).exists()
    assert not Campaign.objects.filter(team__code="channel-expansion").exclude(code="CE-2027Q1").exists()


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Campaign, Phase, Milestone, Task, TaskDependency, Kpi, KpiReading, Channel)
    )


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    first = counts()
    updated = dict(Campaign.objects.values_list("code", "updated_at"))
    call_command("seed_demo")
    assert counts() == first
    assert dict(Campaign.objects.values_list("code", "updated_at")) == updated
    assert set(Campaign.objects.values_list("code", flat=True)) == {"WD-2026", "WD-2027", "CE-2027Q1"}


def test_last_years_campaign_copies_into_next_year_with_every_date_shifted():
    from campaigns.services import campaign_copy

    call_command("seed_demo")
    source = Campaign.objects.get(code="WD-2026")
    copy = campaign_copy(actor=source.lead, source=source, code="WD-2027-B", name="Copy", start_date=d(2, 10))
    assert (copy.start_date, copy.end_date) == (d(2, 10), d(3, 15))
    assert Task.objects.filter(campaign=copy).count() == Task.objects.filter(campaign=source).count()
    assert not Task.objects.filter(campaign=copy).exclude(status=TaskStatus.TODO).exists()
    assert not Task.objects.filter(campaign=copy, owner__isnull=True).exists()
