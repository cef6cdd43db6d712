"""Rules about campaign rows: phase health lights, KPI deviation, the standard KPI formulas (SPEC 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import KPI_DEVIATION_LIMIT, Health, KpiKind, TaskStatus

# A milestone due within this many days whose phase's tasks are under this share done → yellow.
MILESTONE_WARNING_DAYS = 3
MILESTONE_READY_PROGRESS = 80


def phase_progress(tasks: Iterable[Any]) -> int:
    """Average progress of a phase's tasks, a done task counting 100 %; a phase without tasks is complete."""
    values = [100 if t.status == TaskStatus.DONE else t.progress for t in tasks]
    return round(sum(values) / len(values)) if values else 100


def phase_health(**facts: Any) -> str:
    """A phase's light (SPEC 3 and 10.2): :func:`phase_verdict` without the cause."""
    return phase_verdict(**facts)[0]


# What made a phase yellow or red (the first rule that applies, in this order).
PHASE_CAUSES = (
    "milestone_overdue", "late_critical", "past_campaign_end", "late_task", "past_phase_end", "milestone_soon",
)  # fmt: skip


def phase_verdict(
    *,
    milestones: Iterable[Any],
    tasks: Iterable[Any],
    critical_task_ids: set[int],
    today: dt.date,
    projected_finish: Mapping[int, dt.date] | None = None,
    phase_end: dt.date | None = None,
    campaign_end: dt.date | None = None,
) -> tuple[str, str | None]:
    """(light, cause) of a phase. ``milestones`` have ``due_date`` and ``done``; ``tasks`` have ``pk``,
    ``due_date``, ``status`` and ``progress`` (model rows or plain tuples with those names).

    red: a milestone overdue, a critical-path task late, or a task projected to finish after the campaign's end;
    yellow: a task late, a task projected to finish after the phase's end, or a milestone due within 3 days
    while the phase's tasks are under 80 % done; green otherwise (cause None). The cause is one of
    :data:`PHASE_CAUSES`."""
    milestones, tasks = list(milestones), list(tasks)
    projected_finish = projected_finish or {}
    late = [t for t in tasks if t.status != TaskStatus.DONE and t.due_date < today]
    finishes = [projected_finish[t.pk] for t in tasks if t.pk in projected_finish]
    last_finish = max(finishes, default=None)
    if any(not m.done and m.due_date < today for m in milestones):
        return Health.RED, "milestone_overdue"
    if any(t.pk in critical_task_ids for t in late):
        return Health.RED, "late_critical"
    if last_finish is not None and campaign_end is not None and last_finish > campaign_end:
        return Health.RED, "past_campaign_end"
    if late:
        return Health.YELLOW, "late_task"
    if last_finish is not None and phase_end is not None and last_finish > phase_end:
        return Health.YELLOW, "past_phase_end"
    progress = phase_progress(tasks)
    for m in milestones:
        if (
            not m.done
            and 0 <= (m.due_date - today).days <= MILESTONE_WARNING_DAYS
            and progress < MILESTONE_READY_PROGRESS
        ):
            return Health.YELLOW, "milestone_soon"
    return Health.GREEN, None


def kpi_latest(readings: list[Any]) -> tuple[Decimal | None, dt.date | None, Decimal | None]:
    """(latest actual, its date, the forecast to compare it with) from readings in date order (each with ``date``,
    ``actual``, ``forecast``): the forecast of the same reading, or else the latest forecast dated before it."""
    actuals = [r for r in readings if r.actual is not None]
    latest = actuals[-1] if actuals else None
    if latest is None:
        return None, None, None
    forecast = latest.forecast
    if forecast is None:
        earlier = [r for r in readings if r.forecast is not None and r.date <= latest.date]
        forecast = earlier[-1].forecast if earlier else None
    return latest.actual, latest.date, forecast


def kpi_deviation(actual: Decimal | None, forecast: Decimal | None) -> Decimal | None:
    """|actual − forecast| / |forecast|, or None when there is nothing to compare."""
    if actual is None or forecast is None:
        return None
    if forecast == 0:
        return Decimal(0) if actual == 0 else None
    return abs(actual - forecast) / abs(forecast)


