"""The printable campaign summary (campaigns:summary): what it shows, who may read it, bad input, the print
stylesheet, constant queries, and dates and amounts in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.utils import formats, translation

from budgets.models import BudgetLine
from budgets.services import budget_create, budget_submit, expense_record, signoff_record
from campaigns.models import Kpi
from campaigns.services import (
    kpi_record_reading,
    milestone_save,
    phase_save,
    task_add_dependency,
    task_save,
)
from core.roles import OrgRole
from reviews.models import Meeting
from reviews.services import action_item_create, minutes_publish, series_save
from risks.services import risk_save
from tests.budgets.conftest import DEMO_LINES
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)  # 2027-03-01 10:00 in Shanghai
TODAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def campaign(cast):
    """Ends on 3/8 and has an objective, which the summary prints."""
    return CampaignFactory(
        actor=cast.lead,
        team=cast.team,
        code="WD-2027",
        name="Women's Day 2027",
        objective="Grow members by 20 % around 3/8.",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 8),
    )


@pytest.fixture
def signer(db):
    return UserFactory(username="s-finance", roles=[OrgRole.FINANCE_APPROVER])


def plan(cast, campaign, *, phases: int = 1, tasks: int = 2, risks: int = 2) -> None:
    """Phases with a milestone each, a chain of tasks (all critical), KPIs with readings, risks."""
    for n in range(phases):
        phase = phase_save(
            campaign=campaign,
            actor=cast.lead,
            name=f"準備期 Preparation {n}",
            order=n + 1,
            start_date=dt.date(2027, 2, 10),
            end_date=dt.date(2027, 3, 8),
        )
        milestone_save(
            campaign=campaign, actor=cast.lead, phase=phase, name=f"Creatives {n}", due_date=dt.date(2027, 2, 20)
        )
        milestone_save(
            campaign=campaign, actor=cast.lead, phase=phase, name=f"Launch {n}", due_date=dt.date(2027, 3, 8)
        )
    previous = None
    for n in range(tasks):
        task = task_save(
            campaign=campaign,
            actor=cast.lead,
            title=f"Step {n}",
            owner=cast.member,
            start_date=dt.date(2027, 2, 10) + dt.timedelta(days=3 * n),
            due_date=dt.date(2027, 2, 12) + dt.timedelta(days=3 * n),
        )
        if previous is not None:
            task_add_dependency(task=task, predecessor=previous, actor=cast.lead)
        previous = task
    kpi = Kpi.objects.create(campaign=campaign, name="New members", kind="custom", target=50000, unit="")
    kpi_record_reading(kpi=kpi, actor=cast.lead, date=dt.date(2027, 2, 28), actual="12500", forecast="20000")
    for n in range(risks):
        risk_save(
            campaign=campaign,
            actor=cast.lead,
            title=f"Platform failure {n}" if n % 2 == 0 else f"Late partner {n}",
            category="technical",
            probability=5 if n % 2 == 0 else 2,
            impact=4 if n % 2 == 0 else 2,
            expected_date=TODAY + dt.timedelta(days=2),
            cost_impact="1500000.00",
        )


def approved_budget(cast, campaign, signer):
    budget = budget_submit(
        budget=budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=DEMO_LINES), actor=cast.lead
    )
    for user, role in (
        (signer, "finance"),
        (UserFactory(username="s-marketing", roles=[OrgRole.MARKETING_APPROVER]), "marketing"),
        (UserFactory(username="s-tech", roles=[OrgRole.TECH_APPROVER]), "tech"),
    ):
        signoff_record(budget=budget, signer=user, role=role, decision="approve", comment=f"ok from {role}")
    line = BudgetLine.objects.select_related("budget__campaign").get(budget=budget, category="materials")
    expense_record(line=line, actor=cast.lead, amount="1800000.00", date=TODAY, description="Posters")
    budget.refresh_from_db()
    return budget


def published_minutes(cast, campaign):
    series = series_save(
        campaign=campaign,
        actor=cast.lead,
        participants=[cast.lead, cast.member],
        kind="standup",
        weekday=0,
        time=dt.time(10, 0),
        starts_on=dt.date(2027, 2, 8),
        chair=cast.lead,
        holiday_policy="next_workday",
    )
    meetings = []
    for day, text in ((dt.date(2027, 2, 15), "Old decision: print posters."), (dt.date(2027, 2, 22), None)):
        meeting, _ = Meeting.objects.get_or_create(
            series=series,
            nominal_date=day,
            defaults={"scheduled_at": dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)},
        )
        meetings.append(meeting)
    with time_machine.travel(dt.datetime(2027, 2, 15, 4, tzinfo=dt.UTC), tick=False):
        minutes_publish(meeting=meetings[0], actor=cast.lead, minutes="Old decision: print posters.")
    action_item_create(
        meeting=meetings[1], actor=cast.lead, title="Confirm the 3/8 load-test plan", owner=cast.member,
        due_date=dt.date(2027, 3, 3),
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2027, 2, 22, 4, tzinfo=dt.UTC), tick=False):
        minutes_publish(
            meeting=meetings[1],
            actor=cast.lead,
            minutes="決定：客服增配話務專員。\nDecision: extra call-centre agents.",
        )
    return meetings[1]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def url(campaign) -> str:
    return f"/campaigns/{campaign.pk}/summary/"


# --- What it shows -------------------------------------------------------------------------------------


def test_the_summary_shows_every_part_of_the_campaign(browser_client, cast, campaign, signer):
    plan(cast, campaign)
    approved_budget(cast, campaign, signer)
    latest = published_minutes(cast, campaign)
    html = page(browser_client(cast.lead).get(url(campaign)))

    assert "Grow members by 20 % around 3/8." in html
    assert 'data-status="draft"' in html
    assert re.search(r'data-date="end">8 Mar 2027<', html)
    # phases with their lights and milestones
    assert "準備期 Preparation 0" in html and 'data-health="' in html and "health health-" in html
    assert "Creatives 0" in html and "Launch 0" in html and "(overdue)" not in html.split("Creatives 0")[0]
    # critical path and projected end
    assert html.index("Step 0") < html.index("Step 1") < html.index('id="kpi-heading"')
    assert 'data-date="projected">' in html
    # KPIs against target
    assert "New members" in html and "50,000" in html and "12,500" in html and "25 %" in html
    # budget: version, status, sign-offs, burn per category
    assert 'data-budget-version="1"' in html and 'data-budget-status="approved"' in html
    assert 'data-money="total">30,000,000.00<' in html
    assert "ok from finance" in html and "ok from tech" in html and html.count("Approved") >= 3
    materials = html.split('data-category="materials"')[1].split("</tr>")[0]
    assert "2,000,000.00" in materials and "1,800,000.00" in materials and "90.0 %" in materials
    # risks by band with their alert levels
    critical = html.split('data-band="critical"')[1].split('data-band="')[0]
    assert "Platform failure 0" in critical and "P5 × I4 = 20" in critical and "data-alert=" in critical
    assert "Late partner 1" in html.split('data-band="low"')[1]
    assert html.index('data-band="critical"') < html.index('data-band="low"')
    # the most recent published minutes' decisions and action items, not older ones
    assert f'data-meeting="{latest.pk}"' in html
    assert "Decision: extra call-centre agents." in html and "決定：客服增配話務專員。" in html
    assert "Old decision: print posters." not in html
    assert "Confirm the 3/8 load-test plan" in html


def test_an_empty_campaign_says_what_is_missing(browser_client, cast, campaign):
    html = page(browser_client(cast.viewer).get(url(campaign)))
    assert "This campaign has no phases yet." in html
    assert "No tasks yet, so there is no schedule to compute." in html
    assert "No KPIs yet." in html
    assert "No budget that you may see for this campaign." in html
    assert "No open risks." in html
    assert "No minutes published yet." in html


def test_mitigated_risks_are_counted_but_not_listed(browser_client, cast, campaign):
    plan(cast, campaign, phases=0, tasks=0, risks=1)
    risk_save(campaign=campaign, actor=cast.lead, title="Solved", category="market", probability=1, impact=1,
              status="mitigated")  # fmt: skip
    html = page(browser_client(cast.member).get(url(campaign)))
    assert "1 open risk" in html and "1 mitigated or closed" in html and "Solved" not in html


def test_the_page_is_printable_without_navigation(browser_client, cast, campaign):
    html = page(browser_client(cast.lead).get(url(campaign)))
    assert "/static/campaigns/summary.css" in html
    from django.contrib.staticfiles import finders

    css = Path(finders.find("campaigns/summary.css")).read_text(encoding="utf-8")
    print_rules = css.split("@media print")[1]
    for hidden in (".navbar", "footer", ".nav-tabs", ".breadcrumb", ".d-print-none"):
        assert hidden in print_rules.split("display: none")[0]
    assert "thead { display: table-header-group; }" in print_rules and "break-inside: avoid" in print_rules


def test_every_campaign_page_links_to_its_summary(browser_client, cast, campaign):
    html = page(browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/plan/"))
    assert f'href="/campaigns/{campaign.pk}/summary/" data-tab="summary"' in html


# --- Access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "deputy", "member", "viewer", "executive", "admin"])
def test_the_team_viewers_and_executives_read_the_summary(browser_client, cast, campaign, person):
    plan(cast, campaign, phases=1, tasks=1, risks=1)
    html = page(browser_client(getattr(cast, person)).get(url(campaign)))
    assert "Platform failure 0" in html


def test_an_outsider_gets_404(browser_client, cast, campaign, signer):
    plan(cast, campaign)
    approved_budget(cast, campaign, signer)
    assert browser_client(cast.outsider).get(url(campaign)).status_code == 404


def test_an_approver_reads_the_summary_of_a_campaign_whose_budget_they_signed(browser_client, cast, campaign, signer):
    plan(cast, campaign, risks=1)
    approved_budget(cast, campaign, signer)
    html = page(browser_client(signer).get(url(campaign)))
    assert 'data-budget-status="approved"' in html and "ok from finance" in html and "Platform failure 0" in html


def test_an_approver_who_signs_nothing_of_it_gets_404(browser_client, cast, campaign, signer):
    approved_budget(cast, campaign, signer)  # approved: no longer awaiting anyone's sign-off
    bystander = UserFactory(username="s-finance2", roles=[OrgRole.FINANCE_APPROVER])
    assert browser_client(bystander).get(url(campaign)).status_code == 404


def test_an_approver_reads_a_campaign_while_its_budget_awaits_sign_off(browser_client, cast, campaign):
    budget_submit(
        budget=budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=DEMO_LINES), actor=cast.lead
    )
    html = page(browser_client(cast.finance).get(url(campaign)))
    assert 'data-budget-status="in_review"' in html and "Awaiting sign-off" in html


def test_the_summary_needs_a_login(client, campaign):
    response = client.get(url(campaign))
    assert response.status_code == 302 and "/login" in response["Location"]


# --- Bad input ----------------------------------------------------------------------------------------


def test_an_unknown_campaign_is_404(browser_client, cast, campaign):
    client = browser_client(cast.admin)
    assert client.get(f"/campaigns/{campaign.pk + 1000}/summary/").status_code == 404
    assert client.get("/campaigns/abc/summary/").status_code == 404
    assert client.get("/campaigns/99999999999999999999999/summary/").status_code == 404


def test_the_summary_is_read_only(browser_client, cast, campaign):
    assert browser_client(cast.lead).post(url(campaign), {"x": "1"}).status_code == 405


# --- Queries -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [1, 4])
def test_the_summary_runs_a_constant_number_of_queries(browser_client, cast, campaign, signer, factor,
                                                       django_assert_max_num_queries):  # fmt: skip
    plan(cast, campaign, phases=2 * factor, tasks=3 * factor, risks=3 * factor)
    approved_budget(cast, campaign, signer)
    published_minutes(cast, campaign)
    client = browser_client(cast.viewer)
    client.get(url(campaign))
    with django_assert_max_num_queries(21):
        html = page(client.get(url(campaign)))
    assert html.count("data-milestone=") == 4 * factor and html.count('data-risk="') == 3 * factor


# --- Locale formatting -------------------------------------------------------------------------------------


def zh_client(browser_client, user):
    user.language = "zh-hans"
    user.save()
    client = browser_client(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_dates_and_amounts_follow_the_readers_language(browser_client, cast, campaign, signer):
    approved_budget(cast, campaign, signer)
    english = page(browser_client(cast.viewer).get(url(campaign)))
    assert 'data-date="end">8 Mar 2027<' in english
    assert 'data-money="total">30,000,000.00<' in english
    assert 'lang="en"' in english

    chinese = page(zh_client(browser_client, cast.viewer).get(url(campaign)))
    assert 'lang="zh-hans"' in chinese
    assert 'data-date="end">2027年3月8日<' in chinese
    assert 'data-money="total">30,000,000.00<' in chinese  # thousands separated, as Chinese finance writes them


def test_the_chinese_formats_group_thousands_with_commas():
    with translation.override("zh-hans"):
        assert formats.number_format(Decimal("1234567.5"), 2, force_grouping=True) == "1,234,567.50"
        assert formats.date_format(dt.date(2027, 3, 8), "DATE_FORMAT") == "2027年3月8日"
        assert formats.date_format(dt.date(2027, 3, 8), "SHORT_DATE_FORMAT") == "2027年3月8日"
    with translation.override("en"):
        assert formats.number_format(Decimal("1234567.5"), 2, force_grouping=True) == "1,234,567.50"
        # One format per language, never month-first (issue 15): 8 Mar 2027 wherever a date is shown.
        assert formats.date_format(dt.date(2027, 3, 8), "DATE_FORMAT") == "8 Mar 2027"
        assert formats.date_format(dt.date(2027, 3, 8), "SHORT_DATE_FORMAT") == "8 Mar 2027"
        assert formats.date_format(dt.datetime(2027, 3, 8, 9, 30), "SHORT_DATETIME_FORMAT") == "8 Mar 2027, 09:30"
    with translation.override("zh-hans"):
        assert formats.date_format(dt.datetime(2027, 3, 8, 9, 30), "SHORT_DATETIME_FORMAT") == "2027年3月8日 09:30"


def test_the_budget_page_groups_amounts_for_a_chinese_reader(browser_client, cast, campaign, signer):
    budget = approved_budget(cast, campaign, signer)
    html = page(zh_client(browser_client, cast.viewer).get(f"/budgets/{budget.pk}/"))
    assert "30,000,000.00" in html and "30000000.00" not in html
