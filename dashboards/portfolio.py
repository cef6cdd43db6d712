"""The executive portfolio (SPEC 8 "Dashboards"): every campaign with its health, budget, alerts and member
conversion. Everything is set-based: the rows are one annotated query (budget and spend are correlated
subqueries; the live red and yellow alerts come from one grouped count joined in as a common table expression,
so that sorting every campaign by them counts the risks once, not once per campaign) and health is the column
campaigns.health keeps (made current first, which costs one query when nothing changed), so filtering and sorting
by health is the database's work; the number of queries never depends on the number of campaigns, tasks, risks or
members."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.sql.constants import LOUTER
from django_cte import CTE, with_cte

from budgets.models import Budget, Expense
from campaigns.health import fresh_health, reason_texts
from campaigns.models import Campaign, Health
from campaigns.permissions import campaign_policy
from members.models import Member
from risks.models import Risk
from risks.permissions import risk_policy
from risks.selectors import LIVE_STATUSES, matrix_counts

MONEY = DecimalField(max_digits=16, decimal_places=2)
# Columns the portfolio sorts by: key → ORM ordering.
SORTS = {
    "code": ("code",),
    "name": ("name", "code"),
    "end": ("end_date", "code"),
    "approved": (F("approved_total").desc(nulls_last=True), "code"),
    "spent": (F("spent").desc(), "code"),
    "red": (F("red_alerts").desc(), F("yellow_alerts").desc(), "code"),
    "yellow": (F("yellow_alerts").desc(), F("red_alerts").desc(), "code"),
    "health": ("-health_rank", "code"),
}


def portfolio_campaigns(*, user: Any, filters: dict[str, Any]) -> QuerySet[Campaign]:
    """The campaigns the user may see, by the status and team filters."""
    qs = campaign_policy.visible(user, Campaign.objects.all())
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("team"):
        qs = qs.filter(team_id=filters["team"])
    return qs


def portfolio_queryset(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Campaign]:
    """Campaigns the user may see (status, team and health filters; make health current first with
    campaigns.health.fresh_health), each annotated with its approved budget
    (``approved_total``, newest approved version), ``spent`` on it, live ``red_alerts`` and ``yellow_alerts``."""
    filters = filters or {}
    qs = portfolio_campaigns(user=user, filters=filters).select_related("team")
    if filters.get("health"):
        qs = qs.filter(health=filters["health"])
    approved = Budget.objects.filter(campaign_id=OuterRef("pk"), status="approved").order_by("-version")
    spent = (
        Expense.objects.filter(line__budget__campaign_id=OuterRef("pk"), line__budget__status="approved")
        .order_by()
        .values("line__budget__campaign_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    # Live red and yellow alerts per campaign: one GROUP BY over the risks, LEFT JOINed (campaigns without any
    # keep 0). The risks' alert level is in no index, so that the daily refresh rewrites a risk in place.
    alerts = CTE(
        Risk.objects.filter(status__in=LIVE_STATUSES, alert_level__in=["red", "yellow"])
        .order_by()
        .values("campaign_id")
        .annotate(red=Count("pk", filter=Q(alert_level="red")), yellow=Count("pk", filter=Q(alert_level="yellow"))),
        name="live_alerts",
    )
    return with_cte(
        alerts,
        select=alerts.join(qs, id=alerts.col.campaign_id, _join_type=LOUTER).annotate(
            approved_total=Subquery(approved.values("total")[:1], output_field=MONEY),
            approved_budget_id=Subquery(approved.values("pk")[:1]),
            spent=Coalesce(Subquery(spent, output_field=MONEY), Value(Decimal(0)), output_field=MONEY),
            red_alerts=Coalesce(alerts.col.red, Value(0)),
            yellow_alerts=Coalesce(alerts.col.yellow, Value(0)),
        ),
    )


def member_conversion(campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{campaign id: (members brought in, of them in a paid tier)} — one GROUP BY over those campaigns' members
    (found by member_source_campaign), for the given campaigns only (a page of the portfolio)."""
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        Member.objects.filter(source_campaign_id__in=campaign_ids)
        .order_by()
        .values_list("source_campaign_id", "tier")
        .annotate(n=Count("*"))
    )
    for cid, tier, n in rows:
        result[cid][0] += n
        if tier in ("mid_high", "top"):
            result[cid][1] += n
    return {cid: (total, paid) for cid, (total, paid) in result.items()}


@dataclass
class PortfolioRow:
    campaign: Campaign
    members: int
    paid_members: int

    @property
    def health(self) -> str:
        return self.campaign.health

    @property
    def health_label(self) -> str:
        return str(Health(self.health).label)

    @property
    def health_reasons(self) -> list[str]:
        """What made it yellow or red, in the reader's language."""
        return reason_texts(self.campaign.health_reasons or [], level=self.health)

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
    """One page of the portfolio, ordered and paged by the database (health included: it is a stored column,
    made current first for every campaign the filters cover)."""
    fresh_health(portfolio_campaigns(user=user, filters=filters), now=now)
    qs = portfolio_queryset(user=user, filters=filters)
    count = qs.count()
    num_pages = max(1, -(-count // page_size))
    number = min(max(page, 1), num_pages)
    start = (number - 1) * page_size
    campaigns = list(qs.order_by(*SORTS.get(sort) or SORTS["code"])[start : start + page_size]) if count else []
    members = member_conversion([c.pk for c in campaigns]) if campaigns else {}
    rows = [
        PortfolioRow(
            campaign=c,
            members=members.get(c.pk, (0, 0))[0],
            paid_members=members.get(c.pk, (0, 0))[1],
        )
        for c in campaigns
    ]
    return PortfolioPage(rows=rows, count=count, number=number, num_pages=num_pages)


def portfolio_risk_counts(*, user: Any) -> dict[tuple[int, int], int]:
    """Live risks per (probability, impact) over every campaign the user may see (one query)."""
    return matrix_counts(risk_policy.visible(user, Risk.objects.all()))
