"""Issue 21's customer-service journey (SPEC 10.6): the `service` persona (a team member in customer service) looks a
customer up by the complete phone number and sees the masked record, is told that part of a number is not enough;
then the admin opens that member's page and erases the personal data through the confirmation page. The lookup
page and the confirmation page pass axe. Screenshots: lookup-0*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from members.demo import seed_members
from members.models import Member
from members.privacy import mask_phone
from members.rights import ERASED_NAME
from teams.demo import seed_organisation
from tests.e2e.test_accessibility import AXE, RUN
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e


def axe_violations(page: Page) -> list:
    page.evaluate(AXE)
    return page.evaluate(RUN)


def test_customer_service_looks_up_and_the_admin_erases(live_server, new_page, db, screenshot_dir):
    users = seed_organisation()
    seed_campaigns(users)
    seed_members(users, total=20)
    member = Member.objects.filter(source_campaign__code="WD-2027").exclude(phone="").order_by("pk").first()
    Member.objects.filter(pk=member.pk).update(phone="13812345678")
    Member.objects.exclude(pk=member.pk).filter(phone="13812345678").update(phone="")

    page = new_page(1366, 900)
    log_in(page, live_server.url, "service")
    page.goto(f"{live_server.url}/members/")
    page.get_by_role("link", name="Phone lookup").click()
    expect(page.get_by_role("heading", name="Look up a member by phone")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Phone number").fill("5678")
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#id_phone-error")).to_contain_text("Enter the complete phone number")

    page.get_by_label("Phone number").fill("+86 138-1234-5678")
    page.get_by_role("button", name="Look up").click()
    found = page.locator(f'[data-lookup="found"][data-member="{member.external_id}"]')
    expect(found).to_be_visible()
    expect(found.locator(".member-phone")).to_have_text(mask_phone("13812345678"))
    assert "13812345678" not in page.content() and member.name not in page.content()
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshot_dir / "lookup-01-found.png"), full_page=True)

    admin = new_page(1366, 900)
    log_in(admin, live_server.url, "admin")
    admin.goto(f"{live_server.url}/members/{member.pk}/")
    admin.locator('[data-privacy="erase"]').click()
    expect(admin.get_by_role("heading", name="Erase this member's personal data")).to_be_visible()
    assert axe_violations(admin) == []
    admin.get_by_role("button", name="Erase personal data").click()  # the box is not ticked: refused
    expect(admin.locator(".invalid-feedback")).to_be_visible()
    member.refresh_from_db()
    assert member.erased_at is None
    admin.get_by_label("I understand that the name, phone number and tags are erased for good.").check()
    admin.get_by_role("button", name="Erase personal data").click()
    expect(admin.get_by_text("The member's personal data was erased.")).to_be_visible()
    admin.screenshot(path=str(screenshot_dir / "lookup-02-erased.png"), full_page=True)
    member.refresh_from_db()
    assert (member.name, member.phone, member.consent) == (ERASED_NAME, "", False)

    # The same number now finds nobody.
    page.get_by_label("Phone number").fill("13812345678")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text("No member with this number.")).to_be_visible()
