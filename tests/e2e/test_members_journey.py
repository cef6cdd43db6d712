"""Issue 6's journey: lead uploads a CSV with some bad rows, follows the job's progress to the end, downloads
the error report, sees the new members masked and the campaign's analytics move.

Test settings run Celery tasks eagerly, so the import has finished by the time the job page first renders;
the polling progress bar itself is covered by the page tests, and the real worker by
tests/members/test_import_worker.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from campaigns.models import Campaign
from members.models import Member
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e

CSV = (
    "external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\n"
    "E2E-1,張三,13812345678,199.99,25-34,是,WD-2027,短信推送 SMS\n"
    "E2E-2,歐陽娜娜,13900001111,1200.00,18-24,是,WD-2027,短信推送 SMS\n"
    "E2E-3,,13900002222,50.00,35+,否,WD-2027,\n"
    "E2E-4,李四,13900003333,lots,25-34,是,WD-2027,\n"
    "E2E-5,王五,13900004444,350.00,25-34,yes,WD-2027,短信推送 SMS\n"
)


def figure(page: Page, name: str) -> str:
    return page.locator(f"[data-figure={name}]").inner_text().strip()


def test_lead_imports_members_and_sees_them_masked_and_counted(live_server, page: Page, screenshot_dir, tmp_path):
    seed_campaigns(seed_organisation())
    campaign = Campaign.objects.get(code="WD-2027")
    base = live_server.url
    log_in(page, base, "lead")
    page.goto(f"{base}/members/analytics/?campaign={campaign.pk}")
    expect(page.locator("body")).to_contain_text("WD-2027")
    before = page.locator("[data-figure=members]").count() and figure(page, "members")

    upload = tmp_path / "wd-2027-members.csv"
    upload.write_text(CSV, encoding="utf-8-sig")
    page.goto(f"{base}/members/import/")
    page.locator("#id_campaign").select_option(str(campaign.pk))  # SPEC 10.1: the upload names its campaign
    page.locator("#id_file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/members/imports/\d+/$"))
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(page.locator("progress.import-bar")).to_have_attribute("value", "100")
    expect(progress).to_contain_text("3")  # created
    page.screenshot(path=screenshot_dir / "members-01-import-done.png", full_page=True)

    with page.expect_download() as download:
        page.locator("[data-download=errors]").click()
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert "name is missing" in report and "lots" in report
    assert {"3", "4"} <= set(re.findall(r"^(\d+),", report, re.M))

    page.goto(f"{base}/members/?campaign={campaign.pk}")
    table = page.locator("table.member-table")
    expect(table).to_contain_text("張*")
    expect(table).to_contain_text("歐***")
    expect(table).to_contain_text("138****5678")
    expect(table).not_to_contain_text("張三")
    page.screenshot(path=screenshot_dir / "members-02-masked.png", full_page=True)

    page.goto(f"{base}/members/analytics/?campaign={campaign.pk}")
    assert figure(page, "members") == "3" and figure(page, "members") != before
    expect(page.locator("canvas").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "members-03-analytics.png", full_page=True)
    assert set(Member.objects.values_list("tier", flat=True)) == {"basic", "top", "mid_high"}
