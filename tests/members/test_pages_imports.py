"""The import pages: upload (lead, deputy, admin), the job page with its htmx-polled progress, the first errors
and the full error report, and who may see which job."""

from __future__ import annotations

import csv
import io

import pytest

from members.models import ImportJob, ImportRowError, Member
from tests.members.conftest import HEADER, upload, with_campaign

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = HEADER + "\n".join([
    "I1,張三,13812345678,199.99,25-34,是,WD-2027,APP推送 App push",  # 1 ok
    ",乙,,100,,,,",                                                    # 2 no external id
    "I3,丙,,1000,35+,yes,,",                                           # 3 ok
    "I4,丁,,lots,,,,",                                                 # 4 bad fee
]) + "\n"  # fmt: skip


@pytest.fixture
def post_upload(browser_client, django_capture_on_commit_callbacks):
    """Upload through the page as ``user``; with CELERY_TASK_ALWAYS_EAGER the job runs when the upload commits."""

    def post(user, file):
        with django_capture_on_commit_callbacks(execute=True):
            return browser_client(user).post("/members/import/upload/", with_campaign(user, {"file": file}))

    return post


def pending_job(user, **fields):
    return ImportJob.objects.create(uploaded_by=user, filename="big.csv", file_format="csv", **fields)


def test_a_lead_uploads_and_lands_on_the_job_page_with_counts_errors_and_the_report_link(cast, campaign, post_upload,
                                                                                         browser_client):  # fmt: skip
    response = post_upload(cast.lead, upload(GOOD_AND_BAD))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/members/imports/{job.pk}/"
    html = browser_client(cast.lead).get(response["Location"]).content.decode()
    assert 'data-status="done"' in html and 'value="100"' in html
    assert 'data-counter="processed">4<' in html and 'data-counter="created">2<' in html
    assert 'data-counter="errors">2<' in html
    assert "external_id is missing" in html and "lots" in html
    assert f'href="/members/imports/{job.pk}/errors.csv"' in html
    assert 'hx-trigger="every 1s"' not in html  # finished: nothing left to poll
    assert Member.objects.filter(external_id__in=["I1", "I3"]).count() == 2


def test_a_running_job_polls_every_second_and_stops_once_done(browser_client, cast):
    job = pending_job(cast.lead, status="running", total_rows=200, processed=50)
    client = browser_client(cast.lead)
    html = client.get(f"/members/imports/{job.pk}/").content.decode()
    assert f'hx-get="/members/imports/{job.pk}/" hx-trigger="every 1s"' in html
    assert 'value="25"' in html and "50 of 200 rows read." in html
    partial = client.get(f"/members/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    fragment = partial.content.decode()
    assert fragment.lstrip().startswith('<section id="import-progress"') and "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed=200, created=200)
    done = client.get(f"/members/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'data-status="done"' in done and 'value="100"' in done


def test_a_pending_job_polls_too(browser_client, cast):
    job = pending_job(cast.deputy)
    html = browser_client(cast.deputy).get(f"/members/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "Waiting for a worker" in html


def test_a_failed_job_shows_its_reason_and_stops_polling(browser_client, cast):
    job = pending_job(cast.lead, status="failed", message="The file has no column external_id.")
    html = browser_client(cast.lead).get(f"/members/imports/{job.pk}/").content.decode()
    assert "The file has no column external_id." in html and "every 1s" not in html


def test_the_job_page_shows_the_first_fifty_errors_and_the_report_has_them_all(browser_client, cast):
    job = pending_job(cast.lead, status="done", processed=80, error_count=80, bad_fields=80)
    ImportRowError.objects.bulk_create(ImportRowError(job=job, row=n, message=f"problem {n}") for n in range(1, 81))
    client = browser_client(cast.lead)
    html = client.get(f"/members/imports/{job.pk}/").content.decode()
    assert "The first 50 of 80 bad fields in 80 refused rows" in html
    assert "problem 50<" in html and "problem 51<" not in html
    response = client.get(f"/members/imports/{job.pk}/errors.csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["row", "line", "field", "message"] and len(rows) == 81
    assert rows[80] == ["80", "81", "", "problem 80"]  # 1 = the first data row, line 2 in Excel


@pytest.mark.parametrize("person", ["deputy", "member", "viewer", "outsider", "executive"])
def test_someone_elses_import_is_not_found(browser_client, cast, person):
    job = pending_job(cast.lead, status="done")
    client = browser_client(getattr(cast, person))
    assert client.get(f"/members/imports/{job.pk}/").status_code == 404
    assert client.get(f"/members/imports/{job.pk}/errors.csv").status_code == 404


def test_an_admin_may_open_any_import(browser_client, cast):
    job = pending_job(cast.lead, status="done")
    assert browser_client(cast.admin).get(f"/members/imports/{job.pk}/").status_code == 200


@pytest.mark.parametrize("person", ["lead", "deputy", "admin"])
def test_leads_deputies_and_admins_get_the_upload_form(browser_client, cast, person):
    html = browser_client(getattr(cast, person)).get("/members/import/").content.decode()
    assert 'action="/members/import/upload/"' in html and 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize("person", ["member", "viewer", "executive", "finance"])
def test_everyone_else_is_told_who_imports_and_refused_the_upload(browser_client, cast, person, post_upload):
    user = getattr(cast, person)
    html = browser_client(user).get("/members/import/").content.decode()
    assert 'action="/members/import/upload/"' not in html
    assert "Only a team lead or deputy lead" in html
    assert post_upload(user, upload(HEADER + "X1,甲,,0,,,,\n")).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (None, "This field is required."),
        (upload("whatever", name="members.pdf"), "Upload a .csv or .xlsx file."),
        (upload("", name="empty.csv"), "The submitted file is empty."),
    ],
)
def test_a_bad_file_is_reported_next_to_the_field_and_nothing_is_saved(browser_client, cast, file, message):
    payload = {"file": file} if file is not None else {}
    response = browser_client(cast.lead).post("/members/import/upload/", payload)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_file-error"' in html and message in html
    assert not ImportJob.objects.exists()


def test_the_upload_needs_a_post(browser_client, cast):
    assert browser_client(cast.lead).get("/members/import/upload/").status_code == 405


def test_the_import_page_lists_the_users_recent_imports(browser_client, cast):
    mine = pending_job(cast.lead, status="done")
    theirs = pending_job(cast.deputy, status="done")
    html = browser_client(cast.lead).get("/members/import/").content.decode()
    assert f'data-job="{mine.pk}"' in html and f'data-job="{theirs.pk}"' not in html
