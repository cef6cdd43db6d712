"""Issue 15 "every refusal explains itself": a refused htmx edit shows why next to the field it concerns (400 swaps
the returned fragment in place), and a request refused without a form (404 here) or never answered shows a message
and puts the form back as it was — no refused value is left in a field as if it had been saved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Kpi, KpiReading, Task
from teams.demo import seed_organisation
from teams.models import Team
from tests.e2e.test_foundation_journey import log_in
from tests.factories import CampaignFactory, TaskFactory

pytestmark = pytest.mark.e2e

START = dt.date(2027, 2, 10)


@pytest.fixture
def plan(db):
    users = seed_organisation()
    team = Team.objects.get(memberships__user=users["lead"], memberships__role="lead", parent__isnull=True)
    campaign = CampaignFactory(actor=users["lead"], team=team, code="RF-2027", start_date=START,
                               end_date=START + dt.timedelta(days=40))  # fmt: skip
    first = TaskFactory(campaign=campaign, title="First", start_date=START, due_date=START + dt.timedelta(days=5))
    second = TaskFactory(campaign=campaign, title="Second", start_date=START + dt.timedelta(days=6),
                         due_date=START + dt.timedelta(days=9), depends_on=[first])  # fmt: skip
    kpi = Kpi.objects.create(campaign=campaign, name="NPS", kind="nps", target=60)
    return campaign, first, second, kpi


def test_refused_htmx_edits_explain_themselves_where_they_happened(live_server, page: Page, plan, screenshot_dir):
    campaign, first, second, kpi = plan
    base = f"{live_server.url}/campaigns/{campaign.pk}"
    log_in(page, live_server.url, "lead")

    # A due date before the start date, typed into a row of the task list: the row shows why.
    page.goto(f"{base}/tasks/")
    due = page.locator(f"#task-{first.pk}-due_date")
    due.fill("2027-02-01")
    due.dispatch_event("change")
    error = page.locator(f"#task-{first.pk}-due_date-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("must not be before the start date")
    assert Task.objects.get(pk=first.pk).due_date == START + dt.timedelta(days=5)
    page.screenshot(path=screenshot_dir / "refusal-01-task-row.png", full_page=True)

    # A dependency that closes a cycle, in the task page's editor: refused there, naming the cycle.
    page.goto(f"{base}/tasks/{first.pk}/")
    page.locator(f"#deps-{first.pk} select").select_option(str(second.pk))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(f"#deps-{first.pk}")).to_contain_text("would form a cycle")

    # A KPI reading with nothing in it: the card says what is missing.
    page.goto(f"{base}/kpis/")
    card = page.locator(f"#kpi-{kpi.pk}")
    card.locator("input[name=actual]").fill("")
    card.get_by_role("button", name="Save").click()
    expect(page.locator(f"#kpi-{kpi.pk}-actual-error")).to_contain_text("Give an actual value")
    assert not KpiReading.objects.exists()

    # Refused without a form to show (the task was deleted meanwhile → 404): a message, and the field goes back.
    page.goto(f"{base}/tasks/")
    status = page.locator(f"#task-{second.pk}-status")
    before = status.input_value()
    Task.objects.filter(pk=second.pk).delete()
    status.select_option("done")
    message = page.locator("#request-messages .alert")
    expect(message).to_be_visible()
    expect(message).to_contain_text("did not go through")
    expect(status).to_have_value(before)
    page.screenshot(path=screenshot_dir / "refusal-02-message.png", full_page=True)
    message.get_by_role("button", name="Close").click()
    expect(message).to_have_count(0)


def test_the_other_htmx_forms_say_why_they_were_refused(live_server, new_page, screenshot_dir):
    """The board's status cards, a milestone's Done button, the inbox's Mark read (each refused with 404 because
    the row was deleted meanwhile: a message, the control put back) and standup mode's autosaving notes and
    minutes (too long: the reason shows in the status line beside the field, nothing saved)."""
    from campaigns.demo import seed_campaigns
    from campaigns.models import Campaign, Milestone
    from core.models import Notification
    from reviews.demo import seed_reviews
    from reviews.models import ReviewSeries
    from tests.reviews.conftest import meeting_under_way

    users = seed_organisation()
    seed_campaigns(users)
    seed_reviews(users)
    campaign = Campaign.objects.get(code="WD-2027")
    base = live_server.url
    page = new_page(1280, 900)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "lead")
    message = page.locator("#request-messages .alert")

    def refused_then_closed(name: str) -> None:
        expect(message).to_be_visible()
        expect(message).to_contain_text("did not go through")
        page.screenshot(path=screenshot_dir / f"refusal-{name}.png", full_page=True)
        message.get_by_role("button", name="Close").click()
        expect(message).to_have_count(0)

    # The board: a card whose task was deleted meanwhile.
    gone = TaskFactory(campaign=campaign, title="Soon gone", start_date=START, due_date=START)
    page.goto(f"{base}/campaigns/{campaign.pk}/tasks/?view=board")
    status = page.locator(f"#task-card-{gone.pk}-status")
    before = status.input_value()
    Task.objects.filter(pk=gone.pk).delete()
    status.select_option("done")
    refused_then_closed("03-board")
    expect(status).to_have_value(before)

    # The plan: ticking a milestone that was deleted meanwhile.
    milestone = Milestone.objects.filter(campaign=campaign, done=False).order_by("due_date").first()
    page.goto(f"{base}/campaigns/{campaign.pk}/plan/")
    tick = page.locator(f"form[action$='/milestones/{milestone.pk}/done/'] button[type=submit]")
    Milestone.objects.filter(pk=milestone.pk).delete()
    tick.click()
    refused_then_closed("04-milestone")

    # The inbox: marking read a notification that was deleted meanwhile.
    note = Notification.objects.filter(recipient=users["lead"], read_at__isnull=True).order_by("-created_at").first()
    page.goto(f"{base}/inbox/")
    mark = page.locator(f"#notification-{note.pk} button[type=submit]")
    Notification.objects.filter(pk=note.pk).delete()
    mark.click()
    refused_then_closed("05-inbox")

    # Standup mode: notes and minutes too long for their fields; the status line beside each says so.
    series = ReviewSeries.objects.filter(campaign=campaign, kind="standup", chair=users["lead"]).first()
    meeting = meeting_under_way(series)
    page.goto(f"{base}/reviews/meetings/{meeting.pk}/")
    page.get_by_role("button", name="Open / refresh agenda").click()
    page.goto(f"{base}/reviews/meetings/{meeting.pk}/run/")
    notes = page.locator("form.note-form [name=notes]")
    # The browser keeps to the fields' maxlength; without it (an older browser, a pasted-in script) the server
    # refuses, and that refusal must show too.
    notes.evaluate("el => el.removeAttribute('maxlength')")
    notes.fill("長" * 10001)
    notes.dispatch_event("change")
    expect(page.locator("form.note-form .autosave-status")).to_contain_text("at most 10000 characters")
    expect(page.locator("form.note-form .autosave-status")).to_have_class(re.compile(r"\btext-danger\b"))
    minutes = page.locator("form.minutes-form [name=minutes]")
    minutes.evaluate("el => el.removeAttribute('maxlength')")
    minutes.fill("長" * 20001)
    minutes.dispatch_event("change")
    expect(page.locator("form.minutes-form .autosave-status")).to_contain_text("at most 20000 characters")
    page.screenshot(path=screenshot_dir / "refusal-06-standup.png", full_page=True)
    meeting.refresh_from_db()
    assert meeting.minutes == ""
