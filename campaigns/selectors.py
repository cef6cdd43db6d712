"""Reads on campaigns and their plans: lists limited to what the user may see, the campaign's "today" in its time
zone, the CPM schedule, phase lights, KPI status against forecast, the Gantt timeline, "my open tasks"."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import principal_for

from .health import compute_health, phase_cause_text
from .models import (
    Campaign,
    CampaignStatus,
    Health,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskDependency,
    TaskStatus,
)
from .permissions import campaign_part_policy, campaign_policy
from .rules import kpi_deviation, kpi_latest, kpi_off_forecast, phase_progress, phase_verdict
from .schedule import Schedule, TaskSpan, compute_schedule


def campaign_today(campaign: Campaign) -> dt.date:
    """Today's date in the campaign's own time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(campaign.time_zone)).date()


def campaign_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Campaign]:
    """Campaigns the user may see, filtered by status, team, date window and a search text."""
    filters = filters or {}
    qs = campaign_policy.visible(user, Campaign.objects.select_related("team", "lead"))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("team"):
        qs = qs.filter(team_id=filters["team"])
    if filters.get("active_on"):
        qs = qs.filter(start_date__lte=filters["active_on"], end_date__gte=filters["active_on"])
    if filters.get("starts_after"):
        qs = qs.filter(start_date__gte=filters["starts_after"])
    if filters.get("starts_before"):
        qs = qs.filter(start_date__lte=filters["starts_before"])
    if filters.get("q"):
        text = filters["q"].strip()
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(objective__icontains=text))
    return qs.annotate(task_count=task_count_subquery()).order_by(*Campaign._meta.ordering)


