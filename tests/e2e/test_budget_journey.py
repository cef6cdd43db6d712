"""Issue 4's journey: lead edits and submits the budget; finance, marketing and tech each sign from their
"Awaiting my sign-off" queue; lead sees it approved; a second finance approver, still looking at an old
queue page, is refused in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from budgets.demo import WD_2027_LINES
from budgets.models import Budget
from budgets.services import budget_create
from campaigns.services import campaign_create
from teams.demo import seed_organisation
from teams.models import Team
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def sign_from_queue(page: Page, base: str, budget: Budget, *, submit: bool = True) -> None:
    page.goto(f"{base}/budgets/awaiting-my-signoff/")
    panel = page.locator(f"#queue-{budget.pk} form.sign-panel").first
    for box in panel.locator("input[name=checklist]").all():
        box.check()
    if submit:
        panel.get_by_role("button", name="Approve").click()


def test_three_way_signoff_through_the_pages(live_server, new_page, screenshot_dir):
    users = seed_organisation()
    campaign = campaign_create(
        actor=users["lead"],
        team=Team.objects.get(code="womens-day-task-force"),
        code="WD-2027",
        name="Women's Day 2027",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )
    budget = budget_create(actor=users["lead"], campaign=campaign, total="30000000.00", lines=WD_2027_LINES)
    base = live_server.url

    lead = new_page()
    lead.on("dialog", lambda dialog: dialog.accept())
    log_in(lead, base, "lead")
    lead.goto(f"{base}/budgets/{budget.pk}/edit/")
    lead.locator("#id_total").fill("29500000.00")
    lead.get_by_role("button", name="Save draft").click()
    expect(lead.locator("body")).to_contain_text("29,500,000.00")
    lead.get_by_role("button", name="Submit for sign-off").click()
    expect(lead.locator("body")).to_contain_text("In review")
    lead.screenshot(path=screenshot_dir / "budget-01-submitted.png", full_page=True)

    # finance2 opens the queue now and will act on this page after finance has signed.
    late = new_page()
    log_in(late, base, "finance2")
    sign_from_queue(late, base, budget, submit=False)

    def sign_as(username: str) -> None:
        signer = new_page()
        log_in(signer, base, username)
        sign_from_queue(signer, base, budget)
        expect(signer.locator("body")).to_contain_text("sign-off")
        signer.screenshot(path=screenshot_dir / f"budget-02-signed-{username}.png", full_page=True)

    sign_as("finance")
    # finance2 still has the queue open from before finance signed: the attempt is refused in plain words.
    late.locator(f"#queue-{budget.pk} form.sign-panel").first.get_by_role("button", name="Approve").click()
    expect(late.locator("body")).to_contain_text("already given by")
    late.screenshot(path=screenshot_dir / "budget-03-refused.png", full_page=True)
    sign_as("marketing")
    sign_as("tech")

    budget.refresh_from_db()
    assert budget.status == "approved"
    assert budget.signoffs.count() == 3
    lead.goto(f"{base}/budgets/{budget.pk}/")
    expect(lead.locator("body")).to_contain_text("Approved")
    lead.screenshot(path=screenshot_dir / "budget-04-approved.png", full_page=True)