def kpi_off_forecast(actual: Decimal | None, forecast: Decimal | None) -> bool:
    """True when the actual deviates from the forecast by more than 15 % (exactly 15 % is not flagged)."""
    if actual is not None and forecast == 0:
        return actual != 0
    deviation = kpi_deviation(actual, forecast)
    return deviation is not None and deviation > KPI_DEVIATION_LIMIT


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    denominator = Decimal(denominator)
    if denominator == 0:
        return None
    return Decimal(numerator) / denominator


def conversion_rate(*, converted: int, reached: int) -> Decimal | None:
    """Converted / reached."""
    return _ratio(converted, reached)


def customer_acquisition_cost(*, spend: Decimal, new_customers: int) -> Decimal | None:
    """Spend / new customers."""
    return _ratio(spend, new_customers)


def return_on_investment(*, revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(Revenue − cost) / cost."""
    return _ratio(Decimal(revenue) - Decimal(cost), cost)


def average_revenue_per_user(*, revenue: Decimal, users: int) -> Decimal | None:
    return _ratio(revenue, users)


def member_conversion_rate(*, paid_members: int, new_members: int) -> Decimal | None:
    """New members in a paid tier / all new members (target 25 %)."""
    return _ratio(paid_members, new_members)


def redemption_rate(*, redeemed: int, issued: int) -> Decimal | None:
    """Benefits redeemed / benefits issued (target ≥ 30 %)."""
    return _ratio(redeemed, issued)


def net_promoter_score(*, promoters: int, passives: int, detractors: int) -> Decimal | None:
    """(Promoters − detractors) / respondents × 100, from −100 to 100."""
    total = promoters + passives + detractors
    ratio = _ratio(promoters - detractors, total)
    return None if ratio is None else ratio * 100


# --- Computed KPIs: a reading may give a standard KPI's inputs instead of its value (SPEC 3) ---------------------

HUNDRED = Decimal(100)


def _percent(ratio: Decimal | None) -> Decimal | None:
    return None if ratio is None else ratio * HUNDRED


# kind → (its inputs, the actual value from them). Rates are in per cent, as their targets are (25 for 25 %);
# CAC and ARPU in CNY; NPS from −100 to 100.
KPI_FORMULAS: dict[str, tuple[tuple[str, ...], Callable[..., Decimal | None]]] = {
    KpiKind.CONVERSION_RATE: (("converted", "reached"), lambda **v: _percent(conversion_rate(**v))),
    KpiKind.CAC: (("spend", "new_customers"), customer_acquisition_cost),
    KpiKind.ROI: (("revenue", "cost"), lambda **v: _percent(return_on_investment(**v))),
    KpiKind.ARPU: (("revenue", "users"), average_revenue_per_user),
    KpiKind.MEMBER_CONVERSION: (("paid_members", "new_members"), lambda **v: _percent(member_conversion_rate(**v))),
    KpiKind.REDEMPTION_RATE: (("redeemed", "issued"), lambda **v: _percent(redemption_rate(**v))),
    KpiKind.NPS: (("promoters", "passives", "detractors"), net_promoter_score),
}
KPI_INPUT_LABELS = {
    "converted": _("Converted"),
    "reached": _("Reached"),
    "spend": _("Spend (CNY)"),
    "new_customers": _("New customers"),
    "revenue": _("Revenue (CNY)"),
    "cost": _("Cost (CNY)"),
    "users": _("Users"),
    "paid_members": _("New members in a paid tier"),
    "new_members": _("New members"),
    "redeemed": _("Benefits redeemed"),
    "issued": _("Benefits issued"),
    "promoters": _("Promoters"),
    "passives": _("Passives"),
    "detractors": _("Detractors"),
}
# Inputs that count people or things: whole numbers.
KPI_COUNT_INPUTS = frozenset(KPI_INPUT_LABELS) - {"spend", "revenue", "cost"}


def kpi_inputs(kind: str) -> tuple[str, ...]:
    """The inputs from which a KPI of this kind is computed (none for a kind without a formula)."""
    return KPI_FORMULAS[kind][0] if kind in KPI_FORMULAS else ()


def kpi_value_from_inputs(kind: str, inputs: dict[str, Decimal]) -> Decimal | None:
    """The KPI's value from its inputs, or None when it is undefined (a zero denominator)."""
    names, formula = KPI_FORMULAS[kind]
    return formula(**{name: inputs[name] for name in names})
