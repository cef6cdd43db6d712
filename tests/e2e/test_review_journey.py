"""Issue 7's journey: staff files a status update after a reminder; lead runs standup mode, records a note and a
decision on an agenda item, marks attendance, adds an action item for deputy, publishes the minutes; deputy finds
the action item in the inbox and reads the minutes per item; the printable minutes; and one retrospective scored
through its page, with its printable report."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from reviews.demo import seed_reviews
from reviews.models import ActionItem, Meeting, Retrospective, StatusUpdate
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
    adding = lead.locator("form.agenda-form")
    adding.locator("[name=title]").fill("培訓場地 Training room")
    adding.get_by_role("button", name="Add item").click()
    expect(lead.locator("#item-heading")).to_contain_text("Item 2 of 2")
    lead.get_by_role("link", name=re.compile("Previous")).click()
    expect(lead.locator("#item-heading")).to_contain_text("Item 1 of 2")
    meeting.refresh_from_db()
    first_title = meeting.agenda[0]["title"]
    notes = lead.locator("form.note-form")
    notes.locator("[name=notes]").fill("壓測腳本已就緒 Load-test scripts ready")
    notes.locator("[name=decision]").fill("決定：週四全鏈路壓測 Decision: full load test on Thursday")
    notes.get_by_role("button", name=re.compile("Save and next")).click()
    expect(lead.locator("#item-heading")).to_contain_text("Item 2 of 2")
    expect(lead.locator(".run-agenda .item-noted")).to_have_count(1)
    attendance = lead.locator("form.attendance-form")
    for person in ("lead", "deputy", "staff"):
        attendance.locator(f"input[name=attendees][value='{users[person].pk}']").check()
    attendance.get_by_role("button", name="Save attendance").click()
    expect(lead.locator("body")).to_contain_text("Attendance recorded: 3 present.")
    lead.locator("form.minutes-form [name=minutes]").fill("草稿 Draft kept between steps")
    lead.locator("form.minutes-form").get_by_role("button", name="Save draft").click()
    expect(lead.locator("body")).to_contain_text("Draft saved.")
    actions = lead.locator("form.action-form")
    actions.locator("[name=title]").fill("預訂培訓場地 Book the training room")
    actions.locator("[name=owner]").select_option(str(users["deputy"].pk))
    actions.locator("[name=due_date]").fill("2027-02-26")
    actions.get_by_role("button", name="Add action item").click()
    expect(lead.locator("body")).to_contain_text("預訂培訓場地")
    # The draft survived the other posts.
    expect(lead.locator("form.minutes-form [name=minutes]")).to_have_value("草稿 Draft kept between steps")
    lead.locator("form.minutes-form [name=minutes]").fill("決定：3月2日上線。Decision: go live on 2 March.")
    # Saved as you go: htmx posts the draft shortly after typing stops, before anything is submitted.
    expect(lead.locator("form.minutes-form .autosave-status")).to_have_text("Draft saved.")
    lead.goto(f"{base}/reviews/meetings/{meeting.pk}/run/?item=1")
    expect(lead.locator("form.note-form [name=decision]")).to_have_value(re.compile("full load test on Thursday"))
    lead.screenshot(path=screenshot_dir / "review-02-standup-mode.png", full_page=True)
    # The autosave kept what was typed before leaving the page.
    expect(lead.locator("form.minutes-form [name=minutes]")).to_have_value(re.compile("go live on 2 March"))
    # The standup is under way now (minutes are published only once a meeting has started).
    Meeting.objects.filter(pk=meeting.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=30))
    lead.get_by_role("button", name="Publish minutes").click()
    expect(lead.locator("body")).to_contain_text("Decision: go live on 2 March.")
    meeting.refresh_from_db()
    assert meeting.published_at is not None and meeting.status == "held"
    assert ActionItem.objects.get(meeting=meeting).owner == users["deputy"]
    assert {u.username for u in meeting.attendees.all()} == {"lead", "deputy", "staff"}
    minutes = lead.locator("#minutes")
    expect(minutes).to_contain_text(first_title)
    expect(minutes).to_contain_text("Decision: full load test on Thursday")
    expect(minutes.locator(".attendance")).to_contain_text(str(users["deputy"]))
    lead.screenshot(path=screenshot_dir / "review-02b-published-minutes.png", full_page=True)
    lead.get_by_role("link", name="Printable minutes").click()
    expect(lead.locator("article.review-print")).to_contain_text("Load-test scripts ready")
    lead.emulate_media(media="print")
    expect(lead.locator("nav.navbar")).to_be_hidden()
    expect(lead.get_by_role("button", name="Print")).to_be_hidden()
    lead.screenshot(path=screenshot_dir / "review-02c-minutes-print.png", full_page=True)
    lead.emulate_media(media="screen")

    deputy: Page = new_page()
    log_in(deputy, base, "deputy")
    deputy.locator("a[data-nav=inbox]").click()
    expect(deputy.get_by_role("link", name=re.compile("Book the training room"))).to_be_visible()
    expect(deputy.locator("body")).to_contain_text("Minutes of")
    deputy.screenshot(path=screenshot_dir / "review-03-deputy-inbox.png", full_page=True)

    deputy.get_by_role("link", name=re.compile("Minutes of")).first.click()
    expect(deputy.locator("#minutes")).to_contain_text("Decision: full load test on Thursday")


def test_a_retrospective_scored_through_its_page(live_server, new_page, screenshot_dir):
    users = seed_organisation()
    seed_campaigns(users)
    seed_reviews(users)
    meeting = (
        Meeting.objects.filter(status="scheduled", series__kind="retrospective", series__campaign__code="WD-2027")
        .order_by("scheduled_at")
        .first()
    )
    base = live_server.url
    lead: Page = new_page()
    log_in(lead, base, "lead")
    lead.goto(f"{base}/reviews/meetings/{meeting.pk}/")
    lead.get_by_role("link", name="Score the retrospective").click()
    form = lead.locator("form.retro-form")
    for field, score in (("goal_score", "4"), ("efficiency_score", "3"), ("innovation_score", "5"),
                         ("improvement_score", "2")):  # fmt: skip
        form.locator(f"[name={field}]").select_option(score)
    form.locator("[name=goal_comment]").fill("新增會員達成85% New members at 85 % of target")
    form.locator("[name=lessons]").fill("提前鎖定創意需求 Lock creative briefs earlier")
    form.locator("[name=suggestions]").fill("峰值前預訂服務器 Book servers before the peak")
    form.locator("[name=responsibilities]").fill("技術部：容量 Tech: capacity")
    form.locator("[name='improvements-0-title']").fill("話術培訓提前一週 Train agents a week earlier")
    form.locator("[name='improvements-0-owner']").select_option(str(users["staff"].pk))
    form.locator("[name='improvements-0-due_date']").fill("2027-02-20")
    lead.screenshot(path=screenshot_dir / "review-04-retrospective-form.png", full_page=True)
    form.get_by_role("button", name="Save the retrospective").click()
    expect(lead.locator("body")).to_contain_text("Retrospective saved.")
    card = lead.locator("#retrospective")
    expect(card.locator(".retro-score").nth(2)).to_have_text("5/5")
    expect(card).to_contain_text("Lock creative briefs earlier")
    expect(lead.locator("#actions")).to_contain_text("Train agents a week earlier")
    report = Retrospective.objects.get(meeting=meeting)
    assert (report.goal_score, report.efficiency_score, report.innovation_score, report.improvement_score) == (
        4, 3, 5, 2,
    )  # fmt: skip
    assert ActionItem.objects.get(meeting=meeting).owner == users["staff"]
    lead.get_by_role("link", name="Printable report").click()
    expect(lead.locator("article.review-print")).to_contain_text("Book servers before the peak")
    lead.emulate_media(media="print")
    expect(lead.locator("nav.navbar")).to_be_hidden()
    lead.screenshot(path=screenshot_dir / "review-05-retrospective-print.png", full_page=True)
