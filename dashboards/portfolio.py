"""The executive portfolio (SPEC 8 "Dashboards"): every campaign with its health, budget, alerts and member
conversion. Everything is set-based: the rows are one annotated query (budget, spend, alert and member counts are
correlated subqueries) and health comes from campaigns.health; the number of queries never depends on the number of
campaigns, tasks, risks or members."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from budgets.models import Budget, Expense
from campaigns.health import HEALTH_RANK, campaign_health_map
from campaigns.models import Campaign, Health
from campaigns.permissions import campaign_policy
from members.models import Member
from risks.models import Risk
from risks.permissions import risk_policy
from risks.selectors import LIVE_STATUSES, matrix_counts

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


def _count_of(queryset: QuerySet, group: str) -> Coalesce:
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def portfolio_queryset(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Campaign]:
    """Campaigns the user may see (status and team filters), each annotated with its approved budget
    (``approved_total``, newest approved version), ``spent`` on it, live ``red_alerts`` and ``yellow_alerts``."""
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
    live = Risk.objects.filter(campaign_id=OuterRef("pk"), status__in=LIVE_STATUSES)
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
    return matrix_counts(risk_policy.visible(user, Risk.objects.all()))
