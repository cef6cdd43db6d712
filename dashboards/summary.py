"""The printable campaign summary (issue #8, Reports): everything a steering meeting needs on paper, read from
the campaign and from the budgets, risks and reviews apps — each part limited to what the reader may see there.
A fixed number of queries, however large the campaign.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from budgets.models import Budget, Decision, LineCategory
from budgets.permissions import budget_policy
from budgets.selectors import burn_level, burn_pct, lines_with_spent, signoff_rows
from campaigns import selectors
from campaigns.health import campaign_health
from campaigns.models import Campaign, Task
from reviews.models import Meeting
from reviews.permissions import meeting_policy
from risks.alerts import alert_badge
from risks.models import LIVE_STATUSES, Band, Risk
from risks.permissions import risk_policy

# Bands from the most to the least severe, as the summary lists them.
BAND_ORDER = ("critical", "high", "medium", "low")


@dataclass
class BudgetSummary:
    budget: Any
    signoffs: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    line_sum: Decimal
    spent: Decimal
    burn: Decimal
    burn_level: str
    approvals: int


@dataclass
class RiskSummary:
    bands: list[dict[str, Any]]  # {"band", "label", "risks"} for every band with open risks, most severe first
    open_count: int
    closed_count: int
    alerts: dict[str, int] = field(default_factory=dict)  # alert level -> open risks at it


@dataclass
class MinutesSummary:
    meeting: Any
    minutes: str
    action_items: list[Any]


def budget_summary(*, campaign: Campaign, user: Any) -> BudgetSummary | None:
    """The newest budget version the user may see, its sign-offs and its burn per category (four queries)."""
    budget = (
        budget_policy.visible(user, Budget.objects.filter(campaign=campaign))
        .select_related("campaign")
        .order_by("-version")
        .first()
    )
    if budget is None:
        return None
    lines = lines_with_spent(budget)
    signoffs = list(budget.signoffs.select_related("signer").order_by("signed_at", "id"))
    by_category: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"amount": Decimal(0), "spent": Decimal(0)})
    for line in lines:
        by_category[line.category]["amount"] += line.amount
        by_category[line.category]["spent"] += line.spent
    categories = []
    for code, label in LineCategory.choices:  # the categories' own order, as on the budget page
        if code not in by_category:
            continue
        figures = by_category[code]
        burn = burn_pct(figures["spent"], figures["amount"])
        categories.append({"category": code, "label": label, **figures, "burn": burn, "burn_level": burn_level(burn)})
    line_sum = sum((line.amount for line in lines), Decimal(0))
    spent = sum((line.spent for line in lines), Decimal(0))
    burn = burn_pct(spent, line_sum)
    return BudgetSummary(
        budget=budget,
        signoffs=signoff_rows(budget, signoffs),
        categories=categories,
        line_sum=line_sum,
        spent=spent,
        burn=burn,
        burn_level=burn_level(burn),
        approvals=sum(1 for s in signoffs if s.decision == Decision.APPROVE),
    )


def risk_summary(*, campaign: Campaign, user: Any, today: dt.date) -> RiskSummary | None:
    """Open risks grouped by band (most severe first, highest score first within a band), with alert levels
    (one query)."""
    risks = list(
        risk_policy.visible(user, Risk.objects.filter(campaign=campaign))
        .select_related("owner")
        .order_by("-score", "expected_date", "pk")
    )
    open_risks = [r for r in risks if r.status in LIVE_STATUSES]
    grouped: dict[str, list[Any]] = defaultdict(list)
    alerts: dict[str, int] = defaultdict(int)
    for risk in open_risks:
        risk.alert = alert_badge(risk, today)
        grouped[risk.band].append(risk)
        alerts[risk.alert_level] += 1
    return RiskSummary(
        bands=[{"band": b, "label": Band(b).label, "risks": grouped[b]} for b in BAND_ORDER if grouped.get(b)],
        open_count=len(open_risks),
        closed_count=len(risks) - len(open_risks),
        alerts=dict(alerts),
    )


def latest_minutes(*, campaign: Campaign, user: Any) -> MinutesSummary | None:
    """The most recently published minutes of the campaign's meetings, with their action items (two queries)."""
    meeting = (
        meeting_policy.visible(user, Meeting.objects.filter(series__campaign=campaign, published_at__isnull=False))
        .select_related("series")
        .order_by("-published_at", "-pk")
        .first()
    )
    if meeting is None:
        return None
    items = list(meeting.action_items.select_related("owner").order_by("due_date", "pk"))
    return MinutesSummary(meeting=meeting, minutes=meeting.minutes, action_items=items)


def campaign_summary(*, campaign: Campaign, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """What the summary page shows; ``campaign`` comes from the permissions helper (the reader may read it)."""
    today = today or selectors.campaign_today(campaign)
    schedule = selectors.campaign_schedule(campaign=campaign, today=today)
    phases = selectors.campaign_phases(campaign=campaign, schedule=schedule, today=today)
    tasks = {t.pk: t for t in Task.objects.filter(campaign=campaign).select_related("owner")}
    critical = [tasks[pk] for pk in schedule.critical_path if pk in tasks]
    times = schedule.by_task()
    health = campaign_health(campaign)
    return {
        "today": today,
        "phases": [
            {**selectors.phase_row(ps), "milestones": sorted(ps.milestones, key=lambda m: (m.due_date, m.pk))}
            for ps in phases
        ],
        "schedule": schedule,
        "critical_tasks": [{"task": t, "times": times.get(t.pk), "late": t.is_late(today)} for t in critical],
        "campaign_health": health,
        "slip_days": health.slip_days,
        "kpis": selectors.campaign_kpis(campaign=campaign),
        "budget": budget_summary(campaign=campaign, user=user),
        "risks": risk_summary(campaign=campaign, user=user, today=today),
        "minutes": latest_minutes(campaign=campaign, user=user),
    }
