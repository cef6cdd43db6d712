"""Rules about campaign rows: phase health lights, KPI deviation, the standard KPI formulas (SPEC 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .models import KPI_DEVIATION_LIMIT, Health, KpiKind, Milestone, Task, TaskStatus

# A milestone due within this many days whose phase's tasks are under this share done → yellow.
MILESTONE_WARNING_DAYS = 3
MILESTONE_READY_PROGRESS = 80


def phase_progress(tasks: Iterable[Task]) -> int:
    """Average progress of a phase's tasks, a done task counting 100 %; a phase without tasks is complete."""
    values = [100 if t.status == TaskStatus.DONE else t.progress for t in tasks]
    return round(sum(values) / len(values)) if values else 100


def phase_health(
    *, milestones: Iterable[Milestone], tasks: Iterable[Task], critical_task_ids: set[int], today: dt.date
) -> str:
    """red: a milestone overdue or a critical-path task late; yellow: a task late, or a milestone due within
    3 days while the phase's tasks are under 80 % done; green otherwise."""
    milestones, tasks = list(milestones), list(tasks)
    late = [t for t in tasks if t.is_late(today)]
    if any(m.is_overdue(today) for m in milestones) or any(t.pk in critical_task_ids for t in late):
        return Health.RED
    if late:
        return Health.YELLOW
    progress = phase_progress(tasks)
    for m in milestones:
        if (
            not m.done
            and 0 <= (m.due_date - today).days <= MILESTONE_WARNING_DAYS
            and progress < MILESTONE_READY_PROGRESS
        ):
            return Health.YELLOW
    return Health.GREEN


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
