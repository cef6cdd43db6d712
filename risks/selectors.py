"""Read-side queries over the risk register for other pages (home, campaign overview, portfolio): each returns
only risks the user may see (risks.permissions), in a fixed number of queries whatever the number of risks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from .forms import (
    ALERT_ORDER,
    IMPACT_LABELS,
    IMPACT_NAMES,
    LIVE_STATUSES,
    PROBABILITY_LABELS,
    PROBABILITY_NAMES,
    RATINGS,
    matrix_counts,
)
from .models import AlertLevel, Band, Risk, band_for
from .permissions import risk_policy


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