def task_count_subquery() -> Coalesce:
    """A campaign's number of tasks as a correlated subquery: unlike ``Count("tasks")`` it needs no join and no
    GROUP BY over every selected column, and a COUNT of the list (pagination) leaves it out altogether."""
    counts = (
        Task.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def visible_parts(model: type, *, user: Any, campaign_id: int | None = None) -> QuerySet:
    """Rows of a campaign part (phase, milestone, task, channel, KPI) the user may see."""
    qs = campaign_part_policy.visible(user, model.objects.all())
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


def playbook_list(*, user: Any) -> QuerySet[Playbook]:
    """Playbooks the user may read and start from: the built-in ones and those saved by their teams (an admin:
    all). Another team's playbook reads as not found."""
    principal = principal_for(user)
    if principal.user_id is None:
        return Playbook.objects.none()
    if principal.is_admin:
        return Playbook.objects.all()
    return Playbook.objects.filter(Q(builtin=True) | Q(team_id__in=list(principal.team_roles)))


def campaign_schedule(*, campaign: Campaign, today: dt.date | None = None) -> Schedule:
    """CPM over the campaign's tasks (two queries)."""
    tasks = [
        TaskSpan(id=pk, start=start, due=due, done=status == TaskStatus.DONE, progress=progress)
        for pk, start, due, status, progress in Task.objects.filter(campaign=campaign).values_list(
            "pk", "start_date", "due_date", "status", "progress"
        )
    ]
    edges = list(
        TaskDependency.objects.filter(successor__campaign=campaign).values_list("predecessor_id", "successor_id")
    )
    return compute_schedule(tasks, edges, today=today if today is not None else campaign_today(campaign))


@dataclass
class PhaseStatus:
    phase: Phase
    health: str
    progress: int
    milestones: list[Milestone]
    late_tasks: list[Task]
    cause: str | None = None  # what made it yellow or red (campaigns.rules.PHASE_CAUSES)


def campaign_phases(
    *,
    campaign: Campaign,
    schedule: Schedule | None = None,
    today: dt.date | None = None,
    tasks: list[Task] | None = None,
) -> list[PhaseStatus]:
    """Each phase with its health light, progress, milestones and late tasks (three queries plus the schedule;
    two when the caller has already read the campaign's ``tasks``)."""
    today = today or campaign_today(campaign)
    schedule = schedule or campaign_schedule(campaign=campaign, today=today)
    critical = set(schedule.critical_path)
    finish = {t.task: t.projected_finish for t in schedule.tasks}
    phases = list(Phase.objects.filter(campaign=campaign))
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for m in Milestone.objects.filter(campaign=campaign):
        milestones[m.phase_id].append(m)
    by_phase: dict[int | None, list[Task]] = defaultdict(list)
    if tasks is None:
        tasks = list(Task.objects.filter(campaign=campaign).select_related("owner").defer("description"))
    for t in sorted(tasks, key=lambda t: (t.start_date, t.due_date, t.pk)):  # Task's own order, however given
        by_phase[t.phase_id].append(t)
    statuses = []
    for p in phases:
        light, cause = phase_verdict(
            milestones=milestones[p.pk],
            tasks=by_phase[p.pk],
            critical_task_ids=critical,
            today=today,
            projected_finish=finish,
            phase_end=p.end_date,
            campaign_end=campaign.end_date,
        )
        statuses.append(
            PhaseStatus(
                phase=p,
                health=light,
                progress=phase_progress(by_phase[p.pk]),
                milestones=milestones[p.pk],
                late_tasks=[t for t in by_phase[p.pk] if t.is_late(today)],
                cause=cause,
            )
        )
    return statuses


def phase_health_map(*, phases: list[Phase], now: dt.datetime | None = None) -> dict[int, str]:
    """Lights of many phases (possibly of several campaigns), as campaigns.health decides them, in a fixed number
    of queries (API lists)."""
    decided = compute_health({p.campaign_id for p in phases}, now=now, signals=False)
    return {p.pk: decided[p.campaign_id].phases.get(p.pk, Health.GREEN) for p in phases}


@dataclass
class KpiStatus:
    kpi: Kpi
    latest_actual: Decimal | None
    latest_actual_date: dt.date | None
    forecast: Decimal | None
    deviation: Decimal | None
    off_forecast: bool
    readings: list[KpiReading]

    @property
    def attainment(self) -> Decimal | None:
        """Latest actual as a share of target (for "higher is better"; inverted for "lower is better")."""
        if self.latest_actual is None or not self.kpi.target:
            return None
        if self.kpi.direction == "lower":
            return self.kpi.target / self.latest_actual if self.latest_actual else None
        return self.latest_actual / self.kpi.target


def kpi_status_from_readings(kpi: Kpi, readings: list[KpiReading]) -> KpiStatus:
    """The latest actual against the forecast for the same date, or else the latest forecast dated before it."""
    actual, actual_date, forecast = kpi_latest(readings)
    return KpiStatus(
        kpi=kpi,
        latest_actual=actual,
        latest_actual_date=actual_date,
        forecast=forecast,
        deviation=kpi_deviation(actual, forecast),
        off_forecast=kpi_off_forecast(actual, forecast),
        readings=readings,
    )


def campaign_kpis(*, campaign: Campaign) -> list[KpiStatus]:
    """Every KPI of the campaign with its readings and deviation flag (two queries)."""
    kpis = list(Kpi.objects.filter(campaign=campaign))
    readings: dict[int, list[KpiReading]] = defaultdict(list)
    for r in KpiReading.objects.filter(kpi__campaign=campaign).order_by("date"):
        readings[r.kpi_id].append(r)
    return [kpi_status_from_readings(k, readings[k.pk]) for k in kpis]


def my_live_campaigns(*, user: Any) -> QuerySet[Campaign]:
    """Campaigns of the teams the user is on (or leads) that are being planned or run, worst health first. Make
    their health current with campaigns.health.fresh_health before reading it."""
    principal = principal_for(user)
    mine = Q(team_id__in=list(principal.team_roles)) | Q(lead_id=user.pk)
    return (
        campaign_policy.visible(user, Campaign.objects.filter(mine))
        .filter(status__in=[CampaignStatus.PLANNING, CampaignStatus.ACTIVE, CampaignStatus.CLOSING])
        .order_by("-health_rank", "end_date", "code")
    )


def my_open_tasks(*, user: Any) -> QuerySet[Task]:
    """Unfinished tasks the user owns in live campaigns they may see, the earliest due first (so late ones lead)."""
    return (
        visible_parts(Task, user=user)
        .filter(owner_id=user.pk)
        .exclude(status=TaskStatus.DONE)
        .exclude(campaign__status__in=[CampaignStatus.CLOSED, CampaignStatus.CANCELLED])
        .select_related("campaign", "phase")
        .order_by("due_date", "pk")
    )


def phase_row(ps: PhaseStatus) -> dict[str, Any]:
    """One phase light as the overview and the plan show it."""
    return {
        "phase": ps.phase,
        "health": ps.health,
        "health_label": Health(ps.health).label,
        "cause": phase_cause_text(ps.cause),
        "progress": ps.progress,
        "milestones": ps.milestones,
        "late_count": len(ps.late_tasks),
    }


NO_PHASE = "p0"  # the group of tasks that belong to no phase


def campaign_gantt(*, campaign: Campaign, today: dt.date) -> dict[str, Any]:
    """The timeline of a campaign (SPEC 10.2; five queries). ``data`` is the chart's rows, grouped by phase: a row
    per phase (``kind`` "phase": its dates and milestones, drawn as diamonds) followed by its tasks (``kind``
    "task": drawn at their *scheduled* dates, earliest start and finish, with the planned dates as ``planned_start``
    and ``planned_end`` for the baseline; progress, dependencies, the critical path and its links); tasks of no phase
    come last. ``table`` is the CPM schedule as rows for the accessible table. The campaign's health and slip come
    from campaigns.health. Raises CycleError for a plan with a cycle, which the task services never write."""
    rows = list(
        Task.objects.filter(campaign=campaign)
        .order_by("start_date", "due_date", "id")
        .values_list("pk", "title", "start_date", "due_date", "status", "progress", "phase_id")
    )
    edges = list(
        TaskDependency.objects.filter(successor__campaign=campaign).values_list("predecessor_id", "successor_id")
    )
    phases = list(Phase.objects.filter(campaign=campaign).values_list("pk", "name", "start_date", "end_date"))
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for phase_id, name, due, done in (
        Milestone.objects.filter(campaign=campaign)
        .order_by("due_date", "pk")
        .values_list("phase_id", "name", "due_date", "done")
    ):
        milestones[phase_id].append({"name": name, "date": due.isoformat(), "done": done})
    schedule = campaign_schedule(campaign=campaign, today=today)
    times = schedule.by_task()
    predecessors: dict[int, list[int]] = {}
    for pred, succ in edges:
        predecessors.setdefault(succ, []).append(pred)
    by_phase: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    table = []
    for task_pk, title, start, due, status, progress, phase_id in rows:
        t = times[task_pk]
        preds = sorted(predecessors.get(task_pk, []))
        # A link is on the critical path when both ends are critical and nothing separates them.
        critical_links = [
            p
            for p in preds
            if t.critical and times[p].critical and (t.earliest_start - times[p].earliest_finish).days == 1
        ]
        by_phase[phase_id].append(
            {
                "id": f"t{task_pk}",
                "kind": "task",
                "name": title,
                "start": t.earliest_start.isoformat(),
                "end": t.earliest_finish.isoformat(),
                "planned_start": start.isoformat(),
                "planned_end": due.isoformat(),
                "progress": 100 if status == TaskStatus.DONE else progress,
                "dependencies": ", ".join(f"t{p}" for p in preds),
                "custom_class": "critical" if t.critical else "",
                "critical_dependencies": [f"t{p}" for p in critical_links],
                "phase": f"p{phase_id}" if phase_id else NO_PHASE,
                "late": status != TaskStatus.DONE and due < today,
            }
        )
        table.append(
            {
                "pk": task_pk,
                "title": title,
                "times": t,
                "late": status != TaskStatus.DONE and due < today,
                "status": TaskStatus(status).label,
            }
        )
    data: list[dict[str, Any]] = []
    for phase_pk, name, start, end in phases:
        data.append(
            {
                "id": f"p{phase_pk}", "kind": "phase", "name": name, "start": start.isoformat(), "end": end.isoformat(),
                "milestones": milestones[phase_pk], "progress": 0, "dependencies": "", "custom_class": "phase-row",
            }
        )  # fmt: skip
        data.extend(sorted(by_phase[phase_pk], key=lambda r: (r["start"], r["end"], r["id"])))
    if by_phase[None]:
        data.append(
            {
                "id": NO_PHASE, "kind": "phase", "name": str(_("No phase")), "start": min(r["start"] for r in by_phase[None]),
                "end": max(r["end"] for r in by_phase[None]), "milestones": [], "progress": 0, "dependencies": "",
                "custom_class": "phase-row",
            }
        )  # fmt: skip
        data.extend(sorted(by_phase[None], key=lambda r: (r["start"], r["end"], r["id"])))
    table.sort(key=lambda r: (r["times"].earliest_start, r["times"].earliest_finish, r["pk"]))
    return {
        "task_count": len(rows),
        "data": data,
        "table": table,
        "schedule": schedule,
        "critical_count": len(schedule.critical_path),
    }
