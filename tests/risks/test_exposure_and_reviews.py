from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from budgets.services import budget_create
from campaigns.services import task_save
from risks.exposure import simulate_exposure
from risks.models import Risk, RiskReview
from risks.services import risk_review_record, risk_save
from tests.budgets.conftest import DEMO_LINES

pytestmark = pytest.mark.django_db


def add(campaign, actor, **kw):
    return risk_save(campaign=campaign, actor=actor, title=kw.pop("title", "r"), category="market", **kw)


def test_a_near_certain_risk_shows_in_p50_and_a_rare_one_does_not(cast, campaign):
    add(campaign, cast.lead, probability=5, impact=3, cost_impact="1000000")  # 85 %
    add(campaign, cast.lead, probability=1, impact=3, cost_impact="5000000")  # 5 %
    exposure = simulate_exposure(campaign=campaign, seed=1)
    assert exposure.trials == 10_000 and exposure.risks == 2
    assert exposure.cost_p50 == Decimal("1000000.0")
    assert exposure.cost_p90 == Decimal("1000000.0")
    assert Decimal("1050000") < exposure.cost_mean < Decimal("1150000")  # 0.85 × 1 M + 0.05 × 5 M = 1.1 M
    assert sum(exposure.histogram_counts) == 10_000


def test_mitigated_risks_are_out_and_occurred_ones_certain(cast, campaign):
    add(campaign, cast.lead, probability=5, impact=5, cost_impact="9000000", status="mitigated")
    add(campaign, cast.lead, probability=1, impact=5, cost_impact="200000", status="occurred")
    exposure = simulate_exposure(campaign=campaign, seed=2)
    assert exposure.risks == 1
    assert exposure.cost_p50 == exposure.cost_p90 == Decimal("200000.0")


def test_exposure_is_compared_with_the_budgets_reserve(cast, campaign):
    budget_create(actor=cast.lead, campaign=campaign, total="30000000", lines=DEMO_LINES)
    add(campaign, cast.lead, probability=4, impact=5, cost_impact="5000000")
    exposure = simulate_exposure(campaign=campaign, seed=3)
    assert exposure.reserve == Decimal("4000000.00")  # partner reserve 3 M + emergency 1 M
    assert exposure.cost_p90 == Decimal("5000000.0")
    assert exposure.reserve_covers_p90 is False


def test_schedule_slip_counts_only_beyond_the_tasks_float(cast, campaign):
    start = dt.date(2027, 2, 10)
    long = task_save(
        campaign=campaign, actor=cast.lead, title="Build", start_date=start, due_date=start + dt.timedelta(days=9)
    )
    short = task_save(
        campaign=campaign, actor=cast.lead, title="Posters", start_date=start, due_date=start + dt.timedelta(days=4)
    )
    add(campaign, cast.lead, probability=5, impact=4, task=long, schedule_impact_days=3)  # critical: 3 days
    add(campaign, cast.lead, probability=5, impact=4, task=short, schedule_impact_days=7)  # float 5: 2 days
    exposure = simulate_exposure(campaign=campaign, seed=4)
    assert exposure.planned_end == campaign.end_date  # the campaign's own end, as every page shows it
    assert exposure.slip_p90 == 5
    # P90 moves the schedule's projected end (the tasks finish on 19 Feb) by the slip: still before the end date.
    assert exposure.projected_end_p90 >= start + dt.timedelta(days=9 + 5)


def test_empty_register(cast, campaign):
    exposure = simulate_exposure(campaign=campaign)
    assert (exposure.risks, exposure.cost_p90, exposure.slip_p90) == (0, Decimal("0.0"), 0)


def test_reviews_keep_the_score_history(cast, campaign):
    risk = add(campaign, cast.lead, probability=4, impact=4)
    risk_review_record(
        risk=risk,
        actor=cast.member,
        reviewed_on=dt.date(2027, 2, 1),
        probability=3,
        impact=4,
        notes="Backup servers booked",
    )
    risk_review_record(risk=risk, actor=cast.member, reviewed_on=dt.date(2027, 2, 15), probability=2, impact=4)
    risk.refresh_from_db()
    assert (risk.probability, risk.score) == (2, 8)
    history = list(
        RiskReview.objects.filter(risk=risk).order_by("reviewed_on").values_list("previous_probability", "probability")
    )
    assert history == [(4, 3), (3, 2)]
    from core.errors import ApplicationError, NotAllowed

    with pytest.raises(ApplicationError):
        risk_review_record(risk=risk, actor=cast.member, reviewed_on=dt.date(2027, 2, 16), probability=9, impact=4)
    with pytest.raises(NotAllowed):
        risk_review_record(risk=risk, actor=cast.viewer, reviewed_on=dt.date(2027, 2, 16), probability=1, impact=1)
    assert Risk.objects.get(pk=risk.pk).score == 8
