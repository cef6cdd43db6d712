"""Hole 1 (high): a member import crossed team boundaries (SPEC 10.1 "Member imports stay inside the
importer's boundary").

Reported attack: any team lead or deputy uploads a CSV naming another team's ``external_id``s and overwrites
their name, phone, fee, tier and consent, or moves them into their own campaign through ``source_campaign``;
the created/updated counts tell whether an id exists. And a lead importing through the API without
``source_campaign`` could not see the members just imported.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members.models import ImportChunk, ImportJob, ImportRowError, Member

pytestmark = pytest.mark.django_db

HEADER = "external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\n"


def csv_file(text: str, name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def victim(other_campaign):
    return Member.objects.create(
        external_id="VIP-1",
        name="王大明",
        phone="13911112222",
        annual_fee=Decimal("1500.00"),
        tier="top",
        consent=False,
        source_campaign=other_campaign,
    )


def victim_state(member: Member) -> tuple:
    member.refresh_from_db()
    return (member.name, member.phone, member.annual_fee, member.tier, member.consent, member.source_campaign_id)


@pytest.mark.parametrize("attacker", ["lead", "deputy"])
def test_another_teams_member_cannot_be_overwritten_by_external_id(cast, own_campaign, victim, post_import, attacker):
    before = victim_state(victim)
    response = post_import(
        getattr(cast, attacker),
        {
            "campaign": own_campaign.pk,
            "file": csv_file(HEADER + "VIP-1,攻擊者,13000000000,1,,yes,,\nNEW-1,新人,,10,,,,\n"),
        },
    )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.created, job.updated, job.error_count) == ("done", 1, 0, 1)
    assert victim_state(victim) == before
    error = ImportRowError.objects.get(job=job)
    assert error.row == 1
    # Nothing about the existing member: not its name, phone, campaign or team.
    for secret in ("王大明", "13911112222", "CE-2027", "Channel expansion", "渠道拓展組"):
        assert secret not in error.message


def test_another_teams_member_cannot_be_moved_into_the_attackers_campaign(cast, own_campaign, victim, post_import):
    before = victim_state(victim)
    response = post_import(
        cast.lead, {"campaign": own_campaign.pk, "file": csv_file(HEADER + "VIP-1,王大明,,1500,,,WD-2027,\n")}
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.created, job.updated, job.error_count) == (0, 0, 1)
    assert victim_state(victim) == before


def test_a_row_naming_another_teams_campaign_is_refused_like_an_unknown_one(
    cast, own_campaign, other_campaign, post_import
):
    response = post_import(
        cast.lead,
        {"campaign": own_campaign.pk, "file": csv_file(HEADER + "N1,甲,,1,,,CE-2027,\nN2,乙,,1,,,NO-SUCH,\n")},
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.created, job.error_count) == (0, 2)
    messages = dict(ImportRowError.objects.filter(job=job).values_list("row", "message"))
    assert messages[1].replace("CE-2027", "X") == messages[2].replace("NO-SUCH", "X")
    assert not Member.objects.filter(external_id__in=["N1", "N2"]).exists()


def test_the_upload_must_name_one_of_the_importers_campaigns(cast, own_campaign, other_campaign, post_import):
    no_campaign = post_import(cast.lead, {"file": csv_file(HEADER + "N1,甲,,1,,,,\n")})
    assert no_campaign.status_code == 400 and "campaign" in no_campaign.json()
    foreign = post_import(cast.lead, {"campaign": other_campaign.pk, "file": csv_file(HEADER + "N1,甲,,1,,,,\n")})
    unknown = post_import(cast.lead, {"campaign": 987654, "file": csv_file(HEADER + "N1,甲,,1,,,,\n")})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()  # another team's campaign reads exactly like one that does not exist
    assert not ImportJob.objects.exists() and not Member.objects.exists()


def test_the_importer_sees_every_member_their_import_created_or_updated(cast, api, own_campaign, post_import):
    response = post_import(
        cast.lead, {"campaign": own_campaign.pk, "file": csv_file(HEADER + "S1,甲,,1,,,,\nS2,乙,,300,,,,\n")}
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.created) == ("done", 2)
    listed = api(cast.lead).get("/api/v1/members/").json()["results"]
    assert {m["external_id"] for m in listed} == {"S1", "S2"}
    assert set(Member.objects.values_list("source_campaign_id", flat=True)) == {own_campaign.pk}


def test_an_admin_may_leave_the_campaign_out(cast, victim, post_import):
    response = post_import(
        cast.admin, {"file": csv_file(HEADER + "VIP-1,王大明,13911112222,2000,,yes,,\nA1,甲,,1,,,,\n")}
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.created, job.updated, job.error_count) == ("done", 1, 1, 0)


def test_the_uploaded_file_is_deleted_when_the_job_ends_and_the_error_report_is_kept(cast, own_campaign, post_import):
    done = post_import(cast.lead, {"campaign": own_campaign.pk, "file": csv_file(HEADER + "D1,甲,,1,,,,\n,,,,,,,\n")})
    failed = post_import(cast.lead, {"campaign": own_campaign.pk, "file": csv_file("id,fullname\n1,x\n")})
    done_job, failed_job = (ImportJob.objects.get(pk=r.json()["id"]) for r in (done, failed))
    assert (done_job.status, failed_job.status) == ("done", "failed")
    assert not ImportChunk.objects.filter(job__in=[done_job, failed_job]).exists()
    assert ImportRowError.objects.filter(job=done_job).count() == 1


def test_an_unterminated_quote_is_reported_as_an_error_row_not_swallowed(cast, own_campaign, post_import):
    text = HEADER + 'Q1,"甲,,1,,,,\nQ2,乙,,1,,,,\nQ3,"丙",,1,,,,\n'
    response = post_import(cast.lead, {"campaign": own_campaign.pk, "file": csv_file(text)})
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.error_count >= 1, "the broken row must be reported"
    message = ImportRowError.objects.filter(job=job).first().message
    assert "quote" in message
    assert not Member.objects.filter(name__contains="\n").exists()
