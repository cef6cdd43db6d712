"""Imports people can fix (SPEC 10.6, issue 21): a dry run that writes nothing and counts like the real run, one
error per bad field, the error report that repeats the refused rows as uploaded in the upload's own format and
encoding (so it can be corrected and uploaded again), Excel line numbers, join dates in the campaign's time zone,
and the recent-imports panel that follows its jobs to the end."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members.imports import import_run
from members.models import ImportBadRow, ImportJob, ImportRowError, Member, TierChange
from tests.members.conftest import HEADER, create_job, upload, with_campaign, xlsx

pytestmark = pytest.mark.django_db

COLUMNS = HEADER.strip().split(",")


def run(job, **kwargs):
    return import_run(job.pk, **kwargs)


def counts(job):
    return (job.status, job.processed, job.created, job.updated, job.error_count, job.bad_fields)


def report_of(client, job, *, api=False):
    url = f"/api/v1/members/imports/{job.pk}/report/" if api else f"/members/imports/{job.pk}/report/"
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


# --- Every bad field of a row --------------------------------------------------------------------------------


def test_every_bad_field_of_a_row_is_an_error_of_its_own(cast, campaign):
    text = HEADER + "\n".join([
        "F1,甲,call-me,lots,teen,maybe,,",      # 1: phone, fee, age band, consent
        ",,,,,,,",                               # 2: the row is empty (one error for the whole row)
        ",,13800000000,10,,,,",                  # 3: external id and name
        "F4,丁,,10,,,NOPE,Carrier pigeon",       # 4: the campaign (its channel cannot be checked)
        "F5,戊,,10,,,WD-2027,Carrier pigeon",   # 5: the channel
        "F6,己,13800000006,10,25-34,是,,",      # 6: good
    ]) + "\n"  # fmt: skip
    job = run(create_job(actor=cast.lead, upload=upload(text)))
    errors = list(ImportRowError.objects.filter(job=job).values_list("row", "field", "message"))
    by_row: dict[int, list[str]] = {}
    for row, field, _message in errors:
        by_row.setdefault(row, []).append(field)
    assert by_row == {
        1: ["phone", "annual_fee", "age_band", "consent"],
        2: [""],
        3: ["external_id", "name"],
        4: ["source_campaign"],
        5: ["source_channel"],
    }
    messages = {(row, field): message for row, field, message in errors}
    assert "call-me" in messages[(1, "phone")] and "lots" in messages[(1, "annual_fee")]
    assert "teen" in messages[(1, "age_band")] and "maybe" in messages[(1, "consent")]
    assert "NOPE" in messages[(4, "source_campaign")] and "Carrier pigeon" in messages[(5, "source_channel")]
    # Rows are counted once each; every bad field is counted too.
    assert counts(job) == ("done", 6, 1, 0, 5, 9)
    assert list(Member.objects.values_list("external_id", flat=True)) == ["F6"]


def test_the_api_lists_one_entry_per_bad_field(api, cast, campaign, django_capture_on_commit_callbacks):
    text = HEADER + "A1,甲,call-me,lots,,,,\n,,,,,,,\nA3,丙,,10,,,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.lead).post(
            "/api/v1/members/import/", with_campaign(cast.lead, {"file": upload(text)}), format="multipart"
        )
    body = api(cast.lead).get(f"/api/v1/members/imports/{response.json()['id']}/").json()
    assert body["errors"] == [
        {"row": 1, "field": "phone", "message": "phone call-me is not a phone number"},
        {"row": 1, "field": "annual_fee", "message": "annual_fee lots is not an amount in CNY (e.g. 199.99)"},
        {"row": 2, "field": None, "message": "the row is empty"},
    ]
    assert (body["error_count"], body["bad_fields"], body["created"], body["dry_run"]) == (2, 3, 1, False)
    assert body["report_url"].endswith(f"/api/v1/members/imports/{body['id']}/report/")


def test_the_cap_keeps_the_first_refused_rows_and_counts_them_all(cast, campaign, settings):
    settings.MEMBER_IMPORT_MAX_ERROR_ROWS = 3
    text = HEADER + "".join(f"C{i},名{i},bad,lots,,,,\n" for i in range(1, 8)) + "OK,好,,0,,,,\n"
    job = run(create_job(actor=cast.lead, upload=upload(text)))
    assert (job.error_count, job.bad_fields, job.created) == (7, 14, 1)
    assert list(ImportBadRow.objects.filter(job=job).values_list("row", flat=True)) == [1, 2, 3]
    assert ImportRowError.objects.filter(job=job).count() == 6  # both bad fields of each kept row


# --- Dry run -------------------------------------------------------------------------------------------------


def mixed_file() -> str:
    """New members, members that exist already, an id twice (in two batches), bad rows, another team's member."""
    lines = [f"D{i},會員{i},1380000{i:04d},{i * 100}.00,25-34,是,,\n" for i in range(1, 13)]
    lines[3] = "D4,,bad,lots,,,,\n"  # refused: name, phone, fee
    lines[9] = "D2,會員2改,,1500,,,,\n"  # D2 again, in a later batch: an update of what row 2 created
    lines.append("EXIST1,舊會員,,300,,,,\n")  # exists: an update
    lines.append("FOREIGN1,別人的,,10,,,,\n")  # another team's member: refused, nothing said about it
    return HEADER + "".join(lines)


