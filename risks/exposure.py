"""Monte Carlo exposure (SPEC 5): how much the open risks may cost, against the budget's reserve, and how far
risks on the schedule may push the end date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from budgets.models import RESERVE_CATEGORIES, Budget, BudgetStatus
from campaigns.health import campaign_health
from campaigns.models import Campaign
from campaigns.selectors import campaign_schedule
from core.validators import shift_date

from .models import LIVE_STATUSES, Risk, RiskStatus

# A 1–5 probability rating as a chance of occurring (SPEC 5).
OCCURRENCE = {1: 0.05, 2: 0.15, 3: 0.35, 4: 0.60, 5: 0.85}
TRIALS = 10_000


@dataclass
class Exposure:
    trials: int
    risks: int
    cost_p50: Decimal
    cost_p90: Decimal
    cost_mean: Decimal
    reserve: Decimal | None
    slip_p50: int
    slip_p90: int
    planned_end: dt.date | None
    projected_end_p90: dt.date | None
    histogram_counts: list[int] = field(default_factory=list)
    histogram_edges: list[float] = field(default_factory=list)

    @property
    def reserve_covers_p90(self) -> bool | None:
        return None if self.reserve is None else self.reserve >= self.cost_p90


def current_reserve(campaign: Campaign) -> Decimal | None:
    """The reserve lines of the approved budget (else of the newest version still in play)."""
    budget = (
        Budget.objects.filter(campaign=campaign, status=BudgetStatus.APPROVED).first()
        or Budget.objects.filter(campaign=campaign).exclude(status=BudgetStatus.SUPERSEDED).order_by("-version").first()
    )
    if budget is None:
        return None
    return sum((line.amount for line in budget.lines.all() if line.category in RESERVE_CATEGORIES), Decimal(0))


def simulate_exposure(*, campaign: Campaign, trials: int = TRIALS, seed: int | None = None) -> Exposure:
    """Open and monitored risks occur with their rating's chance, occurred ones for certain; mitigated and
    closed ones are out. Cost: the sum of occurring risks' cost impact. Schedule: a risk linked to a task
    delays the end by its schedule impact less the task's float."""
    risks = list(
        Risk.objects.filter(campaign=campaign, status__in=LIVE_STATUSES).values_list(
            "probability", "status", "cost_impact", "schedule_impact_days", "task_id"
        )
    )
    rng = np.random.default_rng(seed if seed is not None else campaign.pk)
    schedule = campaign_schedule(campaign=campaign)
    floats = {t.task: t.float_days for t in schedule.tasks}
    chance = np.array([1.0 if status == RiskStatus.OCCURRED else OCCURRENCE[p] for p, status, *_ in risks])
    costs = np.array([float(cost or 0) for _p, _s, cost, *_ in risks])
    delays = np.array(
        [max(0, (days or 0) - floats.get(task, 0)) if task in floats else 0 for *_x, days, task in risks], dtype=float
    )
    if risks:
        occurs = rng.random((trials, len(risks))) < chance
        totals = occurs @ costs
        slips = occurs @ delays
    else:
        totals = slips = np.zeros(trials)
    counts, edges = np.histogram(totals, bins=20)
    p50, p90 = np.percentile(totals, [50, 90])
    s50, s90 = np.percentile(slips, [50, 90])
    # The schedule's projected end as campaigns.health decides it (the same figure every page shows).
    base_end = campaign_health(campaign).projected_end or campaign.end_date
    return Exposure(
        trials=trials,
        risks=len(risks),
        cost_p50=Decimal(str(round(p50, 2))),
        cost_p90=Decimal(str(round(p90, 2))),
        cost_mean=Decimal(str(round(float(totals.mean()), 2))),
        reserve=current_reserve(campaign),
        slip_p50=int(np.ceil(s50)),
        slip_p90=int(np.ceil(s90)),
        planned_end=campaign.end_date,
        projected_end_p90=shift_date(base_end, int(np.ceil(s90))) if base_end else None,
        histogram_counts=[int(c) for c in counts],
        histogram_edges=[round(float(e), 2) for e in edges],
    )
