"""Health decided once (SPEC 10.2, issue 15): the rule at its boundaries, the same health, projected end and slip
on every surface for 40 random plans, and a stored health that never goes stale."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.health import (
    CampaignFacts,
    campaign_health,
    compute_health,
    decide,
    fresh_health,
    health_invalidate,
    health_refresh,
    stale_ids,
)
from campaigns.models import Campaign, Health, Milestone, Task, TaskDependency
from campaigns.selectors import campaign_phases, campaign_schedule, campaign_today
from campaigns.tasks import refresh_health
from tests.factories import CampaignFactory, PhaseFactory

pytestmark = pytest.mark.django_db

D = dt.date(2027, 3, 1)  # "today" in the pure tests
END = D + dt.timedelta(days=20)  # the campaign's end
PHASE_END = D + dt.timedelta(days=10)


class T:
    """A task row as compute_health reads it."""

    def __init__(self, pk, start, due, *, phase=1, status="in_progress", progress=0):
        self.pk, self.phase_id, self.start_date, self.due_date = pk, phase, start, due
        self.status, self.progress = status, progress


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def judge(tasks, edges=(), *, milestones=None, extra=()):
    return decide(
        facts=CampaignFacts(1, day(-10), END, D),
        phases=[(1, "执行期", PHASE_END)],
        milestones=milestones or {},
        tasks=tasks,
        edges=list(edges),
        extra=list(extra),
    )


# --- The rule at its boundaries (pure) ----------------------------------------------------------------------------


def test_a_task_finishing_on_the_phase_end_is_green_one_day_after_yellow():
    assert judge([T(1, day(0), PHASE_END)]).phases == {1: Health.GREEN}
    after = judge([T(1, day(0), PHASE_END + dt.timedelta(days=1))])
    assert after.phases == {1: Health.YELLOW} and after.health == Health.YELLOW and after.slip_days == 0
    assert after.texts() == ["Phase “执行期”: a task is projected to finish after the phase ends"]


def test_a_task_pushed_past_the_phase_end_by_its_predecessor_is_yellow():
    # Each ends inside the phase as planned, but the second waits for the first: it is projected 3 days past it.
    plan = [T(1, day(0), day(8)), T(2, day(5), day(10))]
    assert judge(plan).phases == {1: Health.GREEN}
    pushed = judge(plan, edges=[(1, 2)])
    assert pushed.phases == {1: Health.YELLOW}
    assert pushed.projected_end == day(8 + 6)


def test_projected_end_on_the_campaign_end_is_not_late_one_day_after_is_red_with_one_day_of_slip():
    on_end = judge([T(1, day(0), END, phase=None)])
    assert (on_end.health, on_end.projected_end, on_end.slip_days) == (Health.GREEN, END, 0)
    late = judge([T(1, day(0), END + dt.timedelta(days=1), phase=None)])
    assert (late.health, late.projected_end, late.slip_days) == (Health.RED, END + dt.timedelta(days=1), 1)
    assert late.texts() == ["Projected to end 1 day late"]


def test_a_phase_with_a_task_projected_after_the_campaign_end_is_red():
    result = judge([T(1, day(0), END + dt.timedelta(days=2))])
    assert result.phases == {1: Health.RED} and result.health == Health.RED and result.slip_days == 2


def test_late_work_slips_by_what_remains_and_done_work_does_not():
    # Started 10 days ago for 10 days, half done and due yesterday: 5 days remain from today, so it ends day 4.
    half = judge([T(1, day(-10), day(-1), progress=50)])
    assert half.projected_end == day(4) and half.phases == {1: Health.RED}  # late, and alone it is critical
    done = judge([T(1, day(-10), day(-1), status="done", progress=100)])
    assert done.health == Health.GREEN and done.projected_end == day(-1)


def test_signals_only_make_it_worse_and_say_so():
    calm = judge([T(1, day(0), day(3))], extra=[{"code": "kpi", "level": "yellow", "count": 2}])
    assert calm.health == Health.YELLOW and calm.texts() == ["2 KPIs off forecast"]
    red = judge([T(1, day(0), day(3))], extra=[{"code": "red_alerts", "level": "red", "count": 1}])
    assert red.health == Health.RED and red.slip_days == 0 and red.texts() == ["1 red risk alert"]


def test_an_overdue_milestone_is_red_and_one_due_soon_with_unfinished_work_yellow():
    class M:
        def __init__(self, due, done=False):
            self.due_date, self.done = due, done

    work = [T(1, day(0), day(5), progress=50)]
    assert judge(work, milestones={1: [M(day(-1))]}).health == Health.RED
    assert judge(work, milestones={1: [M(day(3))]}).health == Health.YELLOW
    assert judge(work, milestones={1: [M(day(4))]}).health == Health.GREEN


# --- Every surface shows the same health (40 random plans) ----------------------------------------------------------


def _random_plan(rng: random.Random, cast, k: int, today: dt.date) -> Campaign:
    campaign = CampaignFactory(
        actor=cast.lead, team=cast.team, code=f"HR-{k:02d}", start_date=today - dt.timedelta(days=20),
        end_date=today + dt.timedelta(days=rng.randint(3, 25)),
    )  # fmt: skip
    phases = []
    for j in range(rng.randint(0, 3)):
        end = today + dt.timedelta(days=rng.randint(-2, 20))
        phases.append(PhaseFactory(campaign=campaign, actor=cast.lead, order=j + 1,
                                   start_date=campaign.start_date, end_date=max(end, campaign.start_date)))  # fmt: skip
    for phase in phases:
        for _ in range(rng.randint(0, 2)):
            services.milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name="里程碑",
                                    due_date=today + dt.timedelta(days=rng.randint(-2, 6)), done=rng.random() < 0.3)  # fmt: skip
    tasks: list[Task] = []
    for n in range(rng.randint(0, 7)):
        start = today + dt.timedelta(days=rng.randint(-20, 8))
        status = rng.choice(["todo", "in_progress", "done", "blocked"])
        predecessors = [t for t in tasks if rng.random() < 0.3]  # only earlier tasks: never a cycle
        tasks.append(
            services.task_save(
                campaign=campaign, actor=cast.lead, title=f"任务 {n}", phase=rng.choice([*phases, None]),
                start_date=start, due_date=start + dt.timedelta(days=rng.randint(0, 12)), status=status,
                progress=rng.choice([0, 40, 80, 100]), depends_on=predecessors,
            )
        )  # fmt: skip
    return campaign


def _badge(page: str) -> tuple[str, int, str]:
    """(health, slip, projected end) from the campaign header's health badge."""
    m = re.search(
        r'class="campaign-health[^"]*" data-health="(\w+)" data-slip="(-?\d+)" data-projected-end="([^"]*)"', page
    )
    assert m, "no health badge on the page"
    return m.group(1), int(m.group(2)), m.group(3)