@pytest.fixture
def existing(campaign, cast):
    from campaigns.services import campaign_create

    other = campaign_create(actor=cast.outsider, team=cast.outsider.memberships.get().team, code="OT-2027",
                            name="Other", start_date=dt.date(2027, 4, 1), end_date=dt.date(2027, 5, 1))  # fmt: skip
    Member.objects.create(external_id="EXIST1", name="舊", annual_fee=Decimal("0"), source_campaign=campaign)
    Member.objects.create(external_id="FOREIGN1", name="外", annual_fee=Decimal("0"), source_campaign=other)


def snapshot():
    return sorted(Member.objects.values_list("external_id", "name", "annual_fee", "tier", "updated_at"))


def test_a_dry_run_writes_no_member_and_counts_what_the_real_run_then_does(cast, campaign, existing):
    before = snapshot()
    dry = run(create_job(actor=cast.lead, upload=upload(mixed_file()), dry_run=True), batch_rows=4)
    assert dry.dry_run and dry.status == "done"
    assert snapshot() == before and not TierChange.objects.exists()  # nothing written
    real = run(create_job(actor=cast.lead, upload=upload(mixed_file())), batch_rows=4)
    assert counts(dry) == counts(real) == ("done", 14, 10, 2, 2, 4)
    # The same errors, the same kept cells: the dry run's report is the real run's.
    rows_of = lambda job: list(ImportRowError.objects.filter(job=job).values_list("row", "field", "message"))  # noqa: E731
    assert rows_of(dry) == rows_of(real)
    assert Member.objects.get(external_id="D2").name == "會員2改"
    assert not ImportJob.objects.filter(pk=dry.pk).first().chunks.exists()  # its upload went when it ended


def test_a_dry_run_after_the_import_would_only_update(cast, campaign):
    text = HEADER + "".join(f"U{i},名{i},,{i},,,,\n" for i in range(1, 6))
    run(create_job(actor=cast.lead, upload=upload(text)))
    dry = run(create_job(actor=cast.lead, upload=upload(text), dry_run=True))
    assert (dry.created, dry.updated, dry.error_count) == (0, 5, 0)


def test_a_dry_run_a_dead_worker_left_halfway_starts_again_and_counts_once(cast, campaign, monkeypatch):
    import members.imports as imports

    text = HEADER + "".join(f"R{i},n{i},,{i},,,,\n" for i in range(1, 301)) + ",bad,,,,,,\n"
    job = create_job(actor=cast.lead, upload=upload(text), dry_run=True)
    real = imports._commit_batch
    calls = {"n": 0}

    def crash_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_commit_batch", crash_on_third_batch)
    with pytest.raises(SystemExit):
        import_run(job.pk, batch_rows=100)
    monkeypatch.setattr(imports, "_commit_batch", real)
    ImportJob.objects.filter(pk=job.pk).update(lease_until=None)
    job = import_run(job.pk, batch_rows=100)
    assert counts(job) == ("done", 301, 300, 0, 1, 1)
    assert ImportRowError.objects.filter(job=job).count() == 1 and not Member.objects.exists()


def test_the_api_dry_run(api, cast, campaign, django_capture_on_commit_callbacks):
    text = HEADER + "P1,甲,,0,,,,\nP2,,,x,,,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.lead).post(
            "/api/v1/members/import/", with_campaign(cast.lead, {"file": upload(text), "dry_run": "1"}),
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 202 and response.json()["dry_run"] is True
    body = api(cast.lead).get(f"/api/v1/members/imports/{response.json()['id']}/").json()
    assert (body["status"], body["created"], body["updated"], body["error_count"], body["bad_fields"]) == (
        "done", 1, 0, 1, 2,
    )  # fmt: skip
    assert not Member.objects.exists()


