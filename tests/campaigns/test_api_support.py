"""Builders shared by the campaign API tests (test_api*.py). No tests here.

They write through the models directly so that each API test exercises only the endpoint it is about.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from campaigns.models import Campaign, Channel, Kpi, KpiReading, Milestone, Phase, Task, TaskDependency
from teams.models import TeamMembership

START = dt.date(2027, 2, 10)


def day(n: int) -> dt.date:
    """Day ``n`` of a campaign starting on START (day 1 is START)."""
    return START + dt.timedelta(days=n - 1)


def make_campaign(cast, code: str = "WD-API", *, team=None, lead=None, days: int = 30, **fields) -> Campaign:
    return Campaign.objects.create(
        code=code,
        name=fields.pop("name", f"Campaign {code}"),
        team=team or cast.team,
        lead=lead or cast.lead,
        start_date=fields.pop("start_date", START),
        end_date=fields.pop("end_date", START + dt.timedelta(days=days - 1)),
        **fields,
    )


def outsider_campaign(cast, code: str = "CH-API") -> Campaign:
    """A campaign of the outsider's own team (渠道拓展組)."""
    team = TeamMembership.objects.get(user=cast.outsider).team
    return make_campaign(cast, code, team=team, lead=cast.outsider)


def make_phase(campaign: Campaign, name: str = "準備期", start: int = 1, end: int = 10, order: int = 1) -> Phase:
    return Phase.objects.create(campaign=campaign, name=name, order=order, start_date=day(start), end_date=day(end))


def make_milestone(phase: Phase, name: str = "物料終稿", due: int = 8, **fields) -> Milestone:
    return Milestone.objects.create(campaign=phase.campaign, phase=phase, name=name, due_date=day(due), **fields)


def make_task(campaign: Campaign, title: str, start: int, due: int, *, phase=None, after=(), **fields) -> Task:
    task = Task.objects.create(
        campaign=campaign, phase=phase, title=title, start_date=day(start), due_date=day(due), **fields
    )
    TaskDependency.objects.bulk_create(TaskDependency(predecessor=p, successor=task) for p in after)
    return task


def make_kpi(campaign: Campaign, name: str = "會員轉化率", target: str = "25", **fields) -> Kpi:
    return Kpi.objects.create(campaign=campaign, name=name, target=Decimal(target), **fields)


def make_reading(kpi: Kpi, date: dt.date, actual=None, forecast=None) -> KpiReading:
    return KpiReading.objects.create(
        kpi=kpi,
        date=date,
        actual=None if actual is None else Decimal(actual),
        forecast=None if forecast is None else Decimal(forecast),
    )


def make_channel(campaign: Campaign, name: str = "APP推送", type: str = "app_push", **fields) -> Channel:
    return Channel.objects.create(campaign=campaign, name=name, type=type, **fields)
