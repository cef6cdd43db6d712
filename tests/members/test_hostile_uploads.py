"""Hostile uploads to the member import (SPEC 6 "Import", SPEC 8 "Errors"), through the page and the API.

Oversized or unreadable files are refused at once with a message on the ``file`` field and nothing stored;
files that only show their damage while being read end as a failed job whose message says what is wrong.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from members.models import ImportChunk, ImportJob, ImportStatus, Member
from tests.members.conftest import HEADER, upload, with_campaign, xlsx

pytestmark = pytest.mark.django_db

GOOD_ROW = "H1,張三,13812345678,250,25-34,是,,\n"


@pytest.fixture
def via_page(browser_client, django_capture_on_commit_callbacks):
    """Upload through the page; returns (status, page text or redirect target)."""

    def post(user, file):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser_client(user).post("/members/import/upload/", with_campaign(user, {"file": file}))
        if response.status_code == 302:
            return 302, response["Location"]
        return response.status_code, response.content.decode()

    return post


@pytest.fixture
def via_api(api, django_capture_on_commit_callbacks):
    def post(user, file):
        with django_capture_on_commit_callbacks(execute=True):
            response = api(user).post(
                "/api/v1/members/import/", with_campaign(user, {"file": file}), format="multipart"
            )
        return response.status_code, response.json()

    return post


def nothing_stored() -> bool:
    return not ImportJob.objects.exists() and not ImportChunk.objects.exists() and not Member.objects.exists()


def binary(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def truncated_xlsx() -> SimpleUploadedFile:
    whole = xlsx([["external_id", "name"], ["X1", "甲"]]).read()
    return binary("members.xlsx", whole[: len(whole) // 2])


def damaged_xlsx() -> SimpleUploadedFile:
    """A complete zip archive whose worksheet is not XML: it passes the upload check, fails when read."""
    whole = xlsx([["external_id", "name"], ["X1", "甲"]]).read()
    source, out = zipfile.ZipFile(io.BytesIO(whole)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, b"\x00\xff junk" if item.filename.endswith("sheet1.xml") else data)
    return binary("members.xlsx", out.getvalue())


# --- Refused at the door: 400 on the file field, nothing stored ------------------------------------


def test_the_upload_limit_is_a_setting_with_a_300_mb_default(settings):
    assert settings.MEMBER_IMPORT_MAX_BYTES == 300 * 1024 * 1024


@override_settings(MEMBER_IMPORT_MAX_BYTES=4096)
def test_an_oversized_upload_is_refused_on_the_page_with_the_limit_and_nothing_stored(cast, via_page):
    big = upload(HEADER + GOOD_ROW * 200)
    assert big.size > 4096
    status, page = via_page(cast.lead, big)
    assert status == 400
    assert "The file is larger than the 4.0\xa0KB limit." in page
    assert nothing_stored()


@override_settings(MEMBER_IMPORT_MAX_BYTES=4096)
def test_an_oversized_upload_is_refused_by_the_api_naming_the_file_and_nothing_stored(cast, via_api):
    status, body = via_api(cast.lead, upload(HEADER + GOOD_ROW * 200))
    assert status == 400
    assert body == {"file": ["The file is larger than the 4.0\xa0KB limit."]}
    assert nothing_stored()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: binary("members.xlsx", bytes(range(256)) * 64), "not an XLSX workbook"),
        (truncated_xlsx, "not an XLSX workbook"),
        (lambda: binary("members.xlsx", "external_id,name\nX1,甲\n".encode()), "not an XLSX workbook"),  # a CSV renamed
        (lambda: binary("members.csv", bytes(range(256)) * 64), "not a CSV text file"),
        (lambda: upload(HEADER + GOOD_ROW, encoding="utf-16"), "not a CSV text file"),
    ],
    ids=["junk-xlsx", "truncated-xlsx", "csv-named-xlsx", "junk-csv", "utf16-csv"],
)
def test_a_file_that_cannot_be_what_its_name_says_is_refused_at_once(cast, via_api, via_page, make, words):
    status, body = via_api(cast.lead, make())
    assert status == 400 and list(body) == ["file"] and words in body["file"][0]
    status, page = via_page(cast.lead, make())
    assert status == 400 and words in page
    assert nothing_stored()


@pytest.mark.parametrize("name", ["members.exe", "members", "members.csv.php"])
def test_other_file_types_are_refused(cast, via_api, name):
    status, body = via_api(cast.lead, binary(name, b"external_id,name\n"))
    assert status == 400 and list(body) == ["file"]
    assert nothing_stored()


def test_an_empty_file_is_refused(cast, via_api, via_page):
    status, body = via_api(cast.lead, upload("", name="empty.csv"))
    assert status == 400 and list(body) == ["file"]
    status, page = via_page(cast.lead, upload("", name="empty.xlsx"))
    assert status == 400 and "empty" in page
    assert nothing_stored()


# --- Accepted, then read: the job tells what went wrong -------------------------------------------------


def job_after(via_api, user, file) -> ImportJob:
    status, body = via_api(user, file)
    assert status == 202, body
    return ImportJob.objects.get(pk=body["id"])


def test_a_damaged_workbook_fails_the_job_with_a_plain_reason(cast, via_api):
    job = job_after(via_api, cast.lead, damaged_xlsx())
    assert job.status == ImportStatus.FAILED
    assert "not a readable XLSX workbook" in job.message
    assert not Member.objects.exists()


def test_a_huge_single_line_fails_the_job_saying_where(cast, via_api):
    job = job_after(via_api, cast.lead, upload(HEADER + "H1," + "x" * 200_000 + ",,250\n"))
    assert job.status == ImportStatus.FAILED
    assert "not valid CSV after row 0" in job.message and "131072" in job.message
    assert not Member.objects.exists()


def test_a_quote_never_closed_fails_the_job(cast, via_api):
    job = job_after(via_api, cast.lead, upload(HEADER + GOOD_ROW + 'H2,"never closed,,250\n' + "y" * 140_000))
    assert job.status == ImportStatus.FAILED
    assert "not valid CSV after row 1" in job.message


def test_a_header_without_rows_is_done_with_nothing_to_do(cast, via_api):
    job = job_after(via_api, cast.lead, upload(HEADER))
    assert (job.status, job.processed, job.created, job.error_count) == (ImportStatus.DONE, 0, 0, 0)


def test_a_header_only_workbook_is_done_with_nothing_to_do(cast, via_api):
    job = job_after(via_api, cast.lead, xlsx([["external_id", "name"]]))
    assert (job.status, job.processed) == (ImportStatus.DONE, 0)


def test_a_file_in_another_encoding_fails_naming_the_columns_it_expected(cast, via_api):
    """Shift-JIS is neither UTF-8 nor GBK: the header cannot be read, and the message names the columns."""
    job = job_after(via_api, cast.lead, upload("会員番号,名前\nX1,山田\n", encoding="shift_jis"))
    assert job.status == ImportStatus.FAILED
    assert "external_id" in job.message
    assert not Member.objects.exists()


def test_latin1_text_reads_as_gbk_without_a_crash(cast, via_api):
    job = job_after(via_api, cast.lead, upload(HEADER + "L1,Zoë Müller,,250,,,,\n", encoding="latin-1"))
    assert job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    assert job.message == "" or "neither UTF-8 nor GBK" in job.message