@pytest.mark.parametrize("person", ["member", "viewer", "executive"])
def test_read_only_people_cannot_dry_run(api, cast, campaign, person):
    response = api(getattr(cast, person)).post(
        "/api/v1/members/import/", {"file": upload(HEADER + "P1,甲,,0,,,,\n"), "campaign": campaign.pk,
                                    "dry_run": "1"}, format="multipart",
    )  # fmt: skip
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_an_outsider_cannot_dry_run_into_another_teams_campaign(api, cast, campaign):
    response = api(cast.outsider).post(
        "/api/v1/members/import/", {"file": upload(HEADER + "P1,甲,,0,,,,\n"), "campaign": campaign.pk,
                                    "dry_run": "1"}, format="multipart",
    )  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["campaign"]
    assert not ImportJob.objects.exists()


def test_the_web_form_has_a_dry_run_checkbox(browser_client, cast, campaign, django_capture_on_commit_callbacks):
    client = browser_client(cast.lead)
    page = client.get("/members/import/").content.decode()
    assert 'name="dry_run"' in page and "Check only (dry run)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/import/upload/", {"campaign": campaign.pk, "dry_run": "on",
                                                           "file": upload(HEADER + "W1,甲,,0,,,,\n")})  # fmt: skip
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.dry_run and job.created == 1 and not Member.objects.exists()
    html = client.get(f"/members/imports/{job.pk}/").content.decode()
    assert "Would create" in html and "no member was created or changed" in html and "data-dry-run" in html


# --- The report people can fix and upload again --------------------------------------------------------------

# A GBK file as Excel in China saves it: its own header order and an extra column the import ignores.
GBK_HEADER = "name,external_id,phone,annual_fee,age_band,consent,備註\n"
GBK_ROWS = [
    "張三,G1,13800000001,100.00,25-34,是,第一位\n",  # good
    "李四,G2,call me,lots,teen,是,電話錯了\n",  # phone, fee, age band
    " 王五 ,G3,+86 138 0000 0003,-5,35+,maybe,\n",  # fee, consent; cells with spaces kept as they were
    '=HYPERLINK("x"),G4,13800000004,1.234,,,公式\n',  # fee; a formula-looking name
]


def gbk_upload(rows=GBK_ROWS, *, header=GBK_HEADER, name="會員.csv", encoding="gbk"):
    return upload(header + "".join(rows), name=name, encoding=encoding)


def parse_csv(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding), newline="")))


def test_gbk_in_gbk_out_with_the_original_columns_and_an_error_column(browser_client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=gbk_upload()))
    assert (job.encoding, job.error_count, job.bad_fields) == ("gb18030", 3, 6)
    response, body = report_of(browser_client(cast.lead), job)
    assert response["Content-Type"] == "text/csv; charset=gb18030"
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # GBK bytes, not UTF-8
    assert "李四".encode("gbk") in body and not body.startswith(b"\xef\xbb\xbf")
    rows = parse_csv(body, "gbk")
    assert rows[0] == [*GBK_HEADER.strip().split(","), "error"]
    assert rows[1][:7] == ["李四", "G2", "call me", "lots", "teen", "是", "電話錯了"]
    assert rows[1][7] == (
        "phone call me is not a phone number; annual_fee lots is not an amount in CNY (e.g. 199.99); "
        "age_band teen is not one of 18-24, 25-34, 35+"
    )
    assert rows[2][:7] == [" 王五 ", "G3", "+86 138 0000 0003", "-5", "35+", "maybe", ""]  # exactly as uploaded
    assert rows[3][0] == '\'=HYPERLINK("x")'  # no spreadsheet runs it; the import takes the apostrophe off
    assert len(rows) == 4