@pytest.mark.slow
def test_every_surface_shows_the_same_health_for_the_same_plan(client, api, cast):
    rng = random.Random(15)
    today = timezone.localdate()
    campaigns = [_random_plan(rng, cast, k, today) for k in range(40)]
    Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).update(status="active")  # home lists live ones
    decided = compute_health([c.pk for c in campaigns])
    assert {h.health for h in decided.values()} == {"red", "yellow", "green"}  # the sample covers every outcome

    client.force_login(cast.executive)
    portfolio = client.get("/campaigns/portfolio/?page_size=100&sort=code").content.decode()
    portfolio += client.get("/campaigns/portfolio/?page=2&sort=code").content.decode()
    client.force_login(cast.lead)
    home = client.get(reverse("home")).content.decode()
    listed = {row["id"]: row for row in api(cast.lead).get("/api/v1/campaigns/?page_size=100").json()["results"]}
    for c in campaigns:
        h = decided[c.pk]
        expected = (h.health, h.slip_days, h.projected_end.isoformat() if h.projected_end else "")
        # The contract itself: projected_end is the CPM schedule's, slip is projected_end − end_date, and red
        # whenever the plan ends late.
        schedule = campaign_schedule(campaign=c, today=campaign_today(c))
        assert h.projected_end == schedule.projected_end
        slip = (schedule.projected_end - c.end_date).days if schedule.projected_end else 0
        assert h.slip_days == max(slip, 0)
        if h.slip_days:
            assert h.health == "red"

        overview = client.get(reverse("campaigns:detail", args=[c.pk])).content.decode()
        assert _badge(overview) == expected, c.code
        lights = dict(re.findall(r'data-phase="(\d+)" data-health="(\w+)"', overview))
        assert {int(k): v for k, v in lights.items()} == h.phases
        assert {ps.phase.pk: ps.health for ps in campaign_phases(campaign=c)} == h.phases
        assert f'data-slip="{h.slip_days}"' in overview
        for url in (
            reverse("campaigns:gantt", args=[c.pk]),
            reverse("campaigns:summary", args=[c.pk]),
            reverse("risks:exposure", args=[c.pk]),
        ):
            assert _badge(client.get(url).content.decode()) == expected, (c.code, url)
        row = re.search(rf'<tr data-campaign="{c.code}" data-health="(\w+)" data-slip="(\d+)"', portfolio)
        assert row and (row.group(1), int(row.group(2))) == (h.health, h.slip_days), c.code
        item = re.search(rf'data-campaign="{c.code}" data-health="(\w+)" data-slip="(\d+)"', home)
        if item:  # home shows the six worst; the rest are behind "all campaigns"
            assert (item.group(1), int(item.group(2))) == (h.health, h.slip_days)
        one = api(cast.lead).get(f"/api/v1/campaigns/{c.pk}/").json()
        for body in (one, listed[c.pk]):
            assert (body["health"], body["slip_days"], body["projected_end"] or "") == expected, c.code
    assert len(re.findall(r'<li class="list-group-item[^"]*" data-campaign="HR-', home)) == 6


