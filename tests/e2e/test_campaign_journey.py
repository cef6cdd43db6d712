"""Issue 3's journey: lead creates a campaign from the festival playbook, adds a dependency that makes a new
critical path, sees it highlighted on the Gantt timeline, records a KPI reading that trips the 15 % flag."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, Task
from campaigns.services import playbooks_sync_builtin
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def critical_ids(page: Page) -> set[str]:
    page.wait_for_selector("#gantt svg .bar-wrapper")
    return set(page.eval_on_selector_all(".bar-wrapper.critical", "els => els.map(e => e.getAttribute('data-id'))"))


def test_lead_plans_from_a_playbook_and_the_critical_path_follows(live_server, page: Page, screenshot_dir):
    seed_organisation()
    playbooks_sync_builtin()  # transactional tests flush the rows the data migration created
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.locator("#id_code").fill("MA-2027")
    page.locator("#id_name").fill("2027 中秋 Mid-Autumn")
    page.locator("#id_start_date").fill("2027-09-01")
    page.locator("[data-playbook=festival] input[type=radio]").check()
    page.screenshot(path=screenshot_dir / "campaign-01-create.png", full_page=True)
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("heading", name="2027 中秋 Mid-Autumn")).to_be_visible()
    campaign = Campaign.objects.get(code="MA-2027")
    assert campaign.tasks.count() == 9

    creative = Task.objects.get(campaign=campaign, title__startswith="物料設計製作")
    testing = Task.objects.get(campaign=campaign, title__startswith="系統聯調測試")
    page.get_by_role("link", name="Timeline").click()
    before = critical_ids(page)
    assert f"t{testing.pk}" in before and f"t{creative.pk}" not in before
    page.screenshot(path=screenshot_dir / "campaign-02-gantt-before.png", full_page=True)

    # Creative production now waits for integration testing: it joins the critical path.
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/tasks/{creative.pk}/")
    page.locator(f"#deps-{creative.pk} select").select_option(str(testing.pk))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(f"#deps-{creative.pk}")).to_contain_text("系統聯調測試")
    page.get_by_role("link", name="Timeline").click()
    after = critical_ids(page)
    assert f"t{creative.pk}" in after
    expect(page.locator(f"tr[data-task='t{creative.pk}']")).to_contain_text("Yes")
    page.screenshot(path=screenshot_dir / "campaign-03-gantt-after.png", full_page=True)

    page.get_by_role("link", name="KPIs").click()
    card = page.locator("article.kpi-card", has_text="NPS")
    card.locator("input[name=date]").fill("2027-09-10")
    card.locator("input[name=actual]").fill("48")
    card.locator("input[name=forecast]").fill("60")
    card.get_by_role("button", name="Save").click()
    expect(page.locator("article.kpi-card", has_text="NPS")).to_contain_text("Off forecast (> 15 %)")
    expect(page.locator("article.kpi-card", has_text="NPS").locator(".kpi-deviation")).to_contain_text("20.0")
    page.screenshot(path=screenshot_dir / "campaign-04-kpi-flag.png", full_page=True)
