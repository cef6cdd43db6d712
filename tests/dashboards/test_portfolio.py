"""The executive portfolio (SPEC 8): who may open it (SPEC 2: executives read everything, administrators do
everything; everyone else gets 403 — the page exists, but it lists every team's campaigns), what each row says
(health = the overview's worst phase light, approved budget and spend, red and yellow alerts, member conversion),
filters, sort, pages, the portfolio heat map, and a constant number of queries as the portfolio grows."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import selectors
from campaigns.health import campaign_health_map
from campaigns.models import Campaign, Milestone, Phase, Task, TaskDependency
from risks.models import Risk
from tests.dashboards.data import grow

pytestmark = pytest.mark.django_db

URL = "/campaigns/portfolio/"


def get(client, user, query: str = ""):
    client.force_login(user)
    return client.get(f"{URL}{query}")


def rows(page: str) -> list[tuple[str, str]]:
    """(code, health) of each row, in order."""
    return re.findall(r'<tr data-campaign="([^"]+)" data-health="([^"]+)">', page)


def test_the_url_name_is_campaigns_portfolio():
    assert reverse("campaigns:portfolio") == URL


@pytest.mark.parametrize("who", ["lead", "deputy", "member", "viewer", "finance", "outsider"])
def test_everyone_but_executives_and_admins_is_refused_with_403(client, cast, who):
    grow(cast, 1)
    response = get(client, getattr(cast, who))
    assert response.status_code == 403
    page = response.content.decode()
    assert "DB-" not in page  # no campaign of any team is named on the refusal
    assert 'data-nav="portfolio"' not in page


@pytest.mark.parametrize("who", ["executive", "admin"])
def test_executives_and_admins_see_every_teams_campaigns(client, cast, who):
    made = grow(cast, 2)
    response = get(client, getattr(cast, who))
    assert response.status_code == 200
    page = response.content.decode()
    assert {code for code, _h in rows(page)} == {c.code for c in made}
    assert 'data-nav="portfolio"' in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_row_shows_budget_spend_alerts_and_member_conversion(client, cast):
    mine, _theirs = grow(cast, 1)
    page = get(client, cast.executive).content.decode()
    row = re.search(rf'<tr data-campaign="{mine.code}".*?</tr>', page, re.S).group(0)
    assert 'data-approved="1000000.00"' in row and 'data-spent="250000.00"' in row
    assert 'data-red="1"' in row and 'data-yellow="1"' in row
    assert f"{reverse('risks:list')}?campaign={mine.pk}&amp;alert_level=red" in row
    assert 'data-conversion="25.0"' in row  # 2 of 8 members in a paid tier
    # its late task has three days of slack before the task that depends on it: late but not critical
    assert 'data-health="yellow"' in row


# --- Health is the overview's worst phase light -------------------------------------------------------------


def overview_health(campaign: Campaign) -> str | None:
    lights = [ps.health for ps in selectors.campaign_phases(campaign=campaign)]
    order = ["green", "yellow", "red"]
    return max(lights, key=order.index) if lights else None


def test_health_matches_the_overview_for_random_campaigns(cast):
    """The set-based health (campaigns.health) against the overview's per-campaign rule, on 40 random plans."""
    rng = random.Random(8)
    today = timezone.localdate()
    campaigns = []
    for k in range(40):
        c = Campaign.objects.create(code=f"RND-{k}", name="r", team=cast.team, lead=cast.lead,
                                    start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30))  # fmt: skip
        campaigns.append(c)
        phases = [
            Phase.objects.create(campaign=c, name=f"P{j}", order=j, start_date=c.start_date, end_date=c.end_date)
            for j in range(rng.randint(0, 3))
        ]
        for phase in phases:
            for _ in range(rng.randint(0, 2)):
                Milestone.objects.create(campaign=c, phase=phase, name="m", done=rng.random() < 0.3,
                                         due_date=today + dt.timedelta(days=rng.randint(-3, 6)))  # fmt: skip
        tasks = []
        for _ in range(rng.randint(0, 7)):
            start = today + dt.timedelta(days=rng.randint(-20, 10))
            tasks.append(
                Task.objects.create(
                    campaign=c,
                    phase=rng.choice([*phases, None]) if phases else None,
                    title="t",
                    start_date=start,
                    due_date=start + dt.timedelta(days=rng.randint(0, 12)),
                    status=rng.choice(["todo", "in_progress", "done", "blocked"]),
                    progress=rng.choice([0, 50, 79, 80, 100]),
                )
            )
        for a, b in zip(tasks, tasks[1:], strict=False):  # a chain, so some late tasks are critical and some not
            if rng.random() < 0.5:
                TaskDependency.objects.create(predecessor=a, successor=b)
    lights = campaign_health_map({c.pk: c.time_zone for c in campaigns})
    expected = {c.pk: overview_health(c) for c in campaigns}
    assert lights == expected
    assert {"red", "yellow", "green", None} <= set(expected.values())  # the sample covers every outcome


def test_a_late_task_off_the_critical_path_is_yellow_and_on_it_red(cast):
    today = timezone.localdate()
    c = Campaign.objects.create(code="CP-1", name="c", team=cast.team, lead=cast.lead,
                                start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30))  # fmt: skip
    phase = Phase.objects.create(campaign=c, name="P", order=1, start_date=c.start_date, end_date=c.end_date)
    Task.objects.create(campaign=c, phase=phase, title="long", start_date=today - dt.timedelta(days=30),
                        due_date=today + dt.timedelta(days=30))  # fmt: skip
    late = Task.objects.create(campaign=c, phase=phase, title="short and late", start_date=today - dt.timedelta(days=5),
                               due_date=today - dt.timedelta(days=2))  # fmt: skip
    assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "yellow"} == {c.pk: overview_health(c)}
    # Now it takes as long as the long task and something waits for it: no slack left, so late means red.
    Task.objects.filter(pk=late.pk).update(
        start_date=today - dt.timedelta(days=30), due_date=today - dt.timedelta(days=1)
    )
    follow = Task.objects.create(
        campaign=c, phase=None, title="after", start_date=today, due_date=today + dt.timedelta(days=31)
    )
    TaskDependency.objects.create(predecessor=late, successor=follow)
    assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "red"} == {c.pk: overview_health(c)}


