"""The campaign overview (SPEC 8 "Dashboards"): the campaign's own plan (phase lights, milestones, late tasks, schedule,
KPIs against target, lifecycle) beside the panels other apps own — budget burn and sign-off, the risk heat map and
open alerts, the next standup — each from that app's selectors, in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from budgets.permissions import budget_policy
from budgets.selectors import campaign_budget_overview, signoff_rows
from campaigns import selectors as campaign_selectors
from campaigns.health import campaign_health
from campaigns.models import Campaign, CampaignStatus, Task
from campaigns.permissions import (
    TRANSITION_LABELS,
    campaign_abilities,
    campaign_read_again,
    creatable_teams,
    get_campaign_for_user,
)
from campaigns.selectors import KpiStatus
from core.pagecache import shared_parts
from reviews.selectors import campaign_next_standup
from risks.models import Risk
from risks.selectors import LIVE, heatmap, open_alerts, risk_counts

NEXT_MILESTONES = 5
LATE_TASKS_SHOWN = 10
ALERTS_SHOWN = 6


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The overview: phase lights, next milestones, late tasks, schedule, KPIs against target, lifecycle.

    Everything under the tabs is the same for every reader with the same access to the campaign, so it is a shared
    part (``core.pagecache.shared_parts``): built once per audience and kept until the tables it read change."""
    campaign = get_campaign_for_user(request.user, pk)
    health = campaign_health(campaign)  # the header's badge; brought up to date here if the day moved on
    whole_team = budget_policy.sees_whole_team(request.user, campaign.team_id)
    audience = (
        campaign.pk,
        int(campaign.access),
        "team" if whole_team else f"user:{request.user.pk}",  # an approver outside the team sees their own versions
        creatable_teams(request.user).exists(),
        campaign_selectors.campaign_today(campaign).isoformat(),
    )

    def build(csrf_token: str) -> dict[str, str]:
        context = _overview_context(request.user, campaign, whole_team=whole_team, can_copy=audience[3])
        context["csrf_token"] = csrf_token
        template = "dashboards/_overview_shared.html"
        return {part: render_to_string(f"{template}#{part}", context) for part in ("head", "content")}

    shared = shared_parts(request, "campaign-overview", audience, build)
    return render(
        request,
        "dashboards/campaign_overview.html",
        {
            "campaign": campaign,
            "active_tab": "overview",
            "campaign_health": health,
            "shared": shared,
        },
    )


def _overview_context(user: Any, campaign: Campaign, *, whole_team: bool, can_copy: bool) -> dict[str, Any]:
    """What the shared parts show, read here from the database (nothing of the reader but the audience)."""
    campaign = campaign_read_again(campaign)
    today = campaign_selectors.campaign_today(campaign)
    schedule = campaign_selectors.campaign_schedule(campaign=campaign, today=today)
    # The campaign's tasks once (without their long descriptions), shared with the phase lights.
    tasks = list(
        Task.objects.filter(campaign=campaign).select_related("owner").defer("description").order_by("due_date", "pk")
    )
    phases = campaign_selectors.campaign_phases(campaign=campaign, schedule=schedule, today=today, tasks=tasks)
    phase_names = {ps.phase.pk: ps.phase.name for ps in phases}

    open_milestones = [m for ps in phases for m in ps.milestones if not m.done]
    upcoming = sorted(open_milestones, key=lambda m: (m.due_date, m.pk))[:NEXT_MILESTONES]
    late = [t for t in tasks if t.is_late(today)]
    titles = {t.pk: t for t in tasks}
    critical = [titles[pk] for pk in schedule.critical_path if pk in titles]

    health = campaign_health(campaign)
    kpis = campaign_selectors.campaign_kpis(campaign=campaign)
    return {
        "campaign": campaign,
        **campaign_abilities(campaign),
        "today": today,
        "phases": [campaign_selectors.phase_row(ps) for ps in phases],
        "upcoming": [
            {
                "milestone": m,
                "phase_name": phase_names.get(m.phase_id, ""),
                "days_left": (m.due_date - today).days,
                "days_overdue": (today - m.due_date).days,
                "overdue": m.due_date < today,
            }
            for m in upcoming
        ],
        "late_tasks": [{"task": t, "days_late": (today - t.due_date).days} for t in late[:LATE_TASKS_SHOWN]],
        "late_more": max(len(late) - LATE_TASKS_SHOWN, 0),
        "task_count": len(tasks),
        "schedule": schedule,
        "critical_tasks": critical,
        "late_critical": sum(1 for t in critical if t.is_late(today)),
        "campaign_health": health,
        "slip_days": health.slip_days,
        "kpis": kpis,
        "kpi_chart": kpi_chart(kpis),
        "transitions": [
            {"status": s, "label": TRANSITION_LABELS[s], "cancel": s == CampaignStatus.CANCELLED}
            for s in campaign.allowed_transitions
        ],
        "can_copy": can_copy,
        **_overview_extras(user, campaign, today, whole_team=whole_team),
    }


