"""The budget part of the demo (SPEC 2.1): WD-2027's 30 M CNY budget awaiting sign-off, last year's approved
and spent budget, and a draft for the outsider's campaign. Idempotent: campaigns that have a budget are skipped."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from campaigns.models import Campaign, Channel
from teams.models import User

from .models import Budget
from .services import budget_create, budget_submit, expense_record, signoff_record

# SPEC 4: the seed's figures with channel promotion corrected to 7 M, so rigid = 22 M and the total 28 M
# sits under the 30 M cap, with a 4 M reserve (partner 3 M + emergency 1 M) above the 10 % requirement.
WD_2027_LINES = [
    {"category": "tech_development", "kind": "rigid", "amount": "8000000.00", "note": "用戶標簽系統、權益兌換模塊 Tags and redemption"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "7000000.00", "note": "APP、短信、營業廳 App, SMS, stores"},
    {"category": "benefits_procurement", "kind": "rigid", "amount": "7000000.00", "note": "流量包、話費折扣 Data packs, discounts"},
    {"category": "materials", "kind": "flexible", "amount": "2000000.00", "note": "主視覺、H5、海報 Creatives"},
    {"category": "partner_reserve", "kind": "flexible", "amount": "3000000.00", "note": "異業合作 Partner reserve"},
    {"category": "emergency", "kind": "flexible", "amount": "1000000.00", "note": "應急資金 Emergency"},
]  # fmt: skip

# Channel promotion (6.5 M) is split over the festival playbook's three channels (by name), so that the channel
# returns page (dashboards/channel_returns.py) has spend per channel to set against the members each brought in.
WD_2026_LINES = [
    {"category": "tech_development", "kind": "rigid", "amount": "6000000.00"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "2600000.00", "channel": "APP推送 App push"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "1900000.00", "channel": "短信 SMS"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "2000000.00", "channel": "營業廳 Stores"},
    {"category": "benefits_procurement", "kind": "rigid", "amount": "5500000.00"},
    {"category": "materials", "kind": "flexible", "amount": "1500000.00"},
    {"category": "partner_reserve", "kind": "flexible", "amount": "1500000.00"},
    {"category": "emergency", "kind": "flexible", "amount": "1000000.00"},
]

# WD-2026's actual spend: (category, channel name or None, amount, date, description)
WD_2026_SPEND = [
    ("tech_development", None, "5400000.00", dt.date(2026, 2, 25), "平臺開發結算 Platform development"),
    ("channel_promotion", "APP推送 App push", "2500000.00", dt.date(2026, 3, 8), "APP推送 App push rounds"),
    ("channel_promotion", "短信 SMS", "1800000.00", dt.date(2026, 3, 8), "短信 SMS rounds"),
    ("channel_promotion", "營業廳 Stores", "1800000.00", dt.date(2026, 3, 8), "營業廳 Store promotion"),
    ("benefits_procurement", None, "5300000.00", dt.date(2026, 3, 9), "權益採購 Benefits"),
    ("materials", None, "1420000.00", dt.date(2026, 2, 26), "物料製作 Creatives (95 %)"),
    ("partner_reserve", None, "800000.00", dt.date(2026, 3, 5), "異業合作 Partner co-funding"),
]

CE_LINES = [
    {"category": "advertising", "kind": "rigid", "amount": "1200000.00"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "900000.00"},
    {"category": "materials", "kind": "flexible", "amount": "300000.00"},
    {"category": "emergency", "kind": "flexible", "amount": "300000.00"},
]


@transaction.atomic
def seed_budgets(users: dict[str, User]) -> None:
    lead = users["lead"]
    wd_2026 = Campaign.objects.filter(code="WD-2026").first()
    if wd_2026 is not None and not Budget.objects.filter(campaign=wd_2026).exists():
        channels = dict(Channel.objects.filter(campaign=wd_2026).values_list("name", "pk"))
        lines = [{**line, "channel": channels.get(line.get("channel"))} for line in WD_2026_LINES]
        budget = budget_create(actor=lead, campaign=wd_2026, total="22000000.00", lines=lines,
                               note="2026 女神節預算 Women's Day 2026 budget")  # fmt: skip
        budget_submit(budget=budget, actor=lead)
        for username, role in (("finance", "finance"), ("marketing", "marketing"), ("tech", "tech")):
            signoff_record(budget=budget, signer=users[username], role=role, decision="approve", comment="OK")
        budget.refresh_from_db()
        by_line = {(line.category, line.channel_id): line for line in budget.lines.all()}
        for category, channel, amount, date, description in WD_2026_SPEND:
            line = by_line[(category, channels.get(channel))]
            expense_record(line=line, actor=lead, amount=amount, date=date, description=description)

    wd_2027 = Campaign.objects.filter(code="WD-2027").first()
    if wd_2027 is not None and not Budget.objects.filter(campaign=wd_2027).exists():
        budget = budget_create(actor=lead, campaign=wd_2027, total="30000000.00", lines=WD_2027_LINES,
                               note="總預算≤3000萬元；剛性2200萬、彈性600萬，風險準備金10% Cap 30 M, reserve 10 %")  # fmt: skip
        budget_submit(budget=budget, actor=lead)

    ce = Campaign.objects.filter(code="CE-2027Q1").first()
    if ce is not None and not Budget.objects.filter(campaign=ce).exists():
        budget_create(actor=users["outsider"], campaign=ce, total="3000000.00", lines=CE_LINES)