def test_health_follows_every_plan_change_even_with_critical_paths_cached(cast):
    """On PostgreSQL critical paths are cached under a fingerprint of the plan: a changed date or dependency is a
    new fingerprint, so the light never lags behind the plan (on SQLite the path is computed every time)."""
    today = timezone.localdate()
    c = Campaign.objects.create(code="CP-2", name="c", team=cast.team, lead=cast.lead,
                                start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30))  # fmt: skip
    phase = Phase.objects.create(campaign=c, name="P", order=1, start_date=c.start_date, end_date=c.end_date)
    Task.objects.create(campaign=c, phase=phase, title="long", start_date=today - dt.timedelta(days=30),
                        due_date=today + dt.timedelta(days=30))  # fmt: skip
    late = Task.objects.create(campaign=c, phase=phase, title="late", start_date=today - dt.timedelta(days=5),
                               due_date=today - dt.timedelta(days=2))  # fmt: skip
    after = Task.objects.create(campaign=c, title="after", start_date=today, due_date=today + dt.timedelta(days=30))
    for _ in range(2):  # the second run reads the cached path
        assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "yellow"}
    edge = TaskDependency.objects.create(predecessor=late, successor=after)  # now nothing may slip after "late"
    Task.objects.filter(pk=after.pk).update(
        start_date=today - dt.timedelta(days=1), due_date=today + dt.timedelta(days=30)
    )
    assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "red"} == {c.pk: overview_health(c)}
    edge.delete()
    assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "yellow"} == {c.pk: overview_health(c)}
    Task.objects.filter(pk=late.pk).update(due_date=today + dt.timedelta(days=1))  # no longer late
    assert campaign_health_map({c.pk: c.time_zone}) == {c.pk: "green"} == {c.pk: overview_health(c)}


# --- Filters, sort, pages, heat map --------------------------------------------------------------------------


def test_filters_by_status_team_and_health(client, cast):
    mine, theirs = grow(cast, 1)
    Campaign.objects.filter(pk=theirs.pk).update(status="planning")
    Task.objects.filter(campaign=theirs).update(status="done")  # no late task left: green
    page = get(client, cast.executive, "?status=planning").content.decode()
    assert [code for code, _h in rows(page)] == [theirs.code]
    page = get(client, cast.executive, f"?team={cast.team.pk}").content.decode()
    assert [code for code, _h in rows(page)] == [mine.code]
    page = get(client, cast.executive, "?health=green").content.decode()
    assert rows(page) == [(theirs.code, "green")]
    page = get(client, cast.executive, "?health=yellow").content.decode()
    assert rows(page) == [(mine.code, "yellow")]
    page = get(client, cast.executive, "?health=red").content.decode()
    assert rows(page) == [] and "No campaign matches these filters." in page


def test_sorts_by_health_worst_first_and_by_red_alerts(client, cast):
    made = grow(cast, 3)
    calm, urgent = made[1], made[4]
    Task.objects.filter(campaign=calm).update(status="done")
    Risk.objects.filter(campaign=calm).update(status="closed")
    Milestone.objects.filter(campaign=urgent).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    page = get(client, cast.executive, "?sort=health").content.decode()
    assert [h for _c, h in rows(page)] == ["red", "yellow", "yellow", "yellow", "yellow", "green"]
    assert rows(page)[0][0] == urgent.code and rows(page)[-1][0] == calm.code
    page = get(client, cast.executive, "?sort=red").content.decode()
    assert rows(page)[-1][0] == calm.code


def test_pages_of_25(client, cast):
    grow(cast, 14)  # 28 campaigns
    first = rows(get(client, cast.executive).content.decode())
    second = rows(get(client, cast.executive, "?page=2").content.decode())
    assert len(first) == 25 and len(second) == 3 and not set(first) & set(second)
    second_by_health = rows(get(client, cast.executive, "?sort=health&page=2").content.decode())
    assert len(second_by_health) == 3


def test_heat_map_counts_live_risks_of_every_campaign_and_links_to_the_filtered_register(client, cast):
    made = grow(cast, 2)
    page = get(client, cast.executive).content.decode()
    cell = re.search(r'data-probability="3" data-impact="4" data-count="(\d+)">\s*<a href="([^"]+)"', page)
    assert int(cell.group(1)) == len(made)  # one yellow risk at (3, 4) in each campaign
    url = cell.group(2).replace("&amp;", "&")
    assert url == f"{reverse('risks:list')}?status=live&probability=3&impact=4"
    client.force_login(cast.executive)
    listed = client.get(url).content.decode()
    assert len(re.findall(r'<tr[^>]*data-risk="\d+"', listed)) == len(made)


# --- Queries --------------------------------------------------------------------------------------------------


def count_queries(client, user, query: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"{URL}{query}").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["", "?sort=health", "?health=red", "?sort=red&page=2", "?status=active"])
def test_portfolio_query_count_is_constant_as_campaigns_grow_tenfold(client, cast, query):
    grow(cast, 3)  # 6 campaigns
    small = count_queries(client, cast.executive, query)
    grow(cast, 27)  # 60 campaigns
    large = count_queries(client, cast.executive, query)
    assert large == small, (small, large)
    print(f"portfolio{query}: {small} queries")
    assert small <= 14