def _overview_extras(user: Any, campaign: Campaign, today: Any, *, whole_team: bool) -> dict[str, Any]:
    """The overview's budget (burn against the approved lines and the time elapsed, sign-off state), risk heat
    map with open alerts, and next standup — each from its own app's selectors, a fixed number of queries."""
    budget = campaign_budget_overview(user=user, campaign=campaign, whole_team=whole_team)
    span = (campaign.end_date - campaign.start_date).days + 1
    elapsed = min(max((today - campaign.start_date).days + 1, 0), span)
    by_category: dict[str, dict[str, Any]] = {}
    for line in budget.lines:
        row = by_category.setdefault(line.category, {"label": str(line.get_category_display()), "plan": 0, "spent": 0})
        row["plan"] += float(line.amount)
        row["spent"] += float(line.spent)
    risks = Risk.objects.filter(campaign=campaign)  # the campaign is visible, so all its risks are
    register = reverse("risks:list")
    alerts = list(open_alerts(risks=risks)[: ALERTS_SHOWN + 1])
    return {
        "budget": budget,
        "budget_signoffs": signoff_rows(budget.current, budget.signoffs) if budget.current else [],
        "time_elapsed": round(elapsed * 100 / span) if span > 0 else 0,
        "burn_chart": {
            "labels": {"plan": _("Approved"), "spent": _("Spent"), "axis": _("CNY")},
            "rows": list(by_category.values()),
        },
        "risk_map": heatmap(
            risk_counts(risks=risks),
            cell_url=lambda p, i: f"{register}?campaign={campaign.pk}&status={LIVE}&probability={p}&impact={i}",
        ),
        "open_alerts": alerts[:ALERTS_SHOWN],
        "more_alerts": len(alerts) > ALERTS_SHOWN,
        "risk_register_url": f"{register}?campaign={campaign.pk}&status={LIVE}",
        "standup": campaign_next_standup(campaign=campaign, now=timezone.now()),
    }


def _number(value: Decimal | None) -> str:
    """A KPI value without trailing zeros or exponent, grouped the way the active language writes numbers."""
    if value is None:
        return ""
    value = value.normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return number_format(value, force_grouping=True)


def kpi_chart(kpis: list[KpiStatus]) -> dict[str, Any]:
    """What overview.js draws and the table beside it shows: each KPI's latest actual as a percentage of target."""
    rows = []
    for status in kpis:
        attainment = status.attainment
        rows.append(
            {
                "name": status.kpi.name,
                "unit": status.kpi.unit,
                "target": float(status.kpi.target),
                "actual": float(status.latest_actual) if status.latest_actual is not None else None,
                "target_text": _number(status.kpi.target),
                "actual_text": _number(status.latest_actual),
                "percent": round(float(attainment) * 100, 1) if attainment is not None else None,
                "off_forecast": status.off_forecast,
            }
        )
    return {
        "labels": {
            "actual": _("Latest actual, share of target (%)"),
            "target": _("Target"),
            "axis": _("Share of target (%)"),
            "none": _("no reading yet"),
        },
        "rows": rows,
        "has_readings": any(row["actual"] is not None for row in rows),
    }
