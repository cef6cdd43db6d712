"""Issue 18 (WCAG 3.3.1, 4.1.3): a refused form tells a screen reader. After a page or an htmx swap brings back
fields marked invalid, the polite live region says the form was not saved and reads the messages, and the first
invalid field has the focus — in a full page (the working calendar) and in an htmx row (the task list)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journey import log_in
from tests.e2e.test_refusals_journey import START, plan  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def test_errors_are_announced_and_focused_in_htmx_rows_and_full_pages(live_server, page: Page, plan):  # noqa: F811
    campaign, first, _second, _kpi = plan
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/tasks/")
    due = page.locator(f"#task-{first.pk}-due_date")
    due.fill((START - dt.timedelta(days=9)).isoformat())
    due.dispatch_event("change")
    announcer = page.locator("#form-announcer")
    expect(announcer).to_contain_text("Not saved")
    expect(announcer).to_contain_text("must not be before the start date")
    assert page.evaluate("document.activeElement.id") == f"task-{first.pk}-due_date"

    page.context.clear_cookies()
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/calendar/?year=2027")
    page.fill("#id_start", "2027-02-13")
    page.fill("#id_end", "2027-02-06")
    page.get_by_role("button", name="Save days").click()
    expect(announcer).to_contain_text("The last day cannot be before the first.")
    assert page.evaluate("document.activeElement.id") == "id_end"
    # An ordinary page load moves no focus and announces nothing.
    page.goto(f"{live_server.url}/calendar/?year=2027")
    expect(announcer).to_have_text("")
    assert page.evaluate("document.activeElement === document.body")
