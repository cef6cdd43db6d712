"""Data for the dashboard tests (home, campaign overview, portfolio): ``grow(cast, n)`` adds ``n`` campaigns to the
cast's team and ``n`` to the outsider's team, each with everything a dashboard lists — phases, a milestone, late
and open tasks owned by the team member, risks with alerts owned by the member, an approved budget with spend,
a second campaign budget in review, customer members, a standup with a meeting ahead and an open action item.

Rows are written directly (not through services) so that 10× the data stays quick to build; the rules the
services enforce are not what these tests are about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from budgets.models import Budget, BudgetLine, Expense
from campaigns.models import Campaign, Milestone, Phase, Task, TaskDependency
from members.models import Member
from reviews.models import ActionItem, Meeting, ReviewSeries
from risks.models import Risk

_serial = itertools.count(1)


def grow(cast, n: int, *, today: dt.date | None = None) -> list[Campaign]:
    """``n`` campaigns in the cast's team and ``n`` in the outsider's (another team); returns all of them."""
    today = today or timezone.localdate()
    other_team = cast.outsider.memberships.get().team
    made = []
    for team, owner, lead in ((cast.team, cast.member, cast.lead), (other_team, cast.outsider, cast.outsider)):
        for _ in range(n):
            made.append(_campaign(team=team, owner=owner, lead=lead, today=today))
    return made


def _campaign(*, team, owner, lead, today: dt.date) -> Campaign:
    k = next(_serial)
    campaign = Campaign.objects.create(
        code=f"DB-{k:04d}",
        name=f"Dashboard campaign {k}",
        team=team,
        lead=lead,
        start_date=today - dt.timedelta(days=20),
        end_date=today + dt.timedelta(days=40),
        status="active",
    )
    phase = Phase.objects.create(
        campaign=campaign, name="Execution", order=1, start_date=campaign.start_date, end_date=campaign.end_date
    )
    Milestone.objects.create(campaign=campaign, phase=phase, name="Launch", due_date=today + dt.timedelta(days=2))
    late = Task.objects.create(
        campaign=campaign,
        phase=phase,
        title=f"Late task {k}",
        owner=owner,
        start_date=today - dt.timedelta(days=10),
        due_date=today - dt.timedelta(days=3),
        progress=40,
    )
    ahead = Task.objects.create(
        campaign=campaign,
        phase=phase,
        title=f"Open task {k}",
        owner=owner,
        start_date=today,
        due_date=today + dt.timedelta(days=5),
    )
    TaskDependency.objects.create(predecessor=late, successor=ahead)
    for level, p, i in (("red", 5, 5), ("yellow", 3, 4), ("blue", 2, 2)):
        Risk.objects.create(
            campaign=campaign,
            title=f"{level} risk {k}",
            category="technical",
            owner=owner,
            probability=p,
            impact=i,
            expected_date=today + dt.timedelta(days=2),
            alert_level=level,
            alert_changed_at=timezone.now(),
        )
    budget = Budget.objects.create(
        campaign=campaign, version=1, total=Decimal("1000000.00"), status="approved", created_by=lead
    )
    line = BudgetLine.objects.create(budget=budget, category="channel_promotion", amount=Decimal("800000.00"))
    BudgetLine.objects.create(budget=budget, category="emergency", kind="flexible", amount=Decimal("100000.00"))
    Expense.objects.create(line=line, amount=Decimal("250000.00"), date=today, description="Ads", recorded_by=lead)
    Budget.objects.create(
        campaign=campaign,
        version=2,
        total=Decimal("1200000.00"),
        status="in_review",
        created_by=lead,
        submitted_by=lead,
        submitted_at=timezone.now(),
    )
    Member.objects.bulk_create(
        Member(external_id=f"DB{k}-{j}", name="會員", tier="mid_high" if j % 4 == 0 else "basic",
               source_campaign=campaign)
        for j in range(8)
    )  # fmt: skip
    series = ReviewSeries.objects.create(
        campaign=campaign,
        kind="standup",
        title=f"Standup {k}",
        weekday=today.weekday(),
        time=dt.time(10, 0),
        starts_on=today,
        chair=lead,
    )
    series.participants.add(owner, lead)
    meeting = Meeting.objects.create(
        series=series, nominal_date=today + dt.timedelta(days=1), scheduled_at=timezone.now() + dt.timedelta(days=1)
    )
    ActionItem.objects.create(meeting=meeting, title=f"Follow up {k}", owner=owner, due_date=today)
    return campaign
