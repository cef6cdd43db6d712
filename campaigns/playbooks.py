"""The built-in playbooks (SPEC 3) and the shape of a playbook definition.

A definition is JSON: phases, milestones and tasks carry day offsets from the
campaign's start (0 = the first day) and durations in days; tasks name their
dependencies by ``key``. KPIs, channels, budget categories and a risk
checklist come with it; budgets and risks use the latter two when those apps
build a campaign's first budget and register.
"""

from __future__ import annotations

from typing import Any

FESTIVAL: dict[str, Any] = {
    "code": "festival",
    "name": "節日營銷活動 Festival campaign",
    "description": "準備期 → 執行期 → 收尾期, after the Women's Day plan: research and build, a week of execution, "
    "then evaluation and the retrospective report.",
    "definition": {
        "phases": [
            {"key": "prep", "name": "準備期 Preparation", "offset": 0, "duration": 20},
            {"key": "exec", "name": "執行期 Execution", "offset": 20, "duration": 6},
            {"key": "wrap", "name": "收尾期 Wrap-up", "offset": 26, "duration": 8},
        ],
        "milestones": [
            {"phase": "prep", "name": "權益包設計方向確定 Benefit packages decided", "offset": 9,
             "deliverable": "用戶需求洞察報告 User-needs insight report"},
            {"phase": "prep", "name": "物料終稿交付 Final creatives delivered", "offset": 15,
             "deliverable": "主視覺、H5、海報 Key visual, H5 page, posters"},
            {"phase": "prep", "name": "功能驗收 Platform acceptance", "offset": 19,
             "deliverable": "驗收報告 Acceptance report"},
            {"phase": "exec", "name": "活動上線 Campaign live", "offset": 20, "deliverable": "活動FAQ知識庫 Campaign FAQ"},
            {"phase": "wrap", "name": "復盤報告提交 Retrospective report submitted", "offset": 30,
             "deliverable": "活動復盤報告 Retrospective report"},
        ],
        "tasks": [
            {"key": "research", "phase": "prep", "title": "用戶調研 User research (5,000 questionnaires)",
             "offset": 0, "duration": 7, "department": "data_analytics", "depends_on": []},
            {"key": "design", "phase": "prep", "title": "權益包設計 Benefit package design",
             "offset": 7, "duration": 3, "department": "marketing", "depends_on": ["research"]},
            {"key": "platform", "phase": "prep", "title": "技術平臺開發 Platform development (tags, redemption)",
             "offset": 3, "duration": 14, "department": "tech", "depends_on": []},
            {"key": "creative", "phase": "prep", "title": "物料設計製作 Creative production",
             "offset": 10, "duration": 6, "department": "marketing", "depends_on": ["design"]},
            {"key": "test", "phase": "prep", "title": "系統聯調測試 Integration testing",
             "offset": 17, "duration": 3, "department": "tech", "depends_on": ["platform"]},
            {"key": "training", "phase": "prep", "title": "客服培訓 Customer-service training",
             "offset": 16, "duration": 3, "department": "customer_service", "depends_on": ["design"]},
            {"key": "launch", "phase": "exec", "title": "全渠道上線推廣 Launch across channels",
             "offset": 20, "duration": 6, "department": "channel_operations",
             "depends_on": ["creative", "test", "training"]},
            {"key": "evaluate", "phase": "wrap", "title": "數據統計與效果評估 Data and impact evaluation",
             "offset": 26, "duration": 4, "department": "data_analytics", "depends_on": ["launch"]},
            {"key": "report", "phase": "wrap", "title": "活動復盤報告 Retrospective report",
             "offset": 30, "duration": 3, "department": "marketing", "depends_on": ["evaluate"]},
        ],
        "kpis": [
            {"name": "新增用戶 New users", "kind": "count", "unit": "", "direction": "higher", "target": "1000000"},
            {"name": "會員轉化率 Member conversion", "kind": "member_conversion", "unit": "%", "direction": "higher",
             "target": "25"},
            {"name": "權益兌換率 Redemption rate", "kind": "redemption_rate", "unit": "%", "direction": "higher",
             "target": "30"},
            {"name": "NPS", "kind": "nps", "unit": "", "direction": "higher", "target": "60"},
        ],
        "channels": [
            {"type": "app_push", "name": "APP推送 App push", "reach_target": 1000000, "conversion_target": "5"},
            {"type": "sms", "name": "短信 SMS", "reach_target": 1000000, "conversion_target": "2"},
            {"type": "offline_store", "name": "營業廳 Stores", "reach_target": 200000, "conversion_target": "10"},
        ],
        "budget_categories": ["tech_development", "channel_promotion", "benefits_procurement", "materials",
                              "partner_reserve", "emergency"],
        "risk_checklist": [
            {"title": "用戶審美疲勞 User fatigue with the theme", "category": "market"},
            {"title": "技術平臺故障 Platform failure at peak", "category": "technical"},
            {"title": "異業合作失效 Partner fails to deliver benefits", "category": "partner"},
            {"title": "數據合規 Personal-data compliance", "category": "compliance"},
        ],
    },
}  # fmt: skip

