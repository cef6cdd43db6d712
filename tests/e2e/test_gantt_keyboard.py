"""Issue 18 (WCAG 2.1.1): the timeline can be used with the keyboard. A team writer tabs to a task in the list
beside the chart; → moves it a day later, Shift+→ makes it a day longer — the same request as a drag — and the
focus stays on the task."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Task
from tests.e2e.test_foundation_journey import log_in
from tests.e2e.test_refusals_journey import START, plan  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def test_arrow_keys_move_and_stretch_a_task_on_the_timeline(live_server, page: Page, plan):  # noqa: F811
    campaign, _first, second, _kpi = plan
    log_in(page, live_server.url, "lead")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/timeline/")
    row = page.locator(f'#gantt-list [data-row="t{second.pk}"]')
    expect(row).to_have_attribute("role", "button")
    row.focus()
    page.keyboard.press("ArrowRight")
    assert dates_become(page, second.pk, START + dt.timedelta(days=7), START + dt.timedelta(days=10))
    expect(page.locator("#gantt-status")).to_contain_text("moved")
    assert page.evaluate("document.activeElement.dataset.row") == f"t{second.pk}"
    page.keyboard.press("Shift+ArrowRight")
    assert dates_become(page, second.pk, START + dt.timedelta(days=7), START + dt.timedelta(days=11))
    assert page.evaluate("document.activeElement.dataset.row") == f"t{second.pk}"


def dates_become(page: Page, pk: int, start: dt.date, due: dt.date) -> bool:
    for _ in range(50):
        task = Task.objects.get(pk=pk)
        if (task.start_date, task.due_date) == (start, due):
            return True
        page.wait_for_timeout(100)
    return False
