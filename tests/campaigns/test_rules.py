"""Phase health lights and KPI deviation at their boundaries; the standard KPI formulas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Milestone, Task, TaskStatus
from campaigns.rules import (
    average_revenue_per_user,
    conversion_rate,
    customer_acquisition_cost,
    kpi_deviation,
    kpi_off_forecast,
    member_conversion_rate,
    net_promoter_score,
    phase_health,
    redemption_rate,
    return_on_investment,
)

TODAY = dt.date(2027, 3, 1)


def task(pk: int, due_offset: int, *, status=TaskStatus.IN_PROGRESS, progress=50) -> Task:
    return Task(
        pk=pk,
        title=f"t{pk}",
        start_date=TODAY - dt.timedelta(days=10),
        due_date=TODAY + dt.timedelta(days=due_offset),
        status=status,
        progress=progress,
    )


def milestone(due_offset: int, *, done=False) -> Milestone:
    return Milestone(name="m", due_date=TODAY + dt.timedelta(days=due_offset), done=done)


def health(milestones=(), tasks=(), critical=()):
    return phase_health(milestones=milestones, tasks=tasks, critical_task_ids=set(critical), today=TODAY)


def test_green_when_nothing_is_late():
    assert health([milestone(10)], [task(1, 5)]) == "green"


def test_red_when_a_milestone_is_overdue_but_not_when_it_is_due_today():
    assert health([milestone(-1)]) == "red"
    assert health([milestone(0)], [task(1, 5, progress=80)]) == "green"
    assert health([milestone(-1, done=True)]) == "green"


def test_red_when_a_critical_task_is_late_yellow_when_another_is():
    assert health(tasks=[task(1, -1)], critical=[1]) == "red"
    assert health(tasks=[task(1, -1)], critical=[2]) == "yellow"
    assert health(tasks=[task(1, -1, status=TaskStatus.DONE)], critical=[1]) == "green"
    assert health(tasks=[task(1, 0)], critical=[1]) == "green"  # due today is not late


@pytest.mark.parametrize(
    ("due_offset", "progress", "expected"),
    [
        (3, 79, "yellow"),  # due in 3 days, under 80 % → yellow
        (3, 80, "green"),  # exactly 80 % → fine
        (4, 0, "green"),  # due in 4 days → not yet a concern
        (0, 79, "yellow"),  # due today, under 80 %
    ],
)
def test_milestone_due_soon_with_unfinished_work(due_offset, progress, expected):
    assert health([milestone(due_offset)], [task(1, 10, progress=progress)]) == expected


def test_done_tasks_count_as_complete_for_the_80_percent_rule():
    tasks = [task(1, 10, status=TaskStatus.DONE, progress=0), task(2, 10, progress=60)]
    assert health([milestone(2)], tasks) == "green"  # (100 + 60) / 2 = 80


@pytest.mark.parametrize(
    ("actual", "forecast", "flagged"),
    [
        ("115", "100", False),  # exactly 15 % over: not flagged
        ("115.01", "100", True),  # just over
        ("85", "100", False),  # exactly 15 % under
        ("84.99", "100", True),
        ("100", "100", False),
        ("1", "0", True),
        ("0", "0", False),
        (None, "100", False),
        ("100", None, False),
    ],
)
def test_kpi_deviation_flag_boundary(actual, forecast, flagged):
    to_dec = lambda v: None if v is None else Decimal(v)  # noqa: E731
    assert kpi_off_forecast(to_dec(actual), to_dec(forecast)) is flagged


def test_kpi_deviation_value():
    assert kpi_deviation(Decimal("115"), Decimal("100")) == Decimal("0.15")
    assert kpi_deviation(Decimal("-10"), Decimal("-8")) == Decimal("0.25")


def test_kpi_formulas():
    assert conversion_rate(converted=186, reached=1000) == Decimal("0.186")
    assert customer_acquisition_cost(spend=Decimal("30000000"), new_customers=1_200_000) == Decimal("25")
    assert return_on_investment(revenue=Decimal("45"), cost=Decimal("30")) == Decimal("0.5")
    assert average_revenue_per_user(revenue=Decimal("1000"), users=40) == Decimal("25")
    assert member_conversion_rate(paid_members=25, new_members=100) == Decimal("0.25")
    assert redemption_rate(redeemed=3, issued=10) == Decimal("0.3")
    assert net_promoter_score(promoters=70, passives=20, detractors=10) == Decimal("60")
    assert conversion_rate(converted=1, reached=0) is None
    assert net_promoter_score(promoters=0, passives=0, detractors=0) is None


def test_computed_kpis_follow_their_formulas_in_the_units_of_their_targets():
    from campaigns.rules import kpi_inputs, kpi_value_from_inputs

    assert kpi_inputs("conversion_rate") == ("converted", "reached") and kpi_inputs("count") == ()
    assert kpi_value_from_inputs("conversion_rate", {"converted": Decimal(186), "reached": Decimal(1000)}) == Decimal(
        "18.6"
    )
    assert kpi_value_from_inputs("member_conversion", {"paid_members": Decimal(25), "new_members": Decimal(100)}) == 25
    assert kpi_value_from_inputs("cac", {"spend": Decimal("30000000"), "new_customers": Decimal(1_200_000)}) == 25
    assert kpi_value_from_inputs("roi", {"revenue": Decimal(45), "cost": Decimal(30)}) == 50
    assert (
        kpi_value_from_inputs("nps", {"promoters": Decimal(70), "passives": Decimal(20), "detractors": Decimal(10)})
        == 60
    )
    assert kpi_value_from_inputs("redemption_rate", {"redeemed": Decimal(3), "issued": Decimal(0)}) is None
