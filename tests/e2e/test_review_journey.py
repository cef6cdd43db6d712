"""Issue 7's journey: staff files a status update after a reminder; lead runs standup mode, records a decision
and an action item for deputy, publishes the minutes; deputy finds the action item in the inbox."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from reviews.demo import seed_reviews
from reviews.models import ActionItem, Meeting, StatusUpdate
from reviews.reminders import reminders_send
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def test_standup_from_reminder_to_published_minutes(live_server, new_page, screenshot_dir):
    users = seed_organisation()
    seed_campaigns(users)
    seed_reviews(users)
    meeting = Meeting.objects.filter(status="scheduled", series__kind="standup").order_by("scheduled_at").first()
    StatusUpdate.objects.filter(meeting=meeting).delete()
    reminders_send(now=meeting.scheduled_at - dt.timedelta(hours=1))
    base = live_server.url

    staff: Page = new_page()
    log_in(staff, base, "staff")
    staff.locator("a[data-nav=inbox]").click()
    reminder = staff.get_by_role("link", name=re.compile("Please file your status update"))
    expect(reminder.first).to_be_visible()
    reminder.first.click()
    expect(staff).to_have_url(re.compile(rf"/reviews/meetings/{meeting.pk}/"))
    form = staff.locator("form.status-form")
    form.locator("[name=done]").fill("客服話術已定稿 Service scripts final")
    form.locator("[name=next]").fill("門店培訓 Store training")
    form.locator("[name=blockers]").fill("培訓場地未定 Training room not booked")
    form.locator("button[type=submit]").click()
    expect(staff.locator("body")).to_contain_text("Your status update is filed.")
    staff.screenshot(path=screenshot_dir / "review-01-status-filed.png", full_page=True)
    assert StatusUpdate.objects.get(meeting=meeting, user=users["staff"]).blockers.startswith("培訓場地")

    lead: Page = new_page()
    lead.on("dialog", lambda dialog: dialog.accept())
    log_in(lead, base, "lead")
    lead.goto(f"{base}/reviews/meetings/{meeting.pk}/")
    lead.get_by_role("button", name="Open / refresh agenda").click()
    lead.goto(f"{base}/reviews/meetings/{meeting.pk}/run/")
    actions = lead.locator("form.action-form")
    actions.locator("[name=title]").fill("預訂培訓場地 Book the training room")
    actions.locator("[name=owner]").select_option(str(users["deputy"].pk))
    actions.locator("[name=due_date]").fill("2027-02-26")
    actions.get_by_role("button", name="Add action item").click()
    expect(lead.locator("body")).to_contain_text("預訂培訓場地")
    lead.locator("form.minutes-form [name=minutes]").fill("決定：3月2日上線。Decision: go live on 2 March.")
    lead.screenshot(path=screenshot_dir / "review-02-standup-mode.png", full_page=True)
    lead.get_by_role("button", name="Publish minutes").click()
    expect(lead.locator("body")).to_contain_text("Decision: go live on 2 March.")
    meeting.refresh_from_db()
    assert meeting.published_at is not None and meeting.status == "held"
    assert ActionItem.objects.get(meeting=meeting).owner == users["deputy"]

    deputy: Page = new_page()
    log_in(deputy, base, "deputy")
    deputy.locator("a[data-nav=inbox]").click()
    expect(deputy.get_by_role("link", name=re.compile("Book the training room"))).to_be_visible()
    expect(deputy.locator("body")).to_contain_text("Minutes of")
    deputy.screenshot(path=screenshot_dir / "review-03-deputy-inbox.png", full_page=True)
