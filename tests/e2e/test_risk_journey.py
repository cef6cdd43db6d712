"""Issue 5's journey: staff (a risk owner) sees a yellow alert in the inbox, opens the risk and acknowledges
it; lead opens the heat map, clicks a cell and lands on the register filtered to exactly that cell."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from budgets.demo import seed_budgets
from campaigns.demo import seed_campaigns
from campaigns.models import Campaign
from risks.demo import seed_risks
from risks.models import Risk
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def test_owner_acknowledges_a_yellow_alert_and_lead_drills_into_the_heat_map(live_server, new_page, screenshot_dir):
    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    risk = Risk.objects.get(owner__username="staff", alert_level="yellow")
    base = live_server.url

    staff: Page = new_page()
    staff.on("dialog", lambda dialog: dialog.accept())
    log_in(staff, base, "staff")
    staff.locator("a[data-nav=inbox]").click()
    alert = staff.get_by_role("link", name=re.compile(r"Yellow alert on risk"))
    expect(alert.first).to_be_visible()
    staff.screenshot(path=screenshot_dir / "risk-01-inbox.png", full_page=True)
    alert.first.click()
    expect(staff).to_have_url(re.compile(rf"/risks/{risk.pk}/$"))
    expect(staff.locator("body")).to_contain_text("Not acknowledged yet.")
    staff.locator("#acknowledge-button").click()
    expect(staff.locator("[data-acknowledged]")).to_contain_text("Acknowledged by")
    staff.screenshot(path=screenshot_dir / "risk-02-acknowledged.png", full_page=True)
    risk.refresh_from_db()
    assert risk.acknowledged_by.username == "staff"

    lead: Page = new_page()
    log_in(lead, base, "lead")
    campaign = Campaign.objects.get(code="WD-2027")
    lead.goto(f"{base}/risks/matrix/?campaign={campaign.pk}")
    cell = lead.locator(f"td.heatmap-cell[data-probability='{risk.probability}'][data-impact='{risk.impact}'] a")
    lead.screenshot(path=screenshot_dir / "risk-03-heatmap.png", full_page=True)
    cell.click()
    expect(lead).to_have_url(
        re.compile(
            rf"probability={risk.probability}.*impact={risk.impact}|impact={risk.impact}.*probability={risk.probability}"
        )
    )
    shown = {int(pk) for pk in lead.eval_on_selector_all("tr[data-risk]", "rows => rows.map(r => r.dataset.risk)")}
    expected = set(
        Risk.objects.filter(campaign=campaign, probability=risk.probability, impact=risk.impact,
                            status__in=["open", "monitoring", "occurred"]).values_list("pk", flat=True)
    )  # fmt: skip
    assert risk.pk in shown and shown == expected
    lead.screenshot(path=screenshot_dir / "risk-04-filtered-register.png", full_page=True)