LAUNCH: dict[str, Any] = {
    "code": "launch",
    "name": "新品上市活動 Launch campaign",
    "description": "預熱期 → 爆發期 → 持續期: build anticipation, a burst of conversion, then retain with the "
    "membership programme.",
    "definition": {
        "phases": [
            {"key": "warmup", "name": "預熱期 Warm-up", "offset": 0, "duration": 7},
            {"key": "burst", "name": "爆發期 Burst", "offset": 7, "duration": 7},
            {"key": "sustain", "name": "持續期 Sustain", "offset": 14, "duration": 14},
        ],
        "milestones": [
            {"phase": "warmup", "name": "預熱內容上線 Teasers live", "offset": 2, "deliverable": "懸念式內容 Teaser content"},
            {"phase": "burst", "name": "正式發布 Launch day", "offset": 7, "deliverable": "發布會 Launch event"},
            {"phase": "sustain", "name": "效果評估 Results review", "offset": 27, "deliverable": "評估報告 Results report"},
        ],
        "tasks": [
            {"key": "teaser", "phase": "warmup", "title": "懸念式營銷 Teaser campaign", "offset": 0, "duration": 3,
             "department": "marketing", "depends_on": []},
            {"key": "kol", "phase": "warmup", "title": "KOL話題合作 KOL topic partnership", "offset": 2, "duration": 5,
             "department": "channel_operations", "depends_on": ["teaser"]},
            {"key": "landing", "phase": "warmup", "title": "落地頁與下單鏈路 Landing page and checkout", "offset": 0,
             "duration": 6, "department": "tech", "depends_on": []},
            {"key": "burst", "phase": "burst", "title": "場景化權益包投放 Scenario bundles in market", "offset": 7,
             "duration": 7, "department": "marketing", "depends_on": ["kol", "landing"]},
            {"key": "members", "phase": "sustain", "title": "會員成長任務 Member growth tasks", "offset": 14,
             "duration": 10, "department": "customer_service", "depends_on": ["burst"]},
            {"key": "review", "phase": "sustain", "title": "效果評估 Results review", "offset": 24, "duration": 4,
             "department": "data_analytics", "depends_on": ["members"]},
        ],
        "kpis": [
            {"name": "下單轉化率 Order conversion", "kind": "conversion_rate", "unit": "%", "direction": "higher",
             "target": "18"},
            {"name": "獲客成本 CAC", "kind": "cac", "unit": "CNY", "direction": "lower", "target": "25"},
            {"name": "ROI", "kind": "roi", "unit": "%", "direction": "higher", "target": "150"},
        ],
        "channels": [
            {"type": "social", "name": "社交媒體 Social", "reach_target": 500000, "conversion_target": "3"},
            {"type": "ecommerce", "name": "電商 E-commerce", "reach_target": 300000, "conversion_target": "6"},
            {"type": "live", "name": "直播 Live streaming", "reach_target": 200000, "conversion_target": "8"},
        ],
        "budget_categories": ["advertising", "channel_promotion", "materials", "emergency"],
        "risk_checklist": [
            {"title": "熱度不足 Launch fails to draw attention", "category": "market"},
            {"title": "輿情風險 Negative public opinion", "category": "public_opinion"},
            {"title": "供貨不足 Supply shortfall", "category": "supply_chain"},
        ],
    },
}  # fmt: skip

BUILTIN_PLAYBOOKS = (FESTIVAL, LAUNCH)
