"""Campaign health for many campaigns at once (SPEC 8): the worst phase light, exactly as campaigns.rules.phase_health
decides it on the overview, from one annotated query over phases plus, only for phases whose lights depend on the
critical path (a late task but no overdue milestone), one query for those campaigns' tasks and one for their
dependencies. The number of queries never depends on the number of campaigns or tasks."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections import defaultdict

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    DateField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from .models import Health, Milestone, Phase, Task, TaskDependency, TaskStatus
from .rules import MILESTONE_READY_PROGRESS, MILESTONE_WARNING_DAYS
from .schedule import CycleError, TaskSpan, compute_schedule

HEALTH_RANK = {Health.RED: 3, Health.YELLOW: 2, Health.GREEN: 1, None: 0}


def _todays(zones: set[str], now: dt.datetime) -> dict[str, dt.date]:
    return {zone: now.astimezone(zoneinfo.ZoneInfo(zone)).date() for zone in zones}


def _date_case(field: str, dates: dict[str, dt.date]) -> Case:
    return Case(*(When(**{field: zone}, then=Value(day)) for zone, day in dates.items()), output_field=DateField())


def campaign_health_map(campaigns: dict[int, str], *, now: dt.datetime | None = None) -> dict[int, str | None]:
    """{campaign id: worst phase light (red, yellow, green), or None for a campaign without phases}, for the
    campaigns given as {id: time zone}. Each campaign's "today" is in its own time zone, as on its overview."""
    if not campaigns:
        return {}
    now = now or timezone.now()
    todays = _todays(set(campaigns.values()), now)
    soon_until = {zone: day + dt.timedelta(days=MILESTONE_WARNING_DAYS) for zone, day in todays.items()}
    open_milestones = Milestone.objects.filter(phase_id=OuterRef("pk"), done=False)
    progress = (
        Task.objects.filter(phase_id=OuterRef("pk"))
        .order_by()
        .values("phase_id")
        .annotate(
            avg=Avg(
                Case(When(status=TaskStatus.DONE, then=Value(100)), default=F("progress"), output_field=IntegerField()),
                output_field=FloatField(),
            )
        )
        .values("avg")[:1]
    )
    phases = (
        Phase.objects.filter(campaign_id__in=list(campaigns))
        .annotate(today=_date_case("campaign__time_zone", todays), soon=_date_case("campaign__time_zone", soon_until))
        .annotate(
            overdue=Exists(open_milestones.filter(due_date__lt=OuterRef("today"))),
            late=Exists(
                Task.objects.filter(phase_id=OuterRef("pk"), due_date__lt=OuterRef("today")).exclude(
                    status=TaskStatus.DONE
                )
            ),
            due_soon=Exists(open_milestones.filter(due_date__gte=OuterRef("today"), due_date__lte=OuterRef("soon"))),
            progress=Subquery(progress, output_field=FloatField()),
        )
        .order_by()
        .values_list("pk", "campaign_id", "overdue", "late", "due_soon", "progress")
    )
    lights: dict[int, str | None] = dict.fromkeys(campaigns)
    needs_cpm: set[int] = set()  # campaigns with a phase whose light depends on the critical path
    for _phase, campaign_id, overdue, late, due_soon, avg in phases:
        if overdue:
            light = Health.RED
        elif late:
            needs_cpm.add(campaign_id)
            light = Health.YELLOW  # red instead if one of its late tasks is critical (below)
        elif due_soon and avg is not None and round(avg) < MILESTONE_READY_PROGRESS:
            light = Health.YELLOW  # rules.phase_progress rounds the same way; a phase without tasks is complete
        else:
            light = Health.GREEN
        if HEALTH_RANK[light] > HEALTH_RANK[lights[campaign_id]]:
            lights[campaign_id] = light
    pending = [cid for cid in needs_cpm if lights[cid] != Health.RED]
    if pending:
        for cid in _campaigns_with_late_critical_task(pending, {cid: todays[campaigns[cid]] for cid in pending}):
            lights[cid] = Health.RED
    return lights


