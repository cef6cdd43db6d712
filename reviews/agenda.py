"""The live agenda (SPEC 7): built when a meeting opens, from the campaign's state at that moment — late tasks
and tasks due this week, milestones due in 7 days, risks with alerts, budgets awaiting sign-off, KPIs off
forecast, and open action items carried over from earlier meetings of the series. The chair may then reorder
the items and add their own."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.utils.translation import gettext as _

from budgets.models import Budget, BudgetStatus
from campaigns.models import Milestone, Task, TaskStatus
from campaigns.selectors import campaign_kpis
from risks.models import AlertLevel, Risk, RiskStatus

from .models import ActionItem, Meeting


def agenda_item(kind: str, title: str, url: str = "", **extra: Any) -> dict[str, Any]:
    """One agenda entry: a stable key (``<kind>-<id>``, or a random one for the chair's own items) and its fields."""
    return {"key": f"{kind}-{extra.get('id', uuid.uuid4().hex[:8])}", "kind": kind, "title": title, "url": url, **extra}


def agenda_build(meeting: Meeting) -> list[dict[str, Any]]:
    """The agenda items from live state, in SPEC 7's order (progress, problems, risks)."""
    series = meeting.series
    campaign = series.campaign
    day = meeting.scheduled_at.astimezone(zoneinfo.ZoneInfo(series.timezone)).date()
    week_end = day + dt.timedelta(days=6 - day.weekday())
    items: list[dict[str, Any]] = []
    for task in (
        Task.objects.filter(campaign=campaign)
        .exclude(status=TaskStatus.DONE)
        .filter(due_date__lte=week_end)
        .select_related("owner")
    ):
        kind = "late_task" if task.due_date < day else "task_due"
        items.append(agenda_item(kind, task.title, f"/campaigns/{campaign.pk}/tasks/{task.pk}/", id=task.pk,
                           due=task.due_date.isoformat(), owner=str(task.owner) if task.owner else ""))  # fmt: skip
    for milestone in Milestone.objects.filter(campaign=campaign, done=False, due_date__lte=day + dt.timedelta(days=7)):
        items.append(agenda_item("milestone", milestone.name, f"/campaigns/{campaign.pk}/plan/", id=milestone.pk,
                           due=milestone.due_date.isoformat(), deliverable=milestone.deliverable))  # fmt: skip
    risks = (
        Risk.objects.filter(campaign=campaign)
        .exclude(alert_level=AlertLevel.NONE)
        .exclude(status__in=[RiskStatus.MITIGATED, RiskStatus.CLOSED])
    )
    for risk in risks.order_by("-probability", "-impact"):
        items.append(agenda_item("risk", risk.title, f"/risks/{risk.pk}/", id=risk.pk, level=risk.alert_level))
    for budget in Budget.objects.filter(campaign=campaign, status=BudgetStatus.IN_REVIEW):
        items.append(agenda_item("budget", _("Budget version %(v)d awaits sign-off") % {"v": budget.version},
                           f"/budgets/{budget.pk}/", id=budget.pk))  # fmt: skip
    for status in campaign_kpis(campaign=campaign):
        if status.off_forecast:
            items.append(agenda_item("kpi", status.kpi.name, f"/campaigns/{campaign.pk}/kpis/", id=status.kpi.pk,
                               actual=str(status.latest_actual), forecast=str(status.forecast)))  # fmt: skip
    carried = ActionItem.objects.filter(
        meeting__series=series, done=False, meeting__scheduled_at__lt=meeting.scheduled_at
    )
    for action in carried.select_related("owner"):
        items.append(agenda_item("action_item", action.title, "", id=action.pk, owner=str(action.owner),
                           due=action.due_date.isoformat() if action.due_date else ""))  # fmt: skip
    return items
