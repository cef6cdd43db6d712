"""Read-side queries over the risk register (the register's filters and order, the live statuses, the heat map) and
for other pages (home, campaign overview, portfolio): each returns
only risks the user may see (risks.permissions), in a fixed number of queries whatever the number of risks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Case, Count, F, IntegerField, QuerySet, Value, When
from django.utils.translation import ngettext

from .models import LIVE_STATUSES, AlertLevel, Band, Risk, band_for, band_q
from .permissions import risk_policy
from .ratings import IMPACT_LABELS, IMPACT_NAMES, PROBABILITY_LABELS, PROBABILITY_NAMES, RATINGS

# The heat map counts live risks (models.LIVE_STATUSES), and its cells link to the register with ``status=live``
# so the list shows exactly the risks a cell counted.
LIVE = "live"

# Red first, then yellow, blue, none: the register's order (then the highest score).
ALERT_ORDER = Case(
    When(alert_level=AlertLevel.RED, then=Value(3)),
    When(alert_level=AlertLevel.YELLOW, then=Value(2)),
    When(alert_level=AlertLevel.BLUE, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


def register_queryset(queryset: QuerySet[Risk], filters: dict[str, Any]) -> QuerySet[Risk]:
    """Apply the register's filters to risks the user may already see, and sort: alert level, then score.

    ``filters`` holds any of campaign (id), alert_level, band, status (or ``live``), owner (id), category,
    probability and impact — as the filter form, the API's filter serializer and the exports produce them.
    """
    qs = queryset
    if filters.get("campaign") is not None:
        qs = qs.filter(campaign_id=filters["campaign"])
    if filters.get("alert_level"):
        qs = qs.filter(alert_level=filters["alert_level"])
    if filters.get("band"):
        qs = qs.filter(band_q(filters["band"]))
    if filters.get("status") == LIVE:
        qs = qs.filter(status__in=LIVE_STATUSES)
    elif filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("owner") is not None:
        qs = qs.filter(owner_id=filters["owner"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    for rating in ("probability", "impact"):
        if filters.get(rating) is not None:
            qs = qs.filter(**{rating: filters[rating]})
    return qs.annotate(alert_rank=ALERT_ORDER).order_by(
        "-alert_rank", "-score", "expected_date", "campaign__code", "id"
    )


def matrix_counts(queryset: QuerySet[Risk]) -> dict[tuple[int, int], int]:
    """Live risks per (probability, impact) cell, in one aggregate query over ``queryset``.

    Only open, monitoring and occurred risks count: mitigated and closed ones carry no exposure any more.
    """
    rows = (
        queryset.filter(status__in=LIVE_STATUSES).order_by().values("probability", "impact").annotate(count=Count("id"))
    )
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


def risks_to_acknowledge(*, user: Any) -> QuerySet[Risk]:
    """Risks the user owns whose current alert nobody has acknowledged yet: red first, then the nearest date."""
    risks = Risk.objects.filter(owner_id=user.pk, acknowledged_at__isnull=True).exclude(alert_level=AlertLevel.NONE)
    return (
        risk_policy.visible(user, risks)
        .select_related("campaign")
        .annotate(alert_rank=ALERT_ORDER)
        .order_by("-alert_rank", "expected_date", "pk")
    )


def open_alerts(*, risks: QuerySet[Risk]) -> QuerySet[Risk]:
    """Live risks with an alert (red, yellow, blue), most urgent first."""
    return (
        risks.filter(status__in=LIVE_STATUSES)
        .exclude(alert_level=AlertLevel.NONE)
        .select_related("owner")
        .annotate(alert_rank=ALERT_ORDER)
        .order_by("-alert_rank", "-score", "expected_date", "pk")
    )


def heatmap(counts: dict[tuple[int, int], int], *, cell_url: Callable[[int, int], str]) -> dict[str, Any]:
    """The 5×5 grid as templates draw it (risks/_heatmap.html): probability 5 on top, impact 5 on the right."""
    rows = []
    for p in reversed(RATINGS):
        cells = []
        for i in RATINGS:
            band = band_for(p * i)
            cells.append(
                {
                    "probability": p,
                    "impact": i,
                    "score": p * i,
                    "count": counts.get((p, i), 0),
                    "band": band,
                    "band_label": Band(band).label,
                    "url": cell_url(p, i),
                }
            )
        rows.append({"probability": p, "label": PROBABILITY_LABELS[p], "name": PROBABILITY_NAMES[p], "cells": cells})
    return {
        "rows": rows,
        "impacts": [{"impact": i, "label": IMPACT_LABELS[i], "name": IMPACT_NAMES[i]} for i in RATINGS],
        "total": sum(counts.values()),
    }


def risk_counts(*, risks: QuerySet[Risk]) -> dict[tuple[int, int], int]:
    """Live risks per (probability, impact) cell of ``risks`` (one query)."""
    return matrix_counts(risks)


def open_risks_by_campaign(campaign_ids: list[int]) -> dict[int, list[Risk]]:
    """Live risks per campaign, largest cost impact first (one query) — the sign-off queue's risk column."""
    result: dict[int, list[Risk]] = defaultdict(list)
    risks = Risk.objects.filter(campaign_id__in=campaign_ids, status__in=LIVE_STATUSES).order_by(
        "campaign_id", F("cost_impact").desc(nulls_last=True), "pk"
    )
    for risk in risks:
        result[risk.campaign_id].append(risk)
    return result


def red_alert_health_signal(facts: dict[int, Any]) -> dict[int, list[dict[str, Any]]]:
    """campaigns.health signal (one query): a campaign with live risks on a red early warning is red."""
    rows = (
        Risk.objects.filter(campaign_id__in=list(facts), status__in=LIVE_STATUSES, alert_level=AlertLevel.RED)
        .order_by()
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
    )
    return {cid: [{"code": "red_alerts", "level": "red", "count": n}] for cid, n in rows}


def _red_alerts_text(reason: dict[str, Any]) -> str:
    n = reason["count"]
    return ngettext("%(n)d red risk alert", "%(n)d red risk alerts", n) % {"n": n}


RED_ALERT_TEXTS = {"red_alerts": _red_alerts_text}