# Critical paths are cached under a fingerprint of exactly what they depend on (each task's id, start and due
# date, and the dependencies): a changed plan has a new key, so a cached path is never stale, only unused.
CPM_CACHE_SECONDS = 24 * 3600

_FINGERPRINTS = """
SELECT t.campaign_id,
       md5(string_agg(t.id || ':' || t.start_date || ':' || t.due_date, ',' ORDER BY t.id))
           || '-' || coalesce(max(d.fp), ''),
       coalesce(array_agg(t.id) FILTER (WHERE t.phase_id IS NOT NULL AND t.status <> 'done' AND t.due_date < c.today),
                '{}')
FROM campaigns_task t
JOIN unnest(%s::bigint[], %s::date[]) AS c(campaign_id, today) ON c.campaign_id = t.campaign_id
LEFT JOIN (
    SELECT s.campaign_id, md5(string_agg(e.predecessor_id || '>' || e.successor_id, ','
                                         ORDER BY e.predecessor_id, e.successor_id)) AS fp
    FROM campaigns_taskdependency e JOIN campaigns_task s ON s.id = e.successor_id
    WHERE s.campaign_id = ANY(%s::bigint[])
    GROUP BY s.campaign_id
) d ON d.campaign_id = t.campaign_id
GROUP BY t.campaign_id
"""


def _campaigns_with_late_critical_task(campaign_ids: list[int], today: dict[int, dt.date]) -> set[int]:
    """Campaigns where a late task that belongs to a phase is on the critical path.

    On PostgreSQL one query fingerprints each campaign's plan and lists its late tasks, and the critical paths
    come from the cache; only campaigns whose plan is not cached yet cost two more queries and a CPM run.
    """
    late: dict[int, set[int]] = {}
    critical: dict[int, set[int]] = {}
    keys: dict[int, str] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_FINGERPRINTS, [campaign_ids, [today[cid] for cid in campaign_ids], campaign_ids])
            for cid, fingerprint, late_ids in cursor.fetchall():
                keys[cid] = f"cpm:{cid}:{fingerprint}"
                late[cid] = set(late_ids)
        try:
            cached = cache.get_many(list(keys.values()))
        except Exception:  # noqa: BLE001 - a cache outage only costs the CPM runs below
            cached = {}
        critical = {cid: set(cached[key]) for cid, key in keys.items() if key in cached}
    missing = [cid for cid in campaign_ids if cid not in critical and (not keys or cid in keys)]
    if missing:
        computed, computed_late = _critical_paths(missing, today)
        critical.update(computed)
        if not keys:
            late = computed_late
        else:
            with contextlib.suppress(Exception):  # caching is an optimisation; an outage must not break the page
                cache.set_many({keys[cid]: sorted(computed[cid]) for cid in missing}, CPM_CACHE_SECONDS)
    return {cid for cid in campaign_ids if late.get(cid, set()) & critical.get(cid, set())}


def _critical_paths(
    campaign_ids: list[int], today: dict[int, dt.date]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """({campaign: critical task ids}, {campaign: late task ids in a phase}) by CPM (two queries)."""
    spans: dict[int, list[TaskSpan]] = defaultdict(list)
    late: dict[int, set[int]] = defaultdict(set)
    for pk, cid, phase_id, start, due, status, progress in Task.objects.filter(
        campaign_id__in=campaign_ids
    ).values_list("pk", "campaign_id", "phase_id", "start_date", "due_date", "status", "progress"):
        done = status == TaskStatus.DONE
        spans[cid].append(TaskSpan(id=pk, start=start, due=due, done=done, progress=progress))
        if phase_id is not None and not done and due < today[cid]:
            late[cid].add(pk)
    edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pred, succ, cid in TaskDependency.objects.filter(successor__campaign_id__in=campaign_ids).values_list(
        "predecessor_id", "successor_id", "successor__campaign_id"
    ):
        edges[cid].append((pred, succ))
    critical: dict[int, set[int]] = {}
    for cid in campaign_ids:
        try:
            critical[cid] = set(compute_schedule(spans[cid], edges[cid], today=today[cid]).critical_path)
        except CycleError:  # the task services refuse cycles; never let one old row break the portfolio
            critical[cid] = set()
    return critical, late
