"""The foundation journey in a real browser: log in, see "My work", read the inbox, switch language, log out.

Runs against pytest-django's ``live_server`` with the demo organisation seeded inside the test.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import message_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "concord-demo"
NAV_LABELS = ["Campaigns", "Budgets", "Risks", "Members", "Reviews", "Teams"]
LOGIN_PATH = re.compile(r"/accounts/login/")


def navbar(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(LOGIN_PATH)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_lead_logs_in_reads_inbox_switches_language_and_logs_out(live_server, page: Page, screenshot_dir):
    from core.models import NotificationVerb
    from core.services.notifications import notify
    from teams.demo import seed_organisation
    from teams.models import User

    lead = seed_organisation()["lead"]
    notify(
        recipients=[lead],
        message=message_for(NotificationVerb.BUDGET_SUBMITTED, "Budget WD-2027 v1 awaits your sign-off"),
        url="/inbox/",
    )
    notify(
        recipients=[lead],
        message=message_for(NotificationVerb.RISK_ALERT, "Risk R-12 (payment gateway load) is now high"),
        url="/inbox/",
    )

    # a. Anonymous visit to / goes to the login page; log in as the team lead.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Log in to Concord")).to_be_visible()
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # b. "My work": the navigation, the unread badge and the team.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page).to_have_title(re.compile(r"^My work"))
    nav = navbar(page)
    for label in NAV_LABELS:
        expect(nav.get_by_text(label, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Teams", exact=True)).to_have_attribute("href", "/teams/")
    inbox_link = nav.locator("a[data-nav=inbox]")
    expect(inbox_link).to_be_visible()
    expect(inbox_link).to_contain_text("Inbox")
    badge = page.locator("#unread-badge")
    expect(badge).to_have_text(re.compile(r"^\s*Unread:\s*2\s*$"))
    expect(badge).to_have_attribute("data-count", "2")
    my_teams = page.get_by_role("region", name="My teams")
    expect(my_teams.get_by_role("link", name="女神節專項工作組")).to_be_visible()
    unread = page.get_by_role("region", name="Unread notifications")
    expect(unread.get_by_text("Budget WD-2027 v1 awaits your sign-off")).to_be_visible()
    page.screenshot(path=screenshot_dir / "foundation-01-home-en.png", full_page=True)

    # c. The inbox lists both; marking one read swaps the row and refreshes the badge.
    inbox_link.click()
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    rows = page.locator("#notification-list li.list-group-item")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Budget WD-2027 v1 awaits your sign-off")).to_be_visible()
    expect(page.get_by_text("Risk R-12 (payment gateway load) is now high")).to_be_visible()
    mark_read = page.get_by_role("button", name="Mark read")
    expect(mark_read).to_have_count(2)
    mark_read.first.click()
    expect(page.locator("#unread-badge")).to_have_attribute("data-count", "1", timeout=5_000)
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^\s*Unread:\s*1\s*$"), timeout=5_000)
    expect(page.get_by_role("button", name="Mark read")).to_have_count(1)
    expect(rows.first).to_contain_text("Read")
    expect(rows).to_have_count(2)
    page.screenshot(path=screenshot_dir / "foundation-02-inbox.png", full_page=True)

    # d. Switch to Chinese: the page's language and the stored profile language change.
    switch = page.locator("#language-switch")
    switch.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    assert User.objects.get(username="lead").language == "zh-hans"
    page.screenshot(path=screenshot_dir / "foundation-03-zh.png", full_page=True)

    # e. And back to English.
    page.locator("#language-switch").get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert User.objects.get(username="lead").language == "en"

    # f. Log out from the user menu; / is protected again.
    page.locator("#user-menu").click()
    logout = page.locator("#logout-button")
    expect(logout).to_be_visible()
    logout.click()
    expect(page).to_have_url(LOGIN_PATH)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_label("Username")).to_be_visible()


def test_wrong_password_shows_an_error_and_stays_on_login(live_server, page: Page, screenshot_dir):
    from teams.demo import seed_organisation

    seed_organisation()
    log_in(page, live_server.url, "lead", "not-the-password")
    expect(page).to_have_url(LOGIN_PATH)
    error = page.locator(".login-card").get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value("lead")
    expect(page.locator("#unread-badge")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "foundation-04-login-error.png", full_page=True)


def test_phone_sized_navbar_collapses_behind_the_toggler(live_server, new_page, screenshot_dir):
    from teams.demo import seed_organisation

    seed_organisation()
    page = new_page(390, 844)
    log_in(page, live_server.url, "lead")
    expect(page).to_have_url(f"{live_server.url}/")
    inbox_link = navbar(page).locator("a[data-nav=inbox]")
    expect(inbox_link).to_be_hidden()
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # Bootstrap animates the collapse; wait for it to settle so the screenshot shows the open menu.
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(inbox_link).to_be_visible()
    expect(navbar(page).get_by_text("Campaigns", exact=True)).to_be_visible()
    expect(page.locator("#user-menu")).to_be_visible()
    page.screenshot(path=screenshot_dir / "foundation-05-phone.png", full_page=True)