# --- Stored, never stale -------------------------------------------------------------------------------------------


def stored(campaign: Campaign) -> tuple:
    campaign.refresh_from_db()
    fresh_health(Campaign.objects.filter(pk=campaign.pk))
    campaign.refresh_from_db()
    return campaign.health, campaign.projected_end, campaign.slip_days, campaign.health_reasons


def decided(campaign: Campaign) -> tuple:
    h = compute_health([campaign.pk])[campaign.pk]
    return h.health, h.projected_end, h.slip_days, h.reasons


def test_the_stored_health_follows_every_change_made_through_the_services(cast):
    """Random plan edits, KPI readings, risks and spend through the services; after each, the health a page reads
    (the stored column, made current) is what compute_health decides from scratch."""
    from budgets import services as budget_services
    from budgets.models import Budget
    from risks import services as risk_services

    rng = random.Random(3)
    today = timezone.localdate()
    c = CampaignFactory(actor=cast.lead, team=cast.team, code="ST-1", start_date=today - dt.timedelta(days=10),
                        end_date=today + dt.timedelta(days=12))  # fmt: skip
    phase = PhaseFactory(
        campaign=c, actor=cast.lead, order=1, start_date=c.start_date, end_date=today + dt.timedelta(days=6)
    )
    kpi = services.kpi_save(campaign=c, actor=cast.lead, name="转化率", kind="conversion_rate", unit="%", target=5)
    budget = Budget.objects.create(campaign=c, version=1, total=Decimal(1000), status="approved", created_by=cast.lead)
    line = budget.lines.create(category="channel_promotion", amount=Decimal(900))
    tasks: list[Task] = []
    seen = set()
    for step in range(40):
        action = rng.choice(
            ["add", "move", "link", "unlink", "done", "delete", "milestone", "kpi", "risk", "spend", "dates"]
        )
        if action == "add" or not tasks:
            start = today + dt.timedelta(days=rng.randint(-8, 8))
            tasks.append(services.task_save(campaign=c, actor=cast.lead, title=f"t{step}", phase=rng.choice([phase, None]),
                                            start_date=start, due_date=start + dt.timedelta(days=rng.randint(0, 6))))  # fmt: skip
        elif action == "move":
            t = rng.choice(tasks)
            start = today + dt.timedelta(days=rng.randint(-8, 10))
            services.task_save(campaign=c, actor=cast.lead, task=t, start_date=start,
                               due_date=start + dt.timedelta(days=rng.randint(0, 6)))  # fmt: skip
        elif action == "link" and len(tasks) > 1:
            a, b = sorted(rng.sample(range(len(tasks)), 2))
            services.task_add_dependency(task=tasks[b], predecessor=tasks[a], actor=cast.lead)
        elif action == "unlink":
            t = rng.choice(tasks)
            for pred in list(TaskDependency.objects.filter(successor=t).values_list("predecessor_id", flat=True))[:1]:
                services.task_remove_dependency(task=t, predecessor_id=pred, actor=cast.lead)
        elif action == "done":
            services.task_save(campaign=c, actor=cast.lead, task=rng.choice(tasks), status="done")
        elif action == "delete":
            services.task_delete(task=tasks.pop(rng.randrange(len(tasks))), actor=cast.lead)
        elif action == "milestone":
            services.milestone_save(campaign=c, actor=cast.lead, phase=phase, name=f"m{step}",
                                    due_date=today + dt.timedelta(days=rng.randint(-2, 4)))  # fmt: skip
        elif action == "kpi":
            services.kpi_record_reading(kpi=kpi, actor=cast.lead, date=today - dt.timedelta(days=rng.randint(0, 5)),
                                        actual=rng.choice([4, 5, 9]), forecast=5)  # fmt: skip
        elif action == "risk":
            risk_services.risk_save(campaign=c, actor=cast.lead, title=f"风险 {step}", category="market",
                                    probability=4, impact=4, owner=cast.member,
                                    expected_date=today + dt.timedelta(days=rng.choice([0, 2, 30])),
                                    status=rng.choice(["open", "closed"]))  # fmt: skip
        elif action == "spend":
            budget_services.expense_record(line=line, actor=cast.lead, amount=rng.choice([50, 300]), date=today,
                                           description="投放")  # fmt: skip
        elif action == "dates":
            c.refresh_from_db()
            services.campaign_update(
                campaign=c, actor=cast.lead, end_date=today + dt.timedelta(days=rng.randint(6, 14))
            )
        now = stored(c)
        assert now == decided(c), (step, action)
        seen.add(now[0])
    assert seen == {"green", "yellow", "red"}