def test_the_fixed_report_uploads_again_without_errors(browser_client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=gbk_upload()))
    _response, body = report_of(browser_client(cast.lead), job)
    text = body.decode("gbk")
    fixed = (text.replace("call me", "13800000002").replace("lots", "200.00").replace("teen", "18-24")
             .replace(",-5,", ",5,").replace("maybe", "否").replace("1.234", "1.23"))  # fmt: skip
    again = run(create_job(actor=cast.lead, upload=SimpleUploadedFile("fixed.csv", fixed.encode("gbk"))))
    assert (again.status, again.encoding, again.created, again.error_count) == ("done", "gb18030", 3, 0)
    assert Member.objects.get(external_id="G2").tier == "mid_high"
    assert Member.objects.get(external_id="G3").name == "王五"
    assert Member.objects.get(external_id="G4").name == '=HYPERLINK("x")'  # the apostrophe came off again


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8-sig", True), ("utf-8", False)])
def test_utf8_in_utf8_out_with_its_bom_or_without(browser_client, cast, campaign, encoding, bom):
    job = run(create_job(actor=cast.lead, upload=gbk_upload(encoding=encoding)))
    response, body = report_of(browser_client(cast.lead), job)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbf") is bom and body.count(b"\xef\xbb\xbf") == int(bom)
    rows = parse_csv(body, "utf-8-sig")
    assert rows[0][:2] == ["name", "external_id"] and rows[1][:2] == ["李四", "G2"]


def test_xlsx_in_xlsx_out_with_the_cells_as_they_were(api, cast, campaign):
    import openpyxl

    joined = dt.datetime(2027, 3, 1, 9, 30)
    rows = [
        ["external_id", "name", "phone", "annual_fee", "age_band", "consent", "登記日期"],
        ["X1", "王五", 13811112222, 999.99, "25-34", "yes", joined],  # good
        ["X2", "", 13800000000, "lots", "teen", "yes", joined],  # name, fee, age band
        ["X3", "@天貓", "nope", 5, "", "", None],  # phone; a name starting like a formula stays as it is
    ]
    job = run(create_job(actor=cast.lead, upload=xlsx(rows)))
    assert (job.status, job.error_count, job.bad_fields) == ("done", 2, 4)
    for client, on_api in ((api(cast.lead), True), (api(cast.admin), True)):
        response, body = report_of(client, job, api=on_api)
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        got = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert got[0] == [*rows[0], "error"]
        assert got[1][:7] == ["X2", None, 13800000000, "lots", "teen", "yes", joined] and isinstance(got[1][2], int)
        assert got[1][7].count(";") == 2 and got[1][7].startswith("name is missing")
        assert got[2][:6] == ["X3", "@天貓", "nope", 5, None, None]
        assert sheet.cell(3, 2).data_type == "s"  # text, no apostrophe, not a formula
        assert len(got) == 3
    # Fixed in Excel and uploaded again: done, no errors.
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book.active
    sheet["B2"], sheet["D2"], sheet["E2"], sheet["C3"] = "趙六", 250, "18-24", "13800000003"
    out = io.BytesIO()
    book.save(out)
    again = run(create_job(actor=cast.lead, upload=SimpleUploadedFile("fixed.xlsx", out.getvalue())))
    assert (again.status, again.created, again.error_count) == ("done", 2, 0)
    assert Member.objects.get(external_id="X2").name == "趙六"


def test_the_report_of_an_import_without_errors_is_just_the_header(browser_client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=upload(HEADER + "OK1,好,,0,,,,\n")))
    _response, body = report_of(browser_client(cast.lead), job)
    assert parse_csv(body, "utf-8") == [[*COLUMNS, "error"]]


@pytest.mark.parametrize("person", ["deputy", "member", "viewer", "outsider", "executive", "finance"])
def test_someone_elses_report_is_not_found(api, browser_client, cast, campaign, person):
    job = run(create_job(actor=cast.lead, upload=gbk_upload()))
    user = getattr(cast, person)
    assert api(user).get(f"/api/v1/members/imports/{job.pk}/report/").status_code == 404
    assert browser_client(user).get(f"/members/imports/{job.pk}/report/").status_code == 404


def test_the_report_needs_a_login(client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=gbk_upload()))
    assert client.get(f"/members/imports/{job.pk}/report/").status_code == 302
    assert client.get(f"/api/v1/members/imports/{job.pk}/report/").status_code in (401, 403)


# --- Row numbers and Excel lines -----------------------------------------------------------------------------


def test_the_page_shows_the_excel_line_next_to_the_row_number(browser_client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=gbk_upload()))
    html = browser_client(cast.lead).get(f"/members/imports/{job.pk}/").content.decode()
    assert "Line in Excel" in html
    # Data row 2 (李四) is line 3 of the sheet: the header is line 1.
    assert '<tr data-row="2"><td class="text-end tabular">2</td><td class="text-end tabular" data-line>3</td>' in html
    assert 'data-download="report"' in html and f"/members/imports/{job.pk}/report/" in html
    errors = list(csv.reader(io.StringIO(b"".join(browser_client(cast.lead).get(
        f"/members/imports/{job.pk}/errors.csv").streaming_content).decode("utf-8-sig"))))  # fmt: skip
    assert errors[1] == ["2", "3", "phone", "phone call me is not a phone number"]


