"""Issue 15 "one schedule truth", in the browser and in both languages: a lead adds the dependency that pushes the
plan past its end, and the overview, its phase lights, the timeline and the executive's portfolio all turn red
with the same slip; in the Gantt, a bar dropped before the task it waits for is refused in place and goes back;
dropped on a valid date it is saved and the critical path recolours."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import Task
from teams.demo import seed_organisation
from teams.models import Team
from tests.e2e.test_foundation_journey import log_in
from tests.factories import CampaignFactory, PhaseFactory, TaskFactory

pytestmark = pytest.mark.e2e

COLUMN = 32  # pixels per day in the timeline's Day view (static/campaigns/gantt.js)


@pytest.fixture
def plan(db):
    """Starts in 10 days (nothing late), ends 30 days later. Audit (26 days, phase 1) and Go-live (10 days, phase
    2, planned on the last 10 days) do not wait for each other yet: the plan fits, Go-live alone is critical."""
    users = seed_organisation()
    team = Team.objects.get(memberships__user=users["lead"], memberships__role="lead", parent__isnull=True)
    start = timezone.localdate() + dt.timedelta(days=10)
    campaign = CampaignFactory(actor=users["lead"], team=team, code="ST-2027", name="Schedule truth",
                               start_date=start, end_date=start + dt.timedelta(days=30))  # fmt: skip
    one = PhaseFactory(campaign=campaign, actor=users["lead"], name="Build", order=1, start_date=start,
                       end_date=start + dt.timedelta(days=25))  # fmt: skip
    two = PhaseFactory(campaign=campaign, actor=users["lead"], name="Run", order=2,
                       start_date=start + dt.timedelta(days=21), end_date=campaign.end_date)  # fmt: skip
    audit = TaskFactory(campaign=campaign, phase=one, title="Audit", start_date=start,
                        due_date=start + dt.timedelta(days=25))  # fmt: skip
    golive = TaskFactory(campaign=campaign, phase=two, title="Go-live", start_date=start + dt.timedelta(days=21),
                         due_date=campaign.end_date)  # fmt: skip
    return campaign, two, audit, golive


def health_of(page: Page) -> tuple[str | None, str | None]:
    badge = page.locator(".campaign-health")
    return badge.get_attribute("data-health"), badge.get_attribute("data-slip")


def drag(page: Page, title: str, days: int) -> None:
    """Drag the task's bar ``days`` columns (Day view: one column a day) and let go."""
    wrapper = page.locator(".bar-wrapper:not(.phase-row)").filter(has=page.locator(".bar-label", has_text=title))
    bar = wrapper.locator(".bar").first
    bar.scroll_into_view_if_needed()
    # Room on both sides inside the chart's scrolling frame: the pointer must stay over the chart while dragging.
    page.locator(".gantt-container").evaluate(
        "(frame, x) => { frame.scrollLeft += x - frame.getBoundingClientRect().left - 300; }", bar.bounding_box()["x"]
    )
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + days * COLUMN / 2, y, steps=6)
    page.mouse.move(x + days * COLUMN, y, steps=6)
    page.mouse.up()


def critical_bars(page: Page) -> set[str]:
    return {t.strip() for t in page.locator(".bar-wrapper.critical .bar-label").all_text_contents()}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_one_schedule_truth_from_the_dependency_to_the_gantt(live_server, new_page, plan, screenshot_dir, language):
    campaign, run_phase, audit, golive = plan
    page = new_page(1366, 900)
    base = f"{live_server.url}/campaigns/{campaign.pk}"
    log_in(page, live_server.url, "lead")
    page.goto(f"{base}/")
    page.locator(f"#language-switch button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert health_of(page) == ("green", "0")

    # The dependency that pushes the plan 5 days past its end: Go-live now waits for Audit.
    page.goto(f"{base}/tasks/{golive.pk}/")
    page.locator(f"#deps-{golive.pk} select").select_option(str(audit.pk))
    page.locator(f"#deps-{golive.pk} button[type=submit]").click()
    expect(page.locator(f"#deps-{golive.pk} option[value='{audit.pk}']")).to_have_count(0)  # now a dependency

    # Every surface says the same: red, 5 days late.
    page.goto(f"{base}/")
    assert health_of(page) == ("red", "5")
    expect(page.locator(f'.phase-light[data-phase="{run_phase.pk}"]')).to_have_attribute("data-health", "red")
    expect(page.locator(".schedule-status")).to_have_attribute("data-slip", "5")
    page.screenshot(path=screenshot_dir / f"schedule-01-overview-{language}.png", full_page=True)
    page.goto(f"{base}/timeline/")
    expect(page.locator("#gantt[data-ready]")).to_have_count(1)
    assert health_of(page) == ("red", "5")
    expect(page.locator("#gantt-schedule .schedule-status")).to_have_attribute("data-slip", "5")
    assert critical_bars(page) == {"Audit", "Go-live"}

    # Dropped before Audit finishes: refused in place, the bar goes back, nothing saved.
    planned = Task.objects.get(pk=golive.pk).start_date
    before = page.locator(f'.bar-wrapper[data-id="t{golive.pk}"]').get_attribute("data-start")
    drag(page, "Go-live", -3)
    message = page.locator("#request-messages .alert")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Audit")
    expect(page.locator(f'.bar-wrapper[data-id="t{golive.pk}"]')).to_have_attribute("data-start", before)
    assert Task.objects.get(pk=golive.pk).start_date == planned
    page.screenshot(path=screenshot_dir / f"schedule-02-refused-{language}.png", full_page=True)
    message.locator("button.btn-close").click()

    # Dropped six days later than it is scheduled: saved; Audit has float now, so only Go-live stays critical.
    drag(page, "Go-live", 6)
    expect(page.locator("#gantt-status")).to_contain_text("Go-live")
    expect(page.locator(".bar-wrapper.critical .bar-label")).to_have_count(1)
    assert critical_bars(page) == {"Go-live"}
    moved = Task.objects.get(pk=golive.pk)
    assert moved.start_date == audit.due_date + dt.timedelta(days=7)
    slip = (moved.due_date - campaign.end_date).days
    assert health_of(page) == ("red", str(slip))  # the badge followed the move without a reload
    page.screenshot(path=screenshot_dir / f"schedule-03-gantt-{language}.png", full_page=True)

    # The executive's portfolio agrees.
    exec_page = new_page(1366, 900)
    log_in(exec_page, live_server.url, "exec")
    exec_page.goto(f"{live_server.url}/campaigns/portfolio/")
    row = exec_page.locator('tr[data-campaign="ST-2027"]')
    expect(row).to_have_attribute("data-health", "red")
    expect(row).to_have_attribute("data-slip", str(slip))
    expect(row).to_contain_text(re.compile(r"\d"))
