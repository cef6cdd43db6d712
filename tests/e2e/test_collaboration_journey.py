"""Issue 16's journey: staff comments on a task mentioning @deputy and attaches a PNG; deputy gets the
notification, opens the task from the inbox, sees the image preview and replies; lead sees both in the campaign's
activity and finds the task by typing two Chinese characters of its title in the search box.
Screenshots: collab-0*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from campaigns.models import Task, TaskAttachment, TaskComment
from core.models import Notification
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e

# A 1 × 1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def test_staff_mentions_deputy_with_a_picture_and_lead_follows_it(live_server, new_page, screenshot_dir, tmp_path):
    users = seed_organisation()
    seed_campaigns(users)
    task = Task.objects.filter(owner=users["staff"], campaign__code="WD-2027").order_by("due_date", "pk").first()
    url = f"/campaigns/{task.campaign_id}/tasks/{task.pk}/"
    picture = tmp_path / "主視覺草圖.png"
    picture.write_bytes(PNG)
    base = live_server.url

    staff: Page = new_page()
    log_in(staff, base, "staff")
    staff.goto(base + url)
    staff.locator("#id_body").fill("初稿已上傳，請看 ")
    staff.locator("#mention-picker").select_option("deputy")  # the picker writes @deputy where the cursor is
    staff.locator("#id_body").press_sequentially("並給意見 **today**")
    staff.get_by_role("button", name="Post comment").click()
    expect(staff.locator("#discussion .mention")).to_have_text("@deputy")
    staff.locator("#attachment-file").set_input_files(str(picture))
    staff.get_by_role("button", name="Upload").click()
    expect(staff.locator("#attachments img")).to_have_attribute("alt", "主視覺草圖.png")
    staff.screenshot(path=screenshot_dir / "collab-01-staff-comment.png", full_page=True)
    assert TaskAttachment.objects.filter(task=task).count() == 1

    deputy: Page = new_page()
    log_in(deputy, base, "deputy")
    assert Notification.objects.filter(recipient=users["deputy"], verb="mentioned").count() == 1
    deputy.locator("a[data-nav=inbox]").click()
    deputy.get_by_role("link", name=re.compile("mentioned you on the task")).first.click()
    expect(deputy).to_have_url(re.compile(rf"/tasks/{task.pk}/"))
    preview = deputy.locator("#attachments img")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 1  # the picture itself, through the access rules
    deputy.locator("#id_body").fill("收到，已看過，沒問題。")
    deputy.get_by_role("button", name="Post comment").click()
    expect(deputy.locator("#discussion article.comment")).to_have_count(2)
    deputy.screenshot(path=screenshot_dir / "collab-02-deputy-reply.png", full_page=True)
    assert TaskComment.objects.filter(task=task).count() == 2

    lead: Page = new_page()
    log_in(lead, base, "lead")
    lead.goto(f"{base}/campaigns/{task.campaign_id}/")
    lead.locator("a[data-tab=activity]").click()
    expect(lead.locator(".activity-list")).to_contain_text("commented on task")
    expect(lead.locator(".activity-list")).to_contain_text("attached a file to task")
    lead.screenshot(path=screenshot_dir / "collab-03-activity.png", full_page=True)
    two = task.title[:2]
    lead.locator("#top-search-q").fill(two)
    lead.locator("#top-search-q").press("Enter")
    result = lead.locator(f"[data-result='task-{task.pk}'] a")
    expect(result).to_be_visible()
    lead.screenshot(path=screenshot_dir / "collab-04-search.png", full_page=True)
    result.click()
    expect(lead).to_have_url(re.compile(rf"/tasks/{task.pk}/"))
