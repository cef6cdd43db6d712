"""The campaign part of the demo data (SPEC 2.1): the Women's Day campaign WD-2027 from the seed plan, last
year's WD-2026 (closed, a source to copy from) and the outsider team's own campaign.

Each campaign is looked up by code and left alone when it exists, so a second run changes nothing. Headers and
status moves go through the services (they check the lead's role, the code and the lifecycle, and write the
audit trail); WD-2027's plan is inserted set-wise after :func:`_check_plan` has applied the rules that
``task_save`` applies one row at a time (dates, owners, no dependency cycle).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from core.errors import ApplicationError
from teams.models import Department, Team, User

from . import services
from .models import (
    Campaign,
    CampaignStatus,
    Channel,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskDependency,
    TaskStatus,
)
from .schedule import CycleError, topological_order

WD_2027 = "WD-2027"
WD_2026 = "WD-2026"
CE_2027Q1 = "CE-2027Q1"
DEMO_CAMPAIGN_CODES = (WD_2026, WD_2027, CE_2027Q1)

TASK_FORCE_CODE = "womens-day-task-force"
OTHER_TEAM_CODE = "channel-expansion"
WD_DEPARTMENTS = ("marketing", "tech", "customer_service", "data_analytics", "channel_operations", "finance")


def _d(month: int, day: int, year: int = 2027) -> dt.date:
    return dt.date(year, month, day)


# --- WD-2027: the seed plan ---------------------------------------------------------------------------------------

WD_2027_NAME = "2027 女神節 · 她的專屬權益 Women's Day 2027"
WD_2027_OBJECTIVE = (
    "到2027年3月15日，通過女神節專屬權益活動新增女性用戶120萬，其中會員轉化率達25%（較常規活動提升12個百分點），"
    "女性用戶NPS由52提升至68，聯名權益兌換率不低於30%，單用戶營銷成本控制在25元以內。\n"
    "By 15 March 2027, win 1.2 M new female users through the Women's Day benefits campaign, with 25 % of them "
    "converting to members (12 points above routine campaigns), lift women's NPS from 52 to 68, reach at least 30 % "
    "redemption of the co-branded benefits, and keep marketing cost at or below 25 CNY per new user."
)

# SPEC 3's seed timeline. 2/27–3/1 lies between warm-up and execution: the seed's second stage runs to 1 March
# (acceptance, store training, FAQ), so the go-live readiness work of those days is filed under the warm-up.
WD_2027_PHASES = [
    ("prep", "準備期 Preparation", _d(2, 10), _d(2, 19)),
    ("warmup", "預熱期 Warm-up", _d(2, 20), _d(2, 26)),
    ("exec", "執行期 Execution", _d(3, 2), _d(3, 7)),
    ("wrap", "收尾期 Wrap-up", _d(3, 8), _d(3, 15)),
]

# phase, name, due, deliverable
WD_2027_MILESTONES = [
    ("prep", "技術平臺方案確定 Platform build plan approved", _d(2, 11),
     "技術平臺搭建方案 Platform build plan (user tags, redemption, risk control)"),
    ("prep", "用戶調研完成 User research complete", _d(2, 16),
     "《用戶需求洞察報告》User-needs insight report (5,000 questionnaires)"),
    ("prep", "權益包方向確定 Benefit packages decided", _d(2, 19),
     "3大主題權益包設計方向 Design direction of the three themed benefit packages (commute, social, entertainment)"),
    ("warmup", "聯名權益敲定 Partner benefits agreed", _d(2, 23),
     "與3家頭部美妝品牌的聯名權益協議 Co-branded benefit agreements with 3 leading beauty brands"),
    ("warmup", "物料終稿交付 Final creatives delivered", _d(2, 25),
     "主視覺、H5頁面、宣傳海報終稿 Final key visual, H5 page and posters"),
    ("warmup", "客服準備就緒 Customer service ready", _d(2, 28),
     "活動FAQ知識庫與客服培訓手冊 Campaign FAQ knowledge base and service training handbook"),
    ("warmup", "門店培訓完成 Store training complete", _d(3, 1),
     "3,000家重點營業廳女神體驗區及培訓記錄 Women's zones set up and staff trained in 3,000 key stores"),
    ("warmup", "功能驗收 Platform acceptance", _d(3, 1),
     "功能驗收報告 Acceptance report (tags, redemption, load test)"),
    ("exec", "活動上線 Campaign live", _d(3, 2),
     "全渠道上線及10輪推廣排期 Live on every channel, schedule of 10 push rounds"),
    ("exec", "女神節高峰 Women's Day peak", _d(3, 7),
     "觸達率≥80%渠道日報 Daily channel report showing reach ≥ 80 %"),
    ("wrap", "復盤報告提交管理層 Retrospective report to management", _d(3, 12),
     "《活動復盤報告》Retrospective report"),
    ("wrap", "效果評估完成 Impact evaluation complete", _d(3, 15),
     "效果評估報告、技術迭代建議、用戶滿意度調研 Impact report, tech iteration proposals, satisfaction survey"),
]  # fmt: skip

# Who owns each functional group's tasks: the lead runs planning, channels and budget control, the deputy tech
# and data (the viewer sits in the data group but cannot own tasks), staff customer service.
GROUP_OWNERS = {
    "marketing": "lead",
    "tech": "deputy",
    "channel_operations": "lead",
    "customer_service": "staff",
    "data_analytics": "deputy",
    "finance": "lead",
}


@dataclass(frozen=True)
class PlannedTask:
    key: str
    department: str  # the functional group's department
    phase: str
    title: str
    start: dt.date
    due: dt.date
    depends_on: tuple[str, ...] = ()


# Finish-to-start network. Two branches meet at channel integration and carry the critical path: platform
# build → development, and benefit design → creative production; then integration testing, acceptance, launch,
# evaluation and the reports (the seed's bottlenecks: 技術開發、渠道對接、物料製作).
WD_2027_TASKS = [
    # 活動策劃組 Campaign planning (marketing)
    PlannedTask("packages", "marketing", "prep", "三大主題權益包設計 Three themed benefit packages (commute, social, entertainment)",
                _d(2, 17), _d(2, 19), ("research",)),
    PlannedTask("creative", "marketing", "warmup", "物料設計製作 Creative production: key visual, H5 page, posters",
                _d(2, 20), _d(2, 25), ("packages",)),
    PlannedTask("teasers", "marketing", "warmup", "懸念式預熱與KOL話題 Warm-up teasers and KOL topic",
                _d(2, 20), _d(2, 26), ("packages",)),
    PlannedTask("retro", "marketing", "wrap", "活動復盤報告 Retrospective report to management",
                _d(3, 11), _d(3, 12), ("evaluation", "settlement")),
    # 技術支持組 Tech support (tech)
    PlannedTask("platform-plan", "tech", "prep", "技術平臺搭建方案 Platform build plan",
                _d(2, 10), _d(2, 11)),
    PlannedTask("development", "tech", "prep", "技術開發：用戶標簽系統與權益兌換模塊 Tech development: user tags and redemption",
                _d(2, 12), _d(2, 25), ("platform-plan",)),
    PlannedTask("integration-test", "tech", "warmup", "系統聯調與壓力測試 End-to-end and load testing",
                _d(2, 28), _d(2, 28), ("channel-integration",)),
    PlannedTask("acceptance", "tech", "warmup", "功能驗收 Platform acceptance",
                _d(3, 1), _d(3, 1), ("integration-test",)),
    # 渠道運營組 Channel operations
    PlannedTask("partners", "channel_operations", "prep", "異業合作洽談與3家美妝品牌聯名 Partner talks and 3 beauty co-brands",
                _d(2, 10), _d(2, 23)),
    PlannedTask("channel-integration", "channel_operations", "warmup",
                "渠道對接：APP、短信與合作方兌換接口 Channel integration: app, SMS, partner redemption",
                _d(2, 26), _d(2, 27), ("development", "creative", "partners")),
    PlannedTask("stores", "channel_operations", "warmup", "3,000家營業廳女神體驗區與門店培訓 Women's zones and training in 3,000 stores",
                _d(2, 26), _d(2, 28), ("creative",)),
    PlannedTask("launch", "channel_operations", "exec", "全渠道上線推廣（10輪） Launch across channels (10 rounds)",
                _d(3, 2), _d(3, 7), ("acceptance", "stores", "faq", "teasers", "procurement", "tracking")),
    # 客服保障組 Customer service
    PlannedTask("handbook", "customer_service", "warmup", "客服培訓手冊 Service training handbook",
                _d(2, 20), _d(2, 24), ("packages",)),
    PlannedTask("faq", "customer_service", "warmup", "活動FAQ知識庫 Campaign FAQ knowledge base",
                _d(2, 25), _d(2, 28), ("handbook", "partners")),
    PlannedTask("agents", "customer_service", "warmup", "話務專員培訓與增援排班 Agent training and extra rosters",
                _d(2, 25), _d(3, 1), ("handbook",)),
    PlannedTask("hotline", "customer_service", "exec", "活動期熱線保障與投訴處理 Hotline cover and complaints",
                _d(3, 2), _d(3, 7), ("faq", "agents")),
    # 數據分析組 Data analytics
    PlannedTask("research", "data_analytics", "prep", "用戶調研與需求洞察（5,000份問卷） User research (5,000 questionnaires)",
                _d(2, 10), _d(2, 15)),
    PlannedTask("tracking", "data_analytics", "warmup", "效果追蹤看板與預測模型 Tracking dashboard and forecast model",
                _d(2, 16), _d(2, 26), ("research",)),
    PlannedTask("evaluation", "data_analytics", "wrap", "數據統計與效果評估 Data consolidation and impact evaluation",
                _d(3, 8), _d(3, 10), ("launch",)),
    PlannedTask("nps-survey", "data_analytics", "wrap", "用戶滿意度（NPS）調研 Satisfaction (NPS) survey",
                _d(3, 8), _d(3, 11), ("launch",)),
    PlannedTask("impact-report", "data_analytics", "wrap", "效果評估報告與技術迭代建議 Impact report and tech proposals",
                _d(3, 13), _d(3, 15), ("retro", "nps-survey")),
    # 預算管控組 Budget control (finance)
    PlannedTask("budget", "finance", "prep", "預算編制與三方會簽 Budget plan and three-way sign-off",
                _d(2, 10), _d(2, 14)),
    PlannedTask("procurement", "finance", "warmup", "權益採購與供應商合同 Benefit procurement and supplier contracts",
                _d(2, 20), _d(2, 24), ("budget", "packages")),
    PlannedTask("reallocation", "finance", "exec", "渠道預算動態調配 Daily budget shift to converting channels",
                _d(3, 2), _d(3, 7), ("procurement",)),
    PlannedTask("settlement", "finance", "wrap", "費用結算與決算 Settlement and final accounts",
                _d(3, 8), _d(3, 9), ("reallocation",)),
]  # fmt: skip

# type, name, reach target, conversion target %, note
WD_2027_CHANNELS = [
    ("app_push", "APP彈窗與推送 App pop-ups and push", 9_600_000, "5",
     "觸達率≥80% reach ≥ 80 % of 12 M targeted women · 10 push rounds"),
    ("sms", "短信推送 SMS", 9_600_000, "2", "觸達率≥80% reach ≥ 80 % of 12 M targeted women · 10 rounds"),
    ("offline_store", "3,000 家重點營業廳 Key stores", 600_000, "10",
     "3,000 stores with a 女神體驗區 Women's zone; store training done by 1 March"),
    ("partner", "聯名美妝品牌 Co-branded beauty brands", 1_500_000, "30",
     "3 leading beauty brands · 兌換率 redemption ≥ 30 % · cost per co-branded member < 38 CNY"),
    ("partner", "健身與餐飲夥伴 Fitness and dining partners", 500_000, None,
     "私教課、女神節專屬優惠券 Personal-training classes and Women's Day dining coupons"),
    ("social", "KOL話題 #3.7最想收到的通信福利# KOL topic", 5_000_000, "3",
     "Warm-up 2/20–2/26 · invite 3 friends for extra data (社交裂變)"),
    ("content", "H5互動遊戲「猜女神專屬流量包」 H5 guessing game", 2_000_000, "8", "Warm-up teaser on the H5 page"),
]  # fmt: skip

# name, kind, unit, direction, baseline, target; baselines are last year's results or the seed's routine levels
WD_2027_KPIS = [
    ("新增女性用戶 New female users", "count", "users", "higher", "860000", "1200000"),
    ("會員轉化率 Member conversion", "member_conversion", "%", "higher", "13", "25"),
    ("凈推薦值 NPS", "nps", "", "higher", "52", "68"),
    ("權益兌換率 Benefit redemption rate", "redemption_rate", "%", "higher", "26.1", "30"),
    ("APP下單轉化率 APP order conversion", "conversion_rate", "%", "higher", None, "18.6"),
    ("獲客成本 CAC", "cac", "CNY", "lower", "58", "25"),
]

# KPI name, date, actual, forecast. Actuals only where they are already known (before the demo's "today"):
# the routine member conversion and the last NPS survey; everything in 2027 is a forecast.
WD_2027_READINGS = [
    ("會員轉化率 Member conversion", _d(10, 31, 2026), "13", None),
    ("凈推薦值 NPS", _d(11, 16, 2026), "52", None),
    ("新增女性用戶 New female users", _d(2, 26), None, "120000"),
    ("新增女性用戶 New female users", _d(3, 2), None, "200000"),
    ("新增女性用戶 New female users", _d(3, 7), None, "950000"),
    ("新增女性用戶 New female users", _d(3, 15), None, "1200000"),
    ("會員轉化率 Member conversion", _d(3, 7), None, "21"),
    ("會員轉化率 Member conversion", _d(3, 15), None, "25"),
    ("凈推薦值 NPS", _d(3, 15), None, "68"),
    ("權益兌換率 Benefit redemption rate", _d(3, 7), None, "22"),
    ("權益兌換率 Benefit redemption rate", _d(3, 15), None, "30"),
    ("APP下單轉化率 APP order conversion", _d(3, 4), None, "15"),
    ("APP下單轉化率 APP order conversion", _d(3, 7), None, "18.6"),
    ("獲客成本 CAC", _d(3, 15), None, "25"),
]


# --- WD-2026: last year's campaign, from the festival playbook -----------------------------------------------------

WD_2026_NAME = "2026 女神節 Women's Day 2026"
WD_2026_OBJECTIVE = (
    "到2026年3月15日新增女性用戶100萬，會員轉化率25%，權益兌換率30%，NPS提升至60。\n"
    "By 15 March 2026, win 1 M new female users, convert 25 % of them to members, reach 30 % benefit redemption "
    "and lift NPS to 60."
)
# KPI name (as in the festival playbook): baseline
WD_2026_BASELINES = {"NPS": "48"}
# KPI name, date, actual, forecast: the mid-campaign member conversion missed its forecast by more than 15 %
# (and set off the review the seed asks for); the final readings landed within it.
WD_2026_READINGS = [
    ("NPS", _d(1, 20, 2026), "48", None),
    ("新增用戶 New users", _d(3, 4, 2026), "410000", "450000"),
    ("新增用戶 New users", _d(3, 7, 2026), "720000", "800000"),
    ("新增用戶 New users", _d(3, 15, 2026), "860000", "1000000"),
    ("會員轉化率 Member conversion", _d(3, 4, 2026), "12.6", "18"),
    ("會員轉化率 Member conversion", _d(3, 15, 2026), "14.8", "15.5"),
    ("權益兌換率 Redemption rate", _d(3, 7, 2026), "22.4", "25"),
    ("權益兌換率 Redemption rate", _d(3, 15, 2026), "26.1", "28"),
    ("NPS", _d(3, 15, 2026), "52", "55"),
]

# --- CE-2027Q1: the outsider team's campaign, from the launch playbook ---------------------------------------------

CE_NAME = "渠道拓展 Q1 Channel expansion"
CE_OBJECTIVE = (
    "到2027年2月7日，新簽約合作渠道200家，電商與直播渠道下單轉化率達18%，獲客成本不高於25元。\n"
    "By 7 February 2027, sign 200 new partner outlets, reach 18 % order conversion on e-commerce and live "
    "streaming, and keep customer acquisition cost at or below 25 CNY."
)
CE_START = _d(1, 11)
CE_READINGS = [
    ("下單轉化率 Order conversion", _d(1, 24), None, "12"),
    ("下單轉化率 Order conversion", _d(2, 7), None, "18"),
    ("獲客成本 CAC", _d(2, 7), None, "25"),
]


# --- Seeding ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def seed_campaigns(users: dict[str, User]) -> None:
    """Create the demo campaigns that do not exist yet (looked up by code); existing ones are left as they are."""
    services.playbooks_sync_builtin()
    existing = set(Campaign.objects.filter(code__in=DEMO_CAMPAIGN_CODES).values_list("code", flat=True))
    departments = {d.code: d for d in Department.objects.filter(code__in=WD_DEPARTMENTS)}
    task_force = Team.objects.get(code=TASK_FORCE_CODE)
    if WD_2026 not in existing:
        _seed_wd_2026(users, task_force, departments)
    if WD_2027 not in existing:
        _seed_wd_2027(users, task_force, departments)
    if CE_2027Q1 not in existing:
        _seed_channel_expansion(users, Team.objects.get(code=OTHER_TEAM_CODE))


def _seed_wd_2027(users: dict[str, User], team: Team, departments: dict[str, Department]) -> Campaign:
    phases = {key: (name, start, end) for key, name, start, end in WD_2027_PHASES}
    start, end = WD_2027_PHASES[0][2], WD_2027_PHASES[-1][3]
    campaign = services.campaign_create(
        actor=users["lead"],
        team=team,
        code=WD_2027,
        name=WD_2027_NAME,
        objective=WD_2027_OBJECTIVE,
        start_date=start,
        end_date=end,
        lead=users["lead"],
        departments=[departments[code] for code in WD_DEPARTMENTS],
        time_zone="Asia/Shanghai",
        # Its phases follow the festival playbook (plus the seed's warm-up), whose budget categories and risk
        # checklist the budget and risk registers start from.
        playbook=Playbook.objects.get(code="festival"),
    )
    services.campaign_transition(campaign=campaign, actor=users["lead"], status=CampaignStatus.PLANNING)

    owners = {group: users[username] for group, username in GROUP_OWNERS.items()}
    _check_plan(campaign, WD_2027_TASKS, owners)

    phase_rows = {
        key: Phase(campaign=campaign, name=name, order=order, start_date=p_start, end_date=p_end)
        for order, (key, (name, p_start, p_end)) in enumerate(phases.items(), start=1)
    }
    Phase.objects.bulk_create(phase_rows.values())
    Milestone.objects.bulk_create(
        Milestone(campaign=campaign, phase=phase_rows[phase], name=name, due_date=due, deliverable=deliverable)
        for phase, name, due, deliverable in WD_2027_MILESTONES
    )
    task_rows = {
        t.key: Task(
            campaign=campaign,
            phase=phase_rows[t.phase],
            title=t.title,
            owner=owners[t.department],
            department=departments[t.department],
            start_date=t.start,
            due_date=t.due,
        )
        for t in WD_2027_TASKS
    }
    Task.objects.bulk_create(task_rows.values())
    TaskDependency.objects.bulk_create(
        TaskDependency(predecessor=task_rows[pred], successor=task_rows[t.key])
        for t in WD_2027_TASKS
        for pred in t.depends_on
    )
    Channel.objects.bulk_create(
        Channel(
            campaign=campaign,
            type=kind,
            name=name,
            reach_target=reach,
            conversion_target=Decimal(conversion) if conversion else None,
            note=note,
        )
        for kind, name, reach, conversion, note in WD_2027_CHANNELS
    )
    kpis = {
        name: Kpi(
            campaign=campaign,
            name=name,
            kind=kind,
            unit=unit,
            direction=direction,
            baseline=Decimal(baseline) if baseline else None,
            target=Decimal(target),
        )
        for name, kind, unit, direction, baseline, target in WD_2027_KPIS
    }
    Kpi.objects.bulk_create(kpis.values())
    _add_readings(kpis, WD_2027_READINGS, recorded_by=users["deputy"])
    return campaign


def _seed_wd_2026(users: dict[str, User], team: Team, departments: dict[str, Department]) -> Campaign:
    lead = users["lead"]
    campaign = services.campaign_create_from_playbook(
        actor=lead,
        team=team,
        playbook=Playbook.objects.get(code="festival"),
        code=WD_2026,
        name=WD_2026_NAME,
        start_date=_d(2, 10, 2026),
        objective=WD_2026_OBJECTIVE,
        lead=lead,
    )
    campaign.departments.set([departments[code] for code in WD_DEPARTMENTS])
    owners = {group: users[username] for group, username in GROUP_OWNERS.items()}
    tasks = list(Task.objects.filter(campaign=campaign).select_related("department"))
    for task in tasks:
        task.owner = owners[task.department.code] if task.department else lead
        task.status = TaskStatus.DONE
        task.progress = 100
    _check_owners(campaign, {t.owner for t in tasks})
    Task.objects.bulk_update(tasks, ["owner", "status", "progress"])
    milestones = list(Milestone.objects.filter(campaign=campaign))
    for milestone in milestones:
        milestone.done, milestone.done_on = True, milestone.due_date
    Milestone.objects.bulk_update(milestones, ["done", "done_on"])
    kpis = {k.name: k for k in Kpi.objects.filter(campaign=campaign)}
    for name, baseline in WD_2026_BASELINES.items():
        kpis[name].baseline = Decimal(baseline)
    Kpi.objects.bulk_update(kpis.values(), ["baseline"])
    _add_readings(kpis, WD_2026_READINGS, recorded_by=users["deputy"])
    for status in (CampaignStatus.PLANNING, CampaignStatus.ACTIVE, CampaignStatus.CLOSING, CampaignStatus.CLOSED):
        campaign = services.campaign_transition(campaign=campaign, actor=lead, status=status)
    return campaign


def _seed_channel_expansion(users: dict[str, User], team: Team) -> Campaign:
    outsider = users["outsider"]
    campaign = services.campaign_create_from_playbook(
        actor=outsider,
        team=team,
        playbook=Playbook.objects.get(code="launch"),
        code=CE_2027Q1,
        name=CE_NAME,
        start_date=CE_START,
        objective=CE_OBJECTIVE,
        lead=outsider,
    )
    campaign.departments.set(Department.objects.filter(code__in=["channel_operations", "marketing"]))
    # The team has one person so far: the lead owns every task.
    Task.objects.filter(campaign=campaign).update(owner=outsider)
    _add_readings({k.name: k for k in Kpi.objects.filter(campaign=campaign)}, CE_READINGS, recorded_by=outsider)
    return services.campaign_transition(campaign=campaign, actor=outsider, status=CampaignStatus.PLANNING)


def _add_readings(kpis: dict[str, Kpi], rows: Sequence[tuple], *, recorded_by: User) -> None:
    KpiReading.objects.bulk_create(
        KpiReading(
            kpi=kpis[name],
            date=date,
            actual=Decimal(actual) if actual is not None else None,
            forecast=Decimal(forecast) if forecast is not None else None,
            recorded_by=recorded_by,
        )
        for name, date, actual, forecast in rows
    )


def _check_owners(campaign: Campaign, owners: set[User]) -> None:
    allowed = set(User.objects.filter(services.campaign_members(campaign)).values_list("pk", flat=True))
    strangers = sorted(o.username for o in owners if o.pk not in allowed)
    if strangers:
        raise ApplicationError(
            errors={"owner": f"Not a lead, deputy or member of {campaign.team.code}: {', '.join(strangers)}"}
        )


def _check_plan(campaign: Campaign, tasks: Sequence[PlannedTask], owners: dict[str, User]) -> None:
    """The rules ``task_save`` checks row by row, for the whole plan at once: dates inside the campaign and in
    order, owners from the team, no dependency cycle, and every predecessor due before its successor starts."""
    by_key = {t.key: t for t in tasks}
    for t in tasks:
        if not campaign.start_date <= t.start <= t.due <= campaign.end_date:
            raise ApplicationError(errors={"due_date": f"{t.key}: dates outside the campaign or reversed"})
        for pred in t.depends_on:
            if by_key[pred].due >= t.start:
                raise ApplicationError(errors={"depends_on": f"{t.key} starts before {pred} is due"})
    _check_owners(campaign, {owners[t.department] for t in tasks})
    try:
        topological_order(list(by_key), [(pred, t.key) for t in tasks for pred in t.depends_on])
    except CycleError as exc:
        raise ApplicationError(errors={"depends_on": f"cycle: {exc}"}) from None
