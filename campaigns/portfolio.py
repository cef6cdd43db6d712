"""The executive portfolio (SPEC 8 "Dashboards"): every campaign with its health, budget, alerts and member
conversion, and campaign health for many campaigns at once.

Everything is set-based: the rows are one annotated query (budget, spend, alert and member counts are
correlated subqueries), and health — the worst phase light, exactly as campaigns.rules.phase_health decides it
on the overview — comes from one annotated query over phases plus, only for phases whose lights depend on the
critical path (a late task but no overdue milestone), one query for those campaigns' tasks and one for their
dependencies. The number of queries never depends on the number of campaigns, tasks, risks or members.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Campaign, Health, Milestone, Phase, Task, TaskDependency, TaskStatus
from .permissions import campaign_policy
from .rules import MILESTONE_READY_PROGRESS, MILESTONE_WARNING_DAYS
from .schedule import CycleError, TaskSpan, compute_schedule

HEALTH_RANK = {Health.RED: 3, Health.YELLOW: 2, Health.GREEN: 1, None: 0}
MONEY = DecimalField(max_digits=16, decimal_places=2)
# Columns the portfolio sorts by: key → ORM ordering (health is sorted in Python, see portfolio_page).
SORTS = {
    "code": ("code",),
    "name": ("name", "code"),
    "end": ("end_date", "code"),
    "approved": (F("approved_total").desc(nulls_last=True), "code"),
    "spent": (F("spent").desc(), "code"),
    "red": (F("red_alerts").desc(), F("yellow_alerts").desc(), "code"),
    "yellow": (F("yellow_alerts").desc(), F("red_alerts").desc(), "code"),
    "health": (),
}


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


def _count_of(queryset: QuerySet, group: str) -> Coalesce:
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def portfolio_queryset(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Campaign]:
    """Campaigns the user may see (status and team filters), each annotated with its approved budget
    (``approved_total``, newest approved version), ``spent`` on it, live ``red_alerts`` and ``yellow_alerts``."""
    Budget = apps.get_model("budgets", "Budget")
    Expense = apps.get_model("budgets", "Expense")
    Risk = apps.get_model("risks", "Risk")
    filters = filters or {}
    qs = campaign_policy.visible(user, Campaign.objects.select_related("team"))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("team"):
        qs = qs.filter(team_id=filters["team"])
    approved = Budget.objects.filter(campaign_id=OuterRef("pk"), status="approved").order_by("-version")
    spent = (
        Expense.objects.filter(line__budget__campaign_id=OuterRef("pk"), line__budget__status="approved")
        .order_by()
        .values("line__budget__campaign_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    live = Risk.objects.filter(campaign_id=OuterRef("pk"), status__in=("open", "monitoring", "occurred"))
    return qs.annotate(
        approved_total=Subquery(approved.values("total")[:1], output_field=MONEY),
        approved_budget_id=Subquery(approved.values("pk")[:1]),
        spent=Coalesce(Subquery(spent, output_field=MONEY), Value(Decimal(0)), output_field=MONEY),
        red_alerts=_count_of(live.filter(alert_level="red"), "campaign_id"),
        yellow_alerts=_count_of(live.filter(alert_level="yellow"), "campaign_id"),
    )


def member_conversion(campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{campaign id: (members brought in, of them in a paid tier)} — one GROUP BY over the (source_campaign,
    tier) index, for the given campaigns only (a page of the portfolio)."""
    Member = apps.get_model("members", "Member")
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        Member.objects.filter(source_campaign_id__in=campaign_ids)
        .order_by()
        .values_list("source_campaign_id", "tier")
        .annotate(n=Count("pk"))
    )
    for cid, tier, n in rows:
        result[cid][0] += n
        if tier in ("mid_high", "top"):
            result[cid][1] += n
    return {cid: (total, paid) for cid, (total, paid) in result.items()}


@dataclass
class PortfolioRow:
    campaign: Campaign
    health: str | None
    members: int
    paid_members: int

    @property
    def health_label(self) -> str:
        return str(Health(self.health).label) if self.health else ""

    @property
    def conversion(self) -> Decimal | None:
        if not self.members:
            return None
        return (Decimal(self.paid_members) * 100 / self.members).quantize(Decimal("0.1"))

    @property
    def burn(self) -> Decimal | None:
        total = self.campaign.approved_total
        if not total:
            return None
        return (Decimal(self.campaign.spent) * 100 / total).quantize(Decimal("0.1"))


@dataclass
class PortfolioPage:
    rows: list[PortfolioRow]
    count: int
    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    # What templates/includes/pagination.html reads from a Django Page.
    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def paginator(self) -> PortfolioPage:
        return self


def portfolio_page(
    *, user: Any, filters: dict[str, Any], sort: str, page: int, page_size: int, now: dt.datetime | None = None
) -> PortfolioPage:
    """One page of the portfolio. Without a health filter or sort the database orders and pages the rows and
    health is worked out for that page only; filtering or sorting by health works it out for every campaign
    matching the other filters (still a fixed number of queries)."""
    qs = portfolio_queryset(user=user, filters=filters)
    health_filter = filters.get("health")
    if health_filter or sort == "health":
        keys = list(qs.order_by("code").values_list("pk", "code", "time_zone"))
        lights = campaign_health_map({pk: zone for pk, _code, zone in keys}, now=now)
        ids = [pk for pk, _code, _zone in keys if not health_filter or lights[pk] == health_filter]
        if sort == "health":
            ids.sort(key=lambda pk: -HEALTH_RANK[lights[pk]])  # stable: by code within a light
        count = len(ids)
        num_pages = max(1, -(-count // page_size))
        number = min(max(page, 1), num_pages)
        page_ids = ids[(number - 1) * page_size : number * page_size]
        by_id = {c.pk: c for c in qs.filter(pk__in=page_ids)} if page_ids else {}
        campaigns = [by_id[pk] for pk in page_ids]
    else:
        count = qs.count()
        num_pages = max(1, -(-count // page_size))
        number = min(max(page, 1), num_pages)
        start = (number - 1) * page_size
        campaigns = list(qs.order_by(*SORTS.get(sort) or SORTS["code"])[start : start + page_size]) if count else []
        lights = campaign_health_map({c.pk: c.time_zone for c in campaigns}, now=now)
    members = member_conversion([c.pk for c in campaigns]) if campaigns else {}
    rows = [
        PortfolioRow(
            campaign=c,
            health=lights.get(c.pk),
            members=members.get(c.pk, (0, 0))[0],
            paid_members=members.get(c.pk, (0, 0))[1],
        )
        for c in campaigns
    ]
    return PortfolioPage(rows=rows, count=count, number=number, num_pages=num_pages)


def portfolio_risk_counts(*, user: Any) -> dict[tuple[int, int], int]:
    """Live risks per (probability, impact) over every campaign the user may see (one query)."""
    from risks.forms import matrix_counts
    from risks.permissions import risk_policy

    Risk = apps.get_model("risks", "Risk")
    return matrix_counts(risk_policy.visible(user, Risk.objects.all()))