# --- Join dates in the campaign's time zone ------------------------------------------------------------------


def test_members_imported_at_half_past_one_in_shanghai_join_on_the_shanghai_date(cast, campaign):
    import time_machine

    from campaigns.services import campaign_create

    london = campaign_create(actor=cast.lead, team=cast.team, code="LDN-2027", name="London", time_zone="Europe/London",
                             start_date=dt.date(2027, 2, 10), end_date=dt.date(2027, 3, 15))  # fmt: skip
    assert campaign.time_zone == "Asia/Shanghai"
    text = HEADER + "J1,甲,,0,,是,,\nJ2,乙,,0,,是,LDN-2027,\n"
    shanghai_0130 = dt.datetime(2027, 3, 10, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # 17:30 UTC on 9th
    with time_machine.travel(shanghai_0130, tick=False):
        run(create_job(actor=cast.lead, upload=upload(text)))
        admin_job = run(create_job(actor=cast.admin, upload=upload(HEADER + "J3,丙,,0,,,,\n"), campaign=None))
    j1, j2, j3 = (Member.objects.get(external_id=e) for e in ("J1", "J2", "J3"))
    assert (j1.joined_at, j1.consent_at) == (dt.date(2027, 3, 10), dt.date(2027, 3, 10))  # not the UTC date
    assert (j2.source_campaign, j2.joined_at, j2.consent_at) == (london, dt.date(2027, 3, 9), dt.date(2027, 3, 9))
    assert admin_job.campaign_id is None and j3.joined_at == dt.date(2027, 3, 10)  # settings.TIME_ZONE


def test_an_update_keeps_the_join_date(cast, campaign):
    import time_machine

    with time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        run(create_job(actor=cast.lead, upload=upload(HEADER + "K1,甲,,0,,,,\n")))
    with time_machine.travel(dt.datetime(2027, 3, 9, 20, 0, tzinfo=dt.UTC), tick=False):
        run(create_job(actor=cast.lead, upload=upload(HEADER + "K1,甲,,300,,,,\n")))
    assert Member.objects.get(external_id="K1").joined_at == dt.date(2027, 3, 1)


# --- The recent-imports panel follows its jobs ---------------------------------------------------------------


def test_the_recent_imports_panel_polls_while_a_job_runs_and_shows_the_finished_counts(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    job = create_job(actor=cast.lead, upload=upload(HEADER + "L1,甲,,0,,,,\nL2,,,,,,,\n"), enqueue=False)
    page = client.get(f"/members/imports/{job.pk}/").content.decode()
    assert f'hx-get="/members/imports/recent/?current={job.pk}"' in page and 'hx-trigger="every 2s"' in page
    run(job)
    panel = client.get(f"/members/imports/recent/?current={job.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in panel and "Running" not in panel
    assert "2 rows" in panel and "1 created, 0 updated" in panel and "1 refused" in panel
    assert "hx-trigger" not in panel and 'data-live="false"' in panel  # all done: it stops asking
    assert 'aria-current="page"' in panel


def test_the_recent_imports_panel_is_each_persons_own(browser_client, cast, campaign):
    job = run(create_job(actor=cast.lead, upload=upload(HEADER + "L1,甲,,0,,,,\n"), dry_run=True))
    mine = browser_client(cast.lead).get("/members/imports/recent/").content.decode()
    assert f'data-job="{job.pk}"' in mine and "Dry run" in mine and "would create 1, update 0" in mine
    for person in ("outsider", "viewer", "deputy"):
        theirs = browser_client(getattr(cast, person)).get(f"/members/imports/recent/?current={job.pk}")
        assert theirs.status_code == 200 and f'data-job="{job.pk}"' not in theirs.content.decode()
    assert browser_client(cast.lead).get("/members/imports/recent/?current=x").status_code == 200


def test_the_import_command_has_a_dry_run(cast, campaign, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "members.csv"
    path.write_text(HEADER + "CMD1,甲,,0,,,,\nCMD2,,bad,,,,,\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_members", str(path), "--as-user", cast.admin.username, "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and "1 would be created" in out.getvalue() and "(2 bad fields)" in out.getvalue()
    assert ImportJob.objects.get().dry_run and not Member.objects.exists()