def test_a_new_day_makes_the_stored_health_out_of_date_in_the_campaigns_own_time_zone(cast):
    today = timezone.localdate()
    c = CampaignFactory(actor=cast.lead, team=cast.team, code="TZ-1", start_date=today - dt.timedelta(days=3),
                        end_date=today + dt.timedelta(days=3), time_zone="Pacific/Auckland")  # fmt: skip
    services.task_save(campaign=c, actor=cast.lead, title="t", start_date=today, due_date=today + dt.timedelta(days=3))
    now = timezone.now()
    health_refresh([c.pk], now=now)
    assert stale_ids(Campaign.objects.filter(pk=c.pk), now=now) == []
    later = now + dt.timedelta(days=1)
    assert stale_ids(Campaign.objects.filter(pk=c.pk), now=later) == [c.pk]
    # Four days on the unfinished task is late and the campaign projected past its end: red, without any write.
    four_days = now + dt.timedelta(days=4)
    c.refresh_from_db()
    assert campaign_health(c, now=four_days).health == Health.RED
    c.refresh_from_db()
    assert c.health == Health.RED and c.slip_days >= 1


def test_writes_around_the_services_are_caught_by_the_safety_net_except_queryset_updates(cast):
    today = timezone.localdate()
    c = CampaignFactory(
        actor=cast.lead, team=cast.team, code="NET-1", start_date=today, end_date=today + dt.timedelta(days=5)
    )
    health_refresh([c.pk])
    Task.objects.create(campaign=c, title="admin-made", start_date=today, due_date=today + dt.timedelta(days=9))
    assert stale_ids(Campaign.objects.filter(pk=c.pk)) == [c.pk]  # a save (the admin, the shell) marks it
    health_refresh([c.pk])
    Milestone.objects.filter(campaign=c).update(done=True)  # an update() sends no signal: the code must call it
    assert stale_ids(Campaign.objects.filter(pk=c.pk)) == []
    health_invalidate([c.pk])
    assert stale_ids(Campaign.objects.filter(pk=c.pk)) == [c.pk]


def test_refreshing_costs_the_same_queries_for_5_or_50_campaigns(cast):
    today = timezone.localdate()

    def make(n: int, offset: int) -> list[int]:
        ids = []
        for k in range(n):
            c = CampaignFactory(actor=cast.lead, team=cast.team, code=f"QC-{offset + k}", start_date=today,
                                end_date=today + dt.timedelta(days=9))  # fmt: skip
            p = PhaseFactory(campaign=c, actor=cast.lead)
            a = services.task_save(campaign=c, actor=cast.lead, title="a", phase=p, start_date=today, due_date=today)
            services.task_save(campaign=c, actor=cast.lead, title="b", phase=p, start_date=today,
                               due_date=today + dt.timedelta(days=2), depends_on=[a])  # fmt: skip
            ids.append(c.pk)
        return ids

    def queries(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            health_refresh(ids)
        return len(ctx.captured_queries)

    assert queries(make(5, 0)) == queries(make(50, 100))


def test_the_beat_task_refreshes_what_is_out_of_date_and_then_nothing(cast):
    today = timezone.localdate()
    for k in range(3):
        CampaignFactory(actor=cast.lead, team=cast.team, code=f"BT-{k}", start_date=today, end_date=today)
    assert refresh_health() == 3
    assert refresh_health() == 0
