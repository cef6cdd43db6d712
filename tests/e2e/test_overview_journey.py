"""Issue 8's journey: the executive logs in, switches to 中文, opens the portfolio, drills into WD-2027's overview
and from its risk heat map into the filtered register.

The Chinese assertions check labels of the new pages (portfolio, overview panels) as well as the navigation.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from budgets.demo import seed_budgets
from campaigns.demo import seed_campaigns
from campaigns.models import Campaign
from members.demo import seed_members
from reviews.demo import seed_reviews
from risks.demo import seed_risks
from risks.models import Risk
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def test_executive_drills_from_the_portfolio_into_an_overview_and_its_heat_map_in_chinese(
    live_server, new_page, screenshot_dir
):
    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    seed_reviews(users)
    seed_members(users, total=400)
    campaigns = set(Campaign.objects.values_list("code", flat=True))
    wd = Campaign.objects.get(code="WD-2027")
    base = live_server.url

    page: Page = new_page(1366, 900)
    log_in(page, base, "exec")
    expect(page.locator("h1")).to_contain_text("Good to see you")
    page.screenshot(path=screenshot_dir / "overview-01-home-en.png", full_page=True)

    # English portfolio first, for the screenshot pair.
    page.locator("a[data-nav=portfolio]").click()
    expect(page).to_have_url(f"{base}/campaigns/portfolio/")
    expect(page.locator("tr[data-campaign]")).to_have_count(len(campaigns))
    page.screenshot(path=screenshot_dir / "overview-02-portfolio-en.png", full_page=True)

    # Switch to Chinese on the portfolio page itself.
    page.locator("#language-switch").get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(f"{base}/campaigns/portfolio/")
    nav = page.locator("nav")
    expect(nav.locator("a[data-nav=campaigns]")).to_have_text("活动")
    expect(nav.locator("a[data-nav=risks]")).to_have_text("风险")
    expect(nav.locator("a[data-nav=portfolio]")).to_have_attribute("aria-current", "page")
    expect(nav.locator("a[data-nav=portfolio]")).to_have_text("活动组合")
    expect(page.locator("h1")).to_have_text("活动组合")
    rows = page.locator("tr[data-campaign]")
    expect(rows).to_have_count(len(campaigns))
    shown = set(page.eval_on_selector_all("tr[data-campaign]", "rows => rows.map(r => r.dataset.campaign)"))
    assert shown == campaigns  # the executive reads every team's campaigns
    for health in page.eval_on_selector_all("tr[data-campaign]", "rows => rows.map(r => r.dataset.health)"):
        assert health in {"green", "yellow", "red", "none"}
    expect(page.locator(".portfolio-table td.heatmap-cell")).to_have_count(0)
    expect(page.locator("table.heatmap td.heatmap-cell")).to_have_count(25)
    page.screenshot(path=screenshot_dir / "overview-03-portfolio-zh.png", full_page=True)

    # Drill into WD-2027's overview.
    page.locator("tr[data-campaign='WD-2027'] a").first.click()
    expect(page).to_have_url(f"{base}/campaigns/{wd.pk}/")
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("概览")
    expect(page.locator("#phases-heading")).to_have_text("阶段")
    expect(page.locator("#schedule-heading")).to_have_text("进度计划")
    expect(page.locator("#budget-heading")).to_have_text("预算")
    expect(page.locator("#risks-heading")).to_have_text("风险")
    expect(page.locator("#standup-heading")).to_have_text("下次例会")
    expect(page.locator("#overview-budget .budget-state")).to_have_attribute("data-budget-status", re.compile(r"\w+"))
    expect(page.locator("#overview-risks td.heatmap-cell")).to_have_count(25)
    expect(page.locator("#overview-standup a[data-meeting]")).to_have_count(1)
    page.wait_for_function("() => window.Chart !== undefined")
    page.screenshot(path=screenshot_dir / "overview-04-campaign-zh.png", full_page=True)

    # Its heat map: the busiest cell opens the register filtered to exactly those live risks.
    cells = page.locator("#overview-risks td.heatmap-cell")
    counts = [int(c) for c in cells.evaluate_all("cells => cells.map(c => c.dataset.count)")]
    busiest = cells.nth(counts.index(max(counts)))
    p, i = int(busiest.get_attribute("data-probability")), int(busiest.get_attribute("data-impact"))
    assert max(counts) > 0
    busiest.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/risks/\?campaign={wd.pk}&status=live&probability={p}&impact={i}$"))
    expect(page.locator("nav a[data-nav=risks]")).to_have_attribute("aria-current", "page")
    listed = {int(x) for x in page.eval_on_selector_all("tr[data-risk]", "rows => rows.map(r => r.dataset.risk)")}
    expected = set(
        Risk.objects.filter(
            campaign=wd, probability=p, impact=i, status__in=["open", "monitoring", "occurred"]
        ).values_list("pk", flat=True)
    )
    assert listed == expected and len(listed) == max(counts)
    page.screenshot(path=screenshot_dir / "overview-05-register-zh.png", full_page=True)

    # And the campaign's full heat map page, already translated.
    page.goto(f"{base}/campaigns/{wd.pk}/")
    page.locator("#overview-risks").get_by_role("link", name="热力图").click()
    expect(page.locator("h1")).to_contain_text("风险热力图")
    expect(page.locator("h1")).to_contain_text("WD-2027")
    page.screenshot(path=screenshot_dir / "overview-06-heatmap-zh.png", full_page=True)

    # Back to English for the overview screenshot pair.
    page.goto(f"{base}/campaigns/{wd.pk}/")
    page.locator("#language-switch").get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#budget-heading")).to_have_text("Budget")
    page.wait_for_function("() => window.Chart !== undefined")
    page.screenshot(path=screenshot_dir / "overview-07-campaign-en.png", full_page=True)

    # A campaign with an approved budget and spend: the burn chart is drawn from its json_script data.
    page.goto(f"{base}/campaigns/portfolio/")
    page.locator("tr[data-campaign='WD-2026'] a").first.click()
    expect(page.locator("#overview-budget .budget-burn")).to_have_attribute("data-burn", re.compile(r"^\d+(\.\d)?$"))
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('burn-chart'))")
    page.locator("#overview-budget").screenshot(path=screenshot_dir / "overview-08-burn-en.png")


def test_staff_acts_from_the_home_page(live_server, new_page, screenshot_dir):
    """The "my work" home of a team member with demo data: each row is one click from acting on it."""
    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    seed_reviews(users)
    base = live_server.url
    page: Page = new_page(1366, 900)
    log_in(page, base, "staff")
    expect(page.locator("#my-tasks")).to_be_visible()
    page.screenshot(path=screenshot_dir / "overview-09-home-staff-en.png", full_page=True)
    alert = page.locator("#my-alerts li[data-risk] a").first
    expect(alert).to_be_visible()
    risk = Risk.objects.get(pk=int(page.locator("#my-alerts li[data-risk]").first.get_attribute("data-risk")))
    assert risk.owner.username == "staff" and risk.acknowledged_at is None and risk.alert_level != "none"
    alert.click()
    expect(page).to_have_url(re.compile(rf"/risks/{risk.pk}/#alert$"))
    expect(page.locator("#acknowledge-button")).to_be_visible()
