"""Issue 18's phone journey (390 × 844, touch): staff acknowledges a yellow alert from the inbox, files a standup
status update and marks a task done — each a tap or two, nothing scrolled sideways. Screenshots: phone-0*.png."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Task
from core.models import Notification, NotificationVerb
from core.services.notifications import notify
from reviews.models import Meeting, StatusUpdate
from risks.models import Risk
from teams.models import User
from tests.e2e.test_foundation_journey import log_in
from tests.factories import message_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def no_sideways_scroll(page) -> None:
    page.wait_for_load_state("load")
    width, viewport = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= viewport, (page.url, width, viewport)


def test_staff_works_from_a_phone(live_server, phone, screenshot_dir, db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    staff = User.objects.get(username="staff")
    risk = Risk.objects.filter(owner=staff, alert_level="yellow").first()
    Risk.objects.filter(pk=risk.pk).update(acknowledged_at=None, acknowledged_by=None)
    if not Notification.objects.filter(recipient=staff, object_type="risks.risk", object_id=risk.pk).exists():
        notify(recipients=[staff], message=message_for(NotificationVerb.RISK_ALERT, "Yellow alert on risk “%(risk)s”."),
               params={"risk": risk.title}, url=reverse("risks:detail", args=[risk.pk]), obj=risk)  # fmt: skip
    meeting = Meeting.objects.filter(series__participants=staff, status="scheduled").order_by("scheduled_at").first()
    StatusUpdate.objects.filter(meeting=meeting, user=staff).delete()
    task = Task.objects.filter(owner=staff).exclude(status="done").order_by("due_date", "pk").first()
    page = phone
    log_in(page, live_server.url, "staff")
    no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "phone-01-home.png", full_page=True)

    # The inbox, through the menu; the alert's link; one tap to acknowledge (and a confirmation).
    page.locator(".navbar-toggler").tap()
    page.locator("a[data-nav=inbox]").tap()
    page.locator(f"a[href='{reverse('risks:detail', args=[risk.pk])}']").first.tap()
    page.wait_for_url(f"**{reverse('risks:detail', args=[risk.pk])}")
    no_sideways_scroll(page)
    page.locator("#acknowledge-button").tap()
    expect(page.locator("[data-acknowledged]")).to_be_visible()
    page.screenshot(path=screenshot_dir / "phone-02-acknowledged.png", full_page=True)
    risk.refresh_from_db()
    assert risk.acknowledged_by == staff

    # Home's "File my status" for the next standup; three boxes and one tap.
    page.goto(f"{live_server.url}/")
    page.locator(f"[data-meeting='{meeting.pk}'] a").first.tap()
    form = page.locator("form.status-form")
    form.locator("[name=done]").fill("FAQ 初稿完成 FAQ draft done")
    form.locator("[name=next]").fill("話務培訓 Agent training")
    form.locator("button[type=submit]").tap()
    expect(page.locator("body")).to_contain_text("Your status update is filed.")
    no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "phone-03-status.png", full_page=True)
    assert StatusUpdate.objects.filter(meeting=meeting, user=staff).exists()

    # One of my tasks, from home: done.
    page.goto(f"{live_server.url}/")
    page.locator(f"#my-tasks a[href$='/tasks/{task.pk}/']").first.tap()
    page.wait_for_url(f"**/tasks/{task.pk}/")
    no_sideways_scroll(page)
    page.locator("select[name=status]").select_option("done")
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page.locator("body")).to_contain_text(task.title)
    page.screenshot(path=screenshot_dir / "phone-04-task-done.png", full_page=True)
    task.refresh_from_db()
    assert task.status == "done"

    # One tap on home: the next task done, and another of my alerts acknowledged, without leaving the page.
    other_task = Task.objects.filter(owner=staff).exclude(status="done").order_by("due_date", "pk").first()
    other_risk = Risk.objects.filter(owner=staff, acknowledged_at__isnull=True).exclude(alert_level="none").first()
    assert other_task is not None and other_risk is not None
    page.goto(f"{live_server.url}/")
    page.locator(f"[data-task='{other_task.pk}'] button[value=done]").tap()
    page.wait_for_url(f"{live_server.url}/#my-tasks")
    expect(page.locator("body")).to_contain_text("Task saved.")
    expect(page.locator(f"[data-task='{other_task.pk}']")).to_have_count(0)
    page.locator(f"[data-risk='{other_risk.pk}'] button").tap()
    page.wait_for_url(f"{live_server.url}/#my-alerts")
    expect(page.locator("body")).to_contain_text("Alert acknowledged.")
    expect(page.locator(f"[data-risk='{other_risk.pk}']")).to_have_count(0)
    no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "phone-05-home-one-tap.png", full_page=True)
    other_task.refresh_from_db()
    other_risk.refresh_from_db()
    assert other_task.status == "done" and other_risk.acknowledged_by == staff
