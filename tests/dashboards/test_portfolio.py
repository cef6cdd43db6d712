"""The executive portfolio (SPEC 8): who may open it (SPEC 2: executives read everything, administrators do
everything; everyone else gets 403 — the page exists, but it lists every team's campaigns), what each row says
(health = the overview's worst phase light, approved budget and spend, red and yellow alerts, member conversion),
filters, sort, pages, the portfolio heat map, and a constant number of queries as the portfolio grows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.health import health_invalidate
from campaigns.models import Campaign, Milestone, Task
from risks.models import Risk
from tests.dashboards.data import grow

pytestmark = pytest.mark.django_db

URL = "/campaigns/portfolio/"


def get(client, user, query: str = ""):
    client.force_login(user)
    return client.get(f"{URL}{query}")


def rows(page: str) -> list[tuple[str, str]]:
    """(code, health) of each row, in order."""
    return re.findall(r'<tr data-campaign="([^"]+)" data-health="([^"]+)"', page)


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
    # its late task has three days of slack before the task that depends on it: late but not critical, so its
    # phase is yellow; but its red risk alert makes the campaign red, and the row says so (SPEC 10.2, issue 15)
    assert 'data-health="red"' in row and "1 red risk alert" in row


# The health rule itself, and that every surface shows the same health on 40 random plans: tests/campaigns/test_health.py


# --- Filters, sort, pages, heat map --------------------------------------------------------------------------


def test_filters_by_status_team_and_health(client, cast):
    mine, theirs = grow(cast, 1)
    Campaign.objects.filter(pk=theirs.pk).update(status="planning")
    Task.objects.filter(campaign=theirs).update(status="done")  # no late task left
    Risk.objects.filter(campaign=theirs).update(status="closed")  # and no red alert: green
    health_invalidate([theirs.pk])  # queryset updates bypass the services, which would do this
    page = get(client, cast.executive, "?status=planning").content.decode()
    assert [code for code, _h in rows(page)] == [theirs.code]
    page = get(client, cast.executive, f"?team={cast.team.pk}").content.decode()
    assert [code for code, _h in rows(page)] == [mine.code]
    page = get(client, cast.executive, "?health=green").content.decode()
    assert rows(page) == [(theirs.code, "green")]
    page = get(client, cast.executive, "?health=red").content.decode()
    assert rows(page) == [(mine.code, "red")]  # its red risk alert
    page = get(client, cast.executive, "?health=yellow").content.decode()
    assert rows(page) == [] and "No campaign matches these filters." in page


def test_sorts_by_health_worst_first_and_by_red_alerts(client, cast):
    made = grow(cast, 3)
    calm, urgent = made[1], made[4]
    Risk.objects.filter(alert_level="red").update(alert_level="yellow")  # no red alerts: the plans decide
    Task.objects.filter(campaign=calm).update(status="done")
    Risk.objects.filter(campaign=calm).update(status="closed")
    Milestone.objects.filter(campaign=urgent).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    health_invalidate([c.pk for c in made])
    page = get(client, cast.executive, "?sort=health").content.decode()
    assert [h for _c, h in rows(page)] == ["red", "yellow", "yellow", "yellow", "yellow", "green"]
    assert rows(page)[0][0] == urgent.code and rows(page)[-1][0] == calm.code
    page = get(client, cast.executive, "?sort=yellow").content.decode()
    assert rows(page)[-1][0] == calm.code


def test_sorts_by_live_red_then_yellow_alerts_and_keeps_campaigns_without_any(client, cast):
    """The alert counts are one grouped count joined to the campaigns: a campaign without a live red or yellow
    alert still shows (0 and 0), and closed risks do not count."""
    made = grow(cast, 2)  # four campaigns, each with one red, one yellow and one blue risk
    two_red, no_alerts, closed_only, two_yellow = made
    Risk.objects.filter(campaign=two_red, alert_level="yellow").update(alert_level="red")
    Risk.objects.filter(campaign=no_alerts).delete()
    Risk.objects.filter(campaign=closed_only).update(status="closed")
    Risk.objects.filter(campaign=two_yellow, alert_level="red").update(alert_level="yellow")

    def counts(page: str) -> list[tuple[str, str, str]]:
        return re.findall(r'<tr data-campaign="([^"]+)".*?data-red="(\d+)".*?data-yellow="(\d+)"', page, re.S)

    page = get(client, cast.executive, "?sort=red").content.decode()
    shown = counts(page)
    assert shown[0] == (two_red.code, "2", "0")
    assert {(no_alerts.code, "0", "0"), (closed_only.code, "0", "0"), (two_yellow.code, "0", "2")} <= set(shown)
    assert [code for code, _r, _y in shown].index(two_yellow.code) < [c for c, _r, _y in shown].index(no_alerts.code)
    page = get(client, cast.executive, "?sort=yellow").content.decode()
    assert counts(page)[0] == (two_yellow.code, "0", "2")
    assert len(counts(page)) == Campaign.objects.count()


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


def count_queries(client, user, query: str) -> tuple[int, int]:
    """Queries of a first request after the data changed (stored health worked out again, a fixed number of
    queries) and of the next one (health read as a column)."""
    client.force_login(user)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{URL}{query}").status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts[0], counts[1]


@pytest.mark.parametrize("query", ["", "?sort=health", "?health=red", "?sort=red&page=2", "?status=active"])
def test_portfolio_query_count_is_constant_as_campaigns_grow_tenfold(client, cast, query):
    grow(cast, 3)  # 6 campaigns
    small = count_queries(client, cast.executive, query)
    grow(cast, 27)  # 60 campaigns
    large = count_queries(client, cast.executive, query)
    assert large == small, (small, large)
    print(f"portfolio{query}: {small} queries")
    assert small[1] <= 14
