"""Membership API (SPEC 9): tiers, members (read-only, masked unless members.view_pii, visible per SPEC 2) and
imports (202, poll, numbered errors, error report)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from campaigns.models import Channel
from members.models import ImportJob, Member
from tests.members.conftest import HEADER, upload, with_campaign

pytestmark = pytest.mark.django_db


def add_members(campaign, n, *, start=0, channel=None, prefix="M"):
    Member.objects.bulk_create(
        Member(external_id=f"{prefix}{i}", name=f"會員{i}號", phone=f"1380000{i:04d}", annual_fee=Decimal(i % 1500),
               tier="basic" if i % 1500 < 200 else ("mid_high" if i % 1500 < 1000 else "top"),
               source_campaign=campaign, source_channel=channel)
        for i in range(start, start + n)
    )  # fmt: skip


@pytest.fixture
def zhang(campaign):
    return Member.objects.create(
        external_id="Z1",
        name="張三",
        phone="13812345678",
        annual_fee=Decimal("250.00"),
        tier="mid_high",
        source_campaign=campaign,
        source_channel=campaign.channels.get(),
    )


@pytest.fixture
def post_import(api, django_capture_on_commit_callbacks):
    """Upload as ``user``; the job is queued on commit and, with CELERY_TASK_ALWAYS_EAGER, runs right there."""

    def post(user, payload):
        payload = with_campaign(user, payload)  # SPEC 10.1: an upload names its campaign
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post("/api/v1/members/import/", payload, format="multipart")

    return post


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Tiers -------------------------------------------------------------------------------------------------------


def test_tiers_lists_the_thresholds_in_effect_lowest_first(api, cast):
    body = results(api(cast.viewer).get("/api/v1/tiers/"))
    assert [(t["code"], t["min_annual_fee"], t["rank"]) for t in body] == [
        ("basic", "0.00", 1),
        ("mid_high", "200.00", 2),
        ("top", "1000.00", 3),
    ]
    assert all(t["name"] for t in body)


def test_tiers_are_read_only(api, cast):
    assert api(cast.admin).post("/api/v1/tiers/", {"code": "vip"}).status_code == 405


# --- Members: masking and visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "member", "viewer", "executive", "finance"])
def test_names_and_phones_are_masked_for_everyone_without_view_pii(api, cast, zhang, person):
    client = api(getattr(cast, person))
    (row,) = results(client.get("/api/v1/members/"))
    assert (row["name"], row["phone"]) == ("張*", "138****5678")
    detail = client.get(f"/api/v1/members/{zhang.pk}/").json()
    assert (detail["name"], detail["phone"]) == ("張*", "138****5678")


def test_an_admin_sees_names_and_phones_unmasked(api, cast, zhang):
    (row,) = results(api(cast.admin).get("/api/v1/members/"))
    assert (row["name"], row["phone"]) == ("張三", "13812345678")
    assert row["tier"] == "mid_high" and row["annual_fee"] == "250.00"
    assert row["source_campaign"] == zhang.source_campaign_id and row["source_channel"] == zhang.source_channel_id
    assert row["external_id"] == "Z1" and row["consent"] is False


def test_an_outsider_gets_an_empty_list_and_404_on_a_member(api, cast, zhang):
    client = api(cast.outsider)
    body = client.get("/api/v1/members/").json()
    assert (body["count"], body["results"]) == (0, [])
    assert client.get(f"/api/v1/members/{zhang.pk}/").status_code == 404


def test_team_people_see_only_the_members_their_campaigns_brought_in(api, cast, zhang):
    Member.objects.create(external_id="ANON", name="無名")
    for person in (cast.lead, cast.member, cast.viewer):
        assert [r["external_id"] for r in results(api(person).get("/api/v1/members/"))] == ["Z1"]
    anon = Member.objects.get(external_id="ANON")
    assert api(cast.viewer).get(f"/api/v1/members/{anon.pk}/").status_code == 404
    assert api(cast.executive).get("/api/v1/members/").json()["count"] == 2


def test_anonymous_requests_are_refused(api, zhang):
    assert api().get("/api/v1/members/").status_code == 401


def test_members_cannot_be_written_through_the_api(api, cast, zhang):
    client = api(cast.admin)
    assert client.post("/api/v1/members/", {"external_id": "N1", "name": "x"}).status_code == 405
    assert client.patch(f"/api/v1/members/{zhang.pk}/", {"annual_fee": "5000"}).status_code == 405
    assert client.put(f"/api/v1/members/{zhang.pk}/", {"annual_fee": "5000"}).status_code == 405
    assert client.delete(f"/api/v1/members/{zhang.pk}/").status_code == 405
    zhang.refresh_from_db()
    assert zhang.annual_fee == Decimal("250.00")


# --- Members: filters and search ----------------------------------------------------------------------------------


def test_members_are_filtered_by_tier_campaign_channel_and_external_id(api, cast, campaign, zhang):
    other_channel = Channel.objects.create(campaign=campaign, type="sms", name="短信 SMS")
    add_members(campaign, 3, start=100, channel=other_channel)  # basic
    client = api(cast.lead)
    assert [r["external_id"] for r in results(client.get("/api/v1/members/?tier=mid_high"))] == ["Z1"]
    assert len(results(client.get("/api/v1/members/?tier=basic"))) == 3
    assert client.get(f"/api/v1/members/?campaign={campaign.pk}").json()["count"] == 4
    assert client.get(f"/api/v1/members/?campaign={campaign.pk + 99}").json()["count"] == 0
    assert client.get(f"/api/v1/members/?channel={other_channel.pk}").json()["count"] == 3
    assert [r["external_id"] for r in results(client.get("/api/v1/members/?external_id=M101"))] == ["M101"]
    assert client.get("/api/v1/members/?external_id=M10").json()["count"] == 0  # exact, not a prefix


@pytest.mark.parametrize(
    ("query", "field"), [("campaign=WD-2027", "campaign"), ("campaign=1.5", "campaign"), ("tier=gold", "tier")]
)
def test_malformed_filters_are_a_400_naming_the_parameter(api, cast, zhang, query, field):
    response = api(cast.lead).get(f"/api/v1/members/?{query}")
    assert response.status_code == 400 and list(response.json()) == [field]


def test_a_masked_user_searching_a_name_or_phone_finds_nothing(api, cast, zhang):
    for query in ("張三", "張", "13812345678", "5678"):
        assert api(cast.lead).get(f"/api/v1/members/?search={query}").json()["count"] == 0
        assert api(cast.executive).get(f"/api/v1/members/?search={query}").json()["count"] == 0
    assert api(cast.lead).get("/api/v1/members/?search=z1").json()["count"] == 1  # external ids are fine


def test_a_pii_holder_searches_names_and_phones(api, cast, zhang):
    for query in ("張三", "1381234", "138-1234-5678"):
        assert [r["external_id"] for r in results(api(cast.admin).get(f"/api/v1/members/?search={query}"))] == ["Z1"]


@pytest.mark.parametrize("factor", [1, 10])
def test_the_member_list_runs_a_constant_number_of_queries(api, cast, campaign, django_assert_max_num_queries, factor):
    add_members(campaign, 6 * factor)
    client = api(cast.viewer)
    # roles and teams (2), the user's permissions for can_view_pii (2), the count and the page (2)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/members/?page_size=200").json()
    assert body["count"] == 6 * factor


# --- Imports -----------------------------------------------------------------------------------------------------


GOOD_AND_BAD = HEADER + "\n".join([
    "I1,張三,13812345678,199.99,25-34,是,WD-2027,APP推送 App push",  # 1 ok
    ",乙,,100,,,,",                                                    # 2 no external id
    "I3,丙,,1000,35+,yes,,",                                           # 3 ok
    "I4,丁,,lots,,,,",                                                 # 4 bad fee
]) + "\n"  # fmt: skip


def test_an_import_is_accepted_then_polled_until_done_with_counts_and_numbered_errors(api, cast, campaign, post_import):
    client = api(cast.lead)
    response = post_import(cast.lead, {"file": upload(GOOD_AND_BAD)})
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] in ("pending", "running", "done") and isinstance(job["id"], int)
    polled = client.get(f"/api/v1/members/imports/{job['id']}/").json()
    assert polled["status"] == "done"  # CELERY_TASK_ALWAYS_EAGER: the job ran on upload
    assert (polled["processed"], polled["created"], polled["updated"], polled["error_count"]) == (4, 2, 0, 2)
    assert polled["percent"] == 100
    assert [e["row"] for e in polled["errors"]] == [2, 4]
    assert "external_id" in polled["errors"][0]["message"] and "lots" in polled["errors"][1]["message"]
    assert polled["errors_url"].endswith(f"/api/v1/members/imports/{job['id']}/errors.csv")
    assert Member.objects.get(external_id="I1").source_campaign == campaign

    again = post_import(cast.lead, {"file": upload(HEADER + "I1,張三,,250,,,,\n")})
    done = client.get(f"/api/v1/members/imports/{again.json()['id']}/").json()
    assert (done["created"], done["updated"], done["errors"]) == (0, 1, [])
    assert Member.objects.get(external_id="I1").tier == "mid_high"


def test_the_job_shows_the_first_thousand_errors_and_the_report_has_them_all(api, cast, post_import):
    text = HEADER + "".join(f"E{i},,,,,,,\n" for i in range(1, 1006)) + "OK1,好,,0,,,,\n"
    client = api(cast.deputy)
    job_id = post_import(cast.deputy, {"file": upload(text)}).json()["id"]
    body = client.get(f"/api/v1/members/imports/{job_id}/").json()
    assert body["error_count"] == 1005 and len(body["errors"]) == 1000
    assert body["errors"][0] == {"row": 1, "field": "name", "message": "name is missing"}
    assert body["errors"][-1]["row"] == 1000
    report = client.get(f"/api/v1/members/imports/{job_id}/errors.csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["row", "line", "field", "message"] and len(rows) == 1006
    assert rows[-1] == ["1005", "1006", "name", "name is missing"]


def test_the_error_report_answers_csv_whatever_the_client_accepts(api, cast, campaign, post_import):
    client = api(cast.lead)
    job_id = post_import(cast.lead, {"file": upload(GOOD_AND_BAD)}).json()["id"]
    response = client.get(f"/api/v1/members/imports/{job_id}/errors.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[1].startswith("2,")


@pytest.mark.parametrize("person", ["lead", "deputy", "admin", "outsider"])
def test_leads_deputies_and_admins_may_import(api, cast, person):
    user = getattr(cast, person)
    response = api(user).post(
        "/api/v1/members/import/", with_campaign(user, {"file": upload(HEADER + "P1,甲,,0,,,,\n")}), format="multipart"
    )
    assert response.status_code == 202


@pytest.mark.parametrize("person", ["member", "viewer", "executive", "finance"])
def test_everyone_else_is_refused_the_import(api, cast, person):
    response = api(getattr(cast, person)).post(
        "/api/v1/members/import/", {"file": upload(HEADER + "P1,甲,,0,,,,\n")}, format="multipart"
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "No file"),
        ({"file": "not a file"}, ""),
        ({"file": upload("x", name="members.pdf")}, ".csv"),
        ({"file": upload("", name="empty.csv")}, ""),
    ],
)
def test_a_bad_upload_is_a_400_naming_the_file_field(api, cast, payload, needle):
    response = api(cast.lead).post("/api/v1/members/import/", payload, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert needle in " ".join(response.json()["file"])
    assert not ImportJob.objects.exists()


def test_import_jobs_are_the_requesters_own_and_an_admin_sees_all(api, cast, post_import):
    lead_job = post_import(cast.lead, {"file": upload(GOOD_AND_BAD)})
    deputy_job = post_import(cast.deputy, {"file": upload(GOOD_AND_BAD)})
    lead_id, deputy_id = lead_job.json()["id"], deputy_job.json()["id"]
    assert [j["id"] for j in results(api(cast.lead).get("/api/v1/members/imports/"))] == [lead_id]
    assert {j["id"] for j in results(api(cast.admin).get("/api/v1/members/imports/"))} == {lead_id, deputy_id}
    for person in (cast.deputy, cast.viewer, cast.outsider, cast.executive):
        assert api(person).get(f"/api/v1/members/imports/{lead_id}/").status_code == 404
        assert api(person).get(f"/api/v1/members/imports/{lead_id}/errors.csv").status_code == 404
    assert api(cast.viewer).get("/api/v1/members/imports/").json()["count"] == 0
    assert api(cast.admin).get(f"/api/v1/members/imports/{lead_id}/errors.csv").status_code == 200


def test_the_import_list_runs_a_constant_number_of_queries(api, cast, post_import, django_assert_max_num_queries):
    client = api(cast.lead)
    for _n in range(3):
        post_import(cast.lead, {"file": upload(GOOD_AND_BAD)})
    # roles and teams (2), count, page, the first errors of every job on the page, their uploaders (joined)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/members/imports/").json()["count"] == 3
