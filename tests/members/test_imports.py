from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ApplicationError, NotAllowed
from members.imports import import_run, import_watchdog
from members.models import ImportJob, ImportRowError, Member, TierChange
from tests.members.conftest import HEADER, create_job, upload, xlsx

pytestmark = pytest.mark.django_db


def run(job, **kw):
    return import_run(job.pk, **kw)


def test_utf8_csv_imports_and_upserts(cast, campaign):
    text = HEADER + "M1,張三,13812345678,199.99,25-34,是,WD-2027,APP推送 App push\nM2,李四,13900000000,1000,35+,0,,\n"
    job = run(create_job(actor=cast.lead, upload=upload(text)))
    assert (job.status, job.processed, job.created, job.updated, job.error_count) == ("done", 2, 2, 0, 0)
    m1 = Member.objects.get(external_id="M1")
    assert (m1.name, m1.tier, m1.consent, m1.source_campaign, m1.source_channel.name) == (
        "張三",
        "basic",
        True,
        campaign,
        "APP推送 App push",
    )
    assert m1.consent_at is not None
    again = run(create_job(actor=cast.lead, upload=upload(HEADER + "M1,張三,13812345678,200.00,25-34,yes,,\n")))
    assert (again.created, again.updated) == (0, 1)
    m1.refresh_from_db()
    assert (m1.tier, m1.source_campaign) == ("mid_high", campaign)  # attribution kept
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.cause, change.import_job_id) == (
        "basic",
        "mid_high",
        "import",
        again.pk,
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_bom_and_gbk_files(cast, campaign, encoding):
    job = run(
        create_job(
            actor=cast.lead,
            upload=upload(HEADER + "G1,歐陽娜娜,13800000001,1500,18-24,是,WD-2027,\n", encoding=encoding),
        )
    )
    assert job.status == "done", job.message
    assert Member.objects.get(external_id="G1").name == "歐陽娜娜"


def test_a_gbk_file_whose_chinese_starts_late_is_still_read(cast, campaign):
    ascii_rows = "".join(f"A{i},Name{i},,10,,,,\n" for i in range(3000))
    job = run(create_job(actor=cast.lead, upload=upload(HEADER + ascii_rows + "Z1,趙敏,,10,,,,\n", encoding="gbk")))
    assert job.status == "done" and job.encoding == "gb18030"
    assert Member.objects.get(external_id="Z1").name == "趙敏"


def test_xlsx_file(cast, campaign):
    rows = [
        ["external_id", "name", "phone", "annual_fee", "age_band", "consent", "source_campaign", "source_channel"],
        ["X1", "王五", "13811112222", 999.99, "25-34", "yes", "WD-2027", ""],
        ["X2", "", "", 5, "", "", "", ""],
    ]
    job = run(create_job(actor=cast.lead, upload=xlsx(rows)))
    assert (job.status, job.created, job.error_count) == ("done", 1, 1)
    assert Member.objects.get(external_id="X1").annual_fee == Decimal("999.99")
    assert ImportRowError.objects.get().row == 2


def test_bad_rows_are_reported_by_number_and_good_rows_kept(cast, campaign):
    text = HEADER + "\n".join([
        "B1,甲,13800000000,100,,,,",        # 1 ok
        ",乙,,100,,,,",                      # 2 no external id
        "B3,丙,call-me,100,,,,",             # 3 bad phone
        "B4,丁,,lots,,,,",                   # 4 bad fee
        "B5,戊,,-5,,,,",                     # 5 negative fee
        "B6,己,,1.234,,,,",                  # 6 three decimals
        "B7,庚,,100,teen,,,",                # 7 bad age band
        "B8,辛,,100,,maybe,,",               # 8 bad consent
        "B9,壬,,100,,,NOPE,",                # 9 unknown campaign
        "B10,癸,,100,,,WD-2027,Carrier pigeon",  # 10 unknown channel
        ",,,,,,,",                           # 11 empty
        "B12,子,,100,,,,",                   # 12 ok
    ]) + "\n"  # fmt: skip
    job = run(create_job(actor=cast.lead, upload=upload(text)))
    errors = dict(ImportRowError.objects.filter(job=job).values_list("row", "message"))
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "external_id is missing" in errors[2] and "NOPE" in errors[9] and "Carrier pigeon" in errors[10]
    assert (job.processed, job.created, job.error_count) == (12, 2, 10)
    assert set(Member.objects.values_list("external_id", flat=True)) == {"B1", "B12"}


def test_the_outsider_cannot_attribute_members_to_a_campaign_it_cannot_see(cast, campaign):
    import datetime as dt

    from campaigns.services import campaign_create

    team = cast.outsider.memberships.get().team
    campaign_create(actor=cast.outsider, team=team, code="CE-2027", name="x", start_date=dt.date(2027, 4, 1),
                    end_date=dt.date(2027, 5, 1))  # fmt: skip
    job = run(create_job(actor=cast.outsider, upload=upload(HEADER + "O1,x,,1,,,WD-2027,\n")))
    assert job.error_count == 1 and not Member.objects.exists()


def test_a_file_without_the_required_columns_fails_with_a_reason(cast, campaign):
    job = run(create_job(actor=cast.lead, upload=upload("id,fullname\n1,x\n")))
    assert job.status == "failed" and "external_id" in job.message


def test_upload_rules(cast, campaign):
    with pytest.raises(NotAllowed):
        create_job(actor=cast.member, upload=upload(HEADER))
    with pytest.raises(ApplicationError):
        create_job(actor=cast.lead, upload=upload(HEADER, name="members.pdf"))
    with pytest.raises(ApplicationError):
        create_job(actor=cast.lead, upload=upload("", name="empty.csv"))
    assert not ImportJob.objects.exists()


def test_batches_commit_a_checkpoint_and_a_rerun_resumes_without_doubles(cast, campaign, monkeypatch):
    import members.imports as imports

    text = HEADER + "".join(f"R{i},n{i},,{i % 1200},,,,\n" for i in range(1, 1001)) + ",bad,,,,,,\n"
    job = create_job(actor=cast.lead, upload=upload(text))
    real = imports._commit_batch
    calls = {"n": 0}

    def crash_on_fourth_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("worker killed")  # not an Exception: like a dying process, nothing is recorded
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_commit_batch", crash_on_fourth_batch)
    with pytest.raises(SystemExit):
        import_run(job.pk, batch_rows=100)
    job.refresh_from_db()
    assert (job.status, job.checkpoint, job.created) == ("running", 300, 300)
    monkeypatch.setattr(imports, "_commit_batch", real)
    assert import_run(job.pk, batch_rows=100) is None  # the dead run's lease is still live
    ImportJob.objects.filter(pk=job.pk).update(lease_until=None)
    job = import_run(job.pk, batch_rows=100)
    assert (job.status, job.processed, job.created, job.updated, job.error_count) == ("done", 1001, 1000, 0, 1)
    assert Member.objects.count() == 1000
    assert ImportRowError.objects.get(job=job).row == 1001


def test_watchdog_restarts_jobs_whose_lease_lapsed(cast, campaign, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    job = create_job(actor=cast.lead, upload=upload(HEADER + "W1,x,,1,,,,\n"))
    ImportJob.objects.filter(pk=job.pk).update(status="running", lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert import_watchdog() == [job.pk]
    assert Member.objects.filter(external_id="W1").exists()  # eager mode ran it
    assert import_watchdog() == []
