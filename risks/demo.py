"""Risks of the demo campaigns, from the seed plan (SPEC 5 demo): expected dates are counted from the day
seed_demo runs, so the register shows every alert level. Idempotent: campaigns with risks are skipped."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Task
from teams.models import User

from .services import risk_save

# (title, category, probability, impact, days from today or None, status, owner, cost CNY, slip days, task title prefix,
#  contingency plan)
WD_2027_RISKS = [
    ("技術平臺故障 Platform failure at the 3/8 peak", "technical", 3, 5, 2, "open", "deputy", "1500000", 3,
     "技術開發", "雙活數據中心、備用線路；5名高級工程師+3名運維專家待命，故障恢復≤15分鐘。Active-active data centres, "
     "standby lines; 5 senior engineers and 3 SREs on call; recovery within 15 minutes."),
    ("用戶審美疲勞 User fatigue with a repeated theme", "market", 3, 4, 3, "open", "staff", "800000", None, None,
     "快速迭代：調研-設計-上線循環≤7天；跨界聯名（非遺手工藝）。Rapid iteration (≤ 7 days a round); cross-over "
     "co-branding."),
    ("品牌協同失效 Partner brands fail to deliver benefits", "partner", 2, 4, 5, "monitoring", "lead", "1200000", 2,
     "渠道對接", "《合作協議》明確KPI與違約條款；第三方仲裁（行業協會）。KPIs and penalties in the partner agreement; "
     "industry-association arbitration."),
    ("數據合規風險 Personal-data compliance (等保2.0 level 3)", "compliance", 2, 5, 0, "open", "deputy", "500000", None,
     None, "彈窗同意、TLS1.3傳輸、敏感信息授權文件。Consent pop-ups, TLS 1.3, legal basis for sensitive data."),
    ("輿情風險 Negative social-media reaction", "public_opinion", 2, 3, 6, "open", "staff", "300000", None, None,
     "輿情監測與24小時回應機制。Monitoring and a 24-hour response protocol."),
    ("流量包供貨不足 Data-pack supply shortfall", "supply_chain", 1, 3, 30, "open", "lead", "400000", None, None,
     "集中採購、備選供應商。Central purchasing and a back-up supplier."),
    ("客服話務高峰 Call-centre overload on launch day", "resource", 4, 3, None, "occurred", "staff", "200000", 1,
     "客服", "增配30名話務專員、智能客服分流。30 extra agents and chatbot triage."),
    ("去年主題重複 Theme too close to last year's", "market", 2, 2, 12, "mitigated", "lead", None, None, None,
     "已採用新主題「她的專屬權益」。New theme adopted."),
]  # fmt: skip

CE_RISKS = [
    ("渠道商配合度低 Channel partners slow to sign", "partner", 3, 3, 4, "open", "outsider", "200000", None, None,
     "分級激勵政策。Tiered incentives."),
]  # fmt: skip


def _seed(campaign: Campaign, rows: list[tuple], users: dict[str, User], today: dt.date) -> None:
    actor = campaign.lead
    for title, category, p, i, days, status, owner, cost, slip, task_prefix, plan in rows:
        task = Task.objects.filter(campaign=campaign, title__startswith=task_prefix).first() if task_prefix else None
        risk_save(
            campaign=campaign,
            actor=actor,
            title=title,
            category=category,
            probability=p,
            impact=i,
            expected_date=today + dt.timedelta(days=days) if days is not None else None,
            status=status,
            owner=users[owner],
            cost_impact=cost,
            schedule_impact_days=slip,
            task=task,
            contingency_plan=plan,
        )


@transaction.atomic
def seed_risks(users: dict[str, User]) -> None:
    for code, rows in (("WD-2027", WD_2027_RISKS), ("CE-2027Q1", CE_RISKS)):
        campaign = Campaign.objects.filter(code=code).select_related("lead").first()
        if campaign is None or campaign.risks.exists():
            continue
        from .alerts import today_in

        _seed(campaign, rows, users, today_in(campaign.time_zone, timezone.now()))
