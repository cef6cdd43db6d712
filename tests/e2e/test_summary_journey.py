"""Issue 8's printable campaign summary in a real browser: the viewer opens it from the campaign's tabs, and in
print media the navigation, tabs and breadcrumbs are gone while the health lights keep their colours."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from budgets.demo import seed_budgets
from campaigns.demo import seed_campaigns
from campaigns.models import Campaign
from reviews.demo import seed_reviews
from risks.demo import seed_risks
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def test_the_viewer_prints_the_campaign_summary(live_server, new_page, screenshot_dir):
    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    seed_reviews(users)
    campaign = Campaign.objects.get(code="WD-2027")
    base = live_server.url

    page: Page = new_page(1280, 900)
    log_in(page, base, "viewer")
    page.goto(f"{base}/campaigns/{campaign.pk}/plan/")
    page.locator("a[data-tab=summary]").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/{campaign.pk}/summary/$"))
    expect(page.locator("#phases-heading")).to_be_visible()
    expect(page.locator("#budget-heading")).to_be_visible()
    expect(page.locator("#risks-heading")).to_be_visible()
    page.screenshot(path=screenshot_dir / "summary-01-screen.png", full_page=True)

    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("ul.nav-tabs")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.locator(".campaign-summary")).to_be_visible()
    light = page.locator(".summary-phases .health").first
    colour = light.evaluate("el => getComputedStyle(el, '::before').backgroundColor")
    assert colour not in ("", "rgba(0, 0, 0, 0)")
    page.screenshot(path=screenshot_dir / "summary-02-print.png", full_page=True)
    page.pdf(path=str(screenshot_dir / "summary-03-print.pdf"), format="A4", print_background=True)

    # The same page for a Chinese reader: dates as 2027年3月8日.
    page.emulate_media(media="screen")
    page.locator("#language-switch button[value=zh-hans]").click()
    expect(page.locator("[data-date=end]")).to_have_text(re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"))
    page.screenshot(path=screenshot_dir / "summary-04-zh.png", full_page=True)
