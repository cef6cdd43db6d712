"""Issue 21's import journey (SPEC 10.6): the lead uploads a GBK CSV with 30 bad fields across 10 rows, downloads
the rows to fix (a GBK CSV with the file's own columns plus an error column), corrects the bad values in that file
and uploads it again: done, with no errors.

Test settings run Celery tasks eagerly (as in test_members_journey), so each import has finished by the time its
job page first renders."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.demo import seed_campaigns
from campaigns.models import Campaign
from members.models import Member
from teams.demo import seed_organisation
from tests.e2e.test_foundation_journey import log_in

pytestmark = pytest.mark.e2e

HEADER = ["external_id", "name", "phone", "annual_fee", "age_band", "consent", "source_campaign", "備註"]
GOOD = [[f"FIX-{i:02d}", f"會員{i}號", f"139000000{i:02d}", "120.00", "25-34", "是", "WD-2027", "好"] for i in range(5)]
# Three bad fields in each of 10 rows: phone, annual_fee and age_band.
BAD = [[f"FIX-{i:02d}", f"顧客{i}號", f"電話{i}", "很多", "青年", "是", "WD-2027", "待修正"] for i in range(10, 20)]


def gbk_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


def upload(page: Page, base: str, campaign: Campaign, path) -> None:
    page.goto(f"{base}/members/import/")
    page.locator("#id_campaign").select_option(str(campaign.pk))
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/members/imports/\d+/$"))
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")


def test_lead_fixes_a_gbk_file_from_its_error_report_and_uploads_it_again(
    live_server, page: Page, screenshot_dir, tmp_path
):
    seed_campaigns(seed_organisation())
    campaign = Campaign.objects.get(code="WD-2027")
    base = live_server.url
    log_in(page, base, "lead")

    first = tmp_path / "會員名單.csv"
    first.write_bytes(gbk_csv(GOOD + BAD))
    upload(page, base, campaign, first)
    progress = page.locator("#import-progress")
    expect(progress.locator("[data-counter=created]")).to_have_text("5")
    expect(progress.locator("[data-counter=errors]")).to_have_text("10")
    expect(progress).to_contain_text("Bad fields: 30 · refused rows: 10")
    # Data row 6 (the first bad one) is line 7 in Excel: both are shown.
    first_bad = progress.locator("tr[data-row='6']").first
    expect(first_bad.locator("[data-line]")).to_have_text("7")
    expect(progress.locator("table.import-errors tbody tr")).to_have_count(30)
    page.screenshot(path=screenshot_dir / "import-fix-01-errors.png", full_page=True)

    with page.expect_download() as download:
        page.locator("[data-download=report]").click()
    assert download.value.suggested_filename.endswith(".csv")
    report = download.value.path().read_bytes()
    with pytest.raises(UnicodeDecodeError):
        report.decode("utf-8")  # the upload's own encoding: GBK
    rows = list(csv.reader(io.StringIO(report.decode("gbk"), newline="")))
    assert rows[0] == [*HEADER, "error"]
    assert [row[:8] for row in rows[1:]] == BAD  # the original columns, exactly as uploaded
    assert all(row[8].count(";") == 2 for row in rows[1:])  # three messages per row
    assert "phone 電話10 is not a phone number" in rows[1][8]

    # The person fixes the bad values in the downloaded file (the error column can stay) and uploads it again.
    fixed_rows = []
    for n, row in enumerate(rows[1:]):
        row = list(row)
        row[2], row[3], row[4] = f"137000000{n:02d}", "1200.00", "18-24"
        fixed_rows.append(row)
    fixed = tmp_path / "會員名單-fixed.csv"
    fixed.write_bytes(gbk_csv(fixed_rows, header=rows[0]))
    upload(page, base, campaign, fixed)
    progress = page.locator("#import-progress")
    expect(progress.locator("[data-counter=created]")).to_have_text("10")
    expect(progress.locator("[data-counter=errors]")).to_have_text("0")
    expect(progress.locator(".import-clean")).to_be_visible()
    # The recent-imports panel shows both finished, with their counts.
    panel = page.locator("#recent-imports")
    expect(panel.locator("li[data-status=done]")).to_have_count(2)
    expect(panel).not_to_contain_text("Running")
    expect(panel).to_contain_text("10 created, 0 updated")
    page.screenshot(path=screenshot_dir / "import-fix-02-done.png", full_page=True)

    assert Member.objects.filter(external_id__startswith="FIX-").count() == 15
    assert Member.objects.get(external_id="FIX-10").tier == "top"
