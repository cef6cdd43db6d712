"""The member list and its exports: masking for every role, the audited PII export, filters, access and query
counts (SPEC 2, 6)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from campaigns.models import Channel
from core.models import AuditEntry
from members.models import Member

pytestmark = pytest.mark.django_db

MASKED = ("張*", "138****5678")
PLAIN = ("張三", "13812345678")


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
        consent=True,  # the export with personal data holds only members who consent (SPEC 10.6)
    )


def add_members(campaign, n, *, start=0, channel=None):
    Member.objects.bulk_create(
        Member(external_id=f"M{i:05d}", name=f"會員{i}", phone=f"1390000{i:04d}", annual_fee=Decimal(i % 300),
               tier="basic" if i % 300 < 200 else "mid_high", source_campaign=campaign, source_channel=channel)
        for i in range(start, start + n)
    )  # fmt: skip


def csv_rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- The list -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "member", "viewer", "executive", "finance"])
def test_the_list_masks_names_and_phones_for_everyone_without_view_pii(browser_client, cast, zhang, person):
    response = browser_client(getattr(cast, person)).get("/members/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-member="Z1"' in html
    assert MASKED[0] in html and MASKED[1] in html
    assert PLAIN[0] not in html and PLAIN[1] not in html
    assert "names and phone numbers masked" in html


def test_an_admin_sees_the_list_unmasked(browser_client, cast, zhang):
    html = browser_client(cast.admin).get("/members/").content.decode()
    assert PLAIN[0] in html and PLAIN[1] in html
    assert 'data-export="pii"' in html


def test_the_list_offers_no_personal_data_export_to_masked_users(browser_client, cast, zhang):
    html = browser_client(cast.lead).get("/members/").content.decode()
    assert 'data-export="csv"' in html and 'data-export="pii"' not in html


def test_an_outsider_sees_an_empty_list_that_says_why(browser_client, cast, zhang):
    html = browser_client(cast.outsider).get("/members/").content.decode()
    assert 'data-member="' not in html
    assert "There are no members here yet." in html


def test_the_list_needs_a_login(client, zhang):
    response = client.get("/members/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_nav_entry_points_at_the_member_list(browser_client, cast):
    html = browser_client(cast.lead).get("/").content.decode()
    assert 'href="/members/"' in html and 'data-nav="members"' in html


def test_the_list_filters_by_tier_campaign_and_channel(browser_client, cast, campaign, zhang):
    sms = Channel.objects.create(campaign=campaign, type="sms", name="短信 SMS")
    add_members(campaign, 3, channel=sms)
    client = browser_client(cast.lead)
    assert client.get("/members/?tier=mid_high").content.decode().count('data-member="') == 1
    assert client.get(f"/members/?channel={sms.pk}").content.decode().count('data-member="') == 3
    assert client.get(f"/members/?campaign={campaign.pk}").content.decode().count('data-member="') == 4


def test_a_filter_that_does_not_parse_is_shown_next_to_its_field_and_ignored(browser_client, cast, zhang):
    response = browser_client(cast.lead).get("/members/?campaign=nope&tier=gold")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_campaign-error"' in html and 'data-member="Z1"' in html


def test_a_masked_user_cannot_find_a_member_by_name(browser_client, cast, zhang):
    client = browser_client(cast.lead)
    assert 'data-member="Z1"' not in client.get("/members/?q=張三").content.decode()
    assert 'data-member="Z1"' not in client.get("/members/?q=13812345678").content.decode()
    assert 'data-member="Z1"' in client.get("/members/?q=z1").content.decode()
    assert 'data-member="Z1"' in browser_client(cast.admin).get("/members/?q=張三").content.decode()


def test_htmx_filtering_answers_with_the_results_only(browser_client, cast, zhang):
    response = browser_client(cast.lead).get("/members/?tier=mid_high", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="member-results">') and "<html" not in html
    assert 'data-member="Z1"' in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("factor", [1, 10])
def test_the_list_runs_a_constant_number_of_queries(browser_client, cast, campaign, django_assert_max_num_queries,
                                                    factor):  # fmt: skip
    add_members(campaign, 6 * factor, channel=campaign.channels.get())
    client = browser_client(cast.viewer)
    with django_assert_max_num_queries(12):
        response = client.get("/members/")
    html = response.content.decode()
    assert html.count('data-member="') == min(6 * factor, 50) and f'data-total="{6 * factor}"' in html


# --- Exports --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "viewer", "executive", "finance", "admin"])
def test_the_csv_export_is_masked_for_everyone(browser_client, cast, zhang, person):
    response = browser_client(getattr(cast, person)).get("/members/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert header[:3] == ["external_id", "name", "phone"]
    assert [tuple(r[1:3]) for r in rows] == [MASKED]
    assert rows[0][3] == "250.00" and rows[0][6] == "WD-2027" and rows[0][8] == "mid_high"
    assert not AuditEntry.objects.filter(action="members.pii_exported").exists()


def test_the_xlsx_export_is_masked_and_keeps_fees_as_numbers(browser_client, cast, zhang):
    response = browser_client(cast.executive).get("/members/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("external_id", "name", "phone")
    assert rows[1][:4] == ("Z1", *MASKED, 250)


def test_the_export_follows_the_filters_and_visibility(browser_client, cast, campaign, zhang):
    add_members(campaign, 3)
    Member.objects.create(external_id="ANON", name="無名")
    rows = csv_rows(browser_client(cast.viewer).get("/members/export.csv?tier=basic"))[1:]
    assert sorted(r[0] for r in rows) == ["M00000", "M00001", "M00002"]
    assert csv_rows(browser_client(cast.outsider).get("/members/export.csv")) == [csv_rows(
        browser_client(cast.admin).get("/members/export.csv"))[0]]  # fmt: skip


@pytest.mark.parametrize("person", ["lead", "viewer", "executive", "finance", "outsider"])
def test_a_personal_data_export_is_refused_without_the_permission(browser_client, cast, zhang, person):
    for fmt in ("csv", "xlsx"):
        assert browser_client(getattr(cast, person)).get(f"/members/export.{fmt}?pii=1").status_code == 403
    assert not AuditEntry.objects.filter(action="members.pii_exported").exists()


def test_a_personal_data_export_is_unmasked_for_the_permission_holder_and_audited(browser_client, cast, campaign,
                                                                                  zhang):  # fmt: skip
    add_members(campaign, 2)
    response = browser_client(cast.admin).get(f"/members/export.csv?pii=1&campaign={campaign.pk}&tier=mid_high")
    rows = csv_rows(response)[1:]
    assert [tuple(r[1:3]) for r in rows] == [PLAIN]
    entry = AuditEntry.objects.get(action="members.pii_exported")
    assert entry.actor_id == cast.admin.pk and entry.actor_username == cast.admin.username
    assert entry.after == {"format": "csv", "filters": {"campaign": str(campaign.pk), "tier": "mid_high"}, "rows": 1}


def test_every_personal_data_export_is_a_ledger_entry(browser_client, cast, zhang):
    client = browser_client(cast.admin)
    client.get("/members/export.csv?pii=1")
    response = client.get("/members/export.xlsx?pii=1")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][1:3] == PLAIN
    assert [e.after["format"] for e in AuditEntry.objects.filter(action="members.pii_exported").order_by("seq")] == [
        "csv",
        "xlsx",
    ]


def test_an_unknown_export_format_is_404(browser_client, cast):
    assert browser_client(cast.admin).get("/members/export.pdf").status_code == 404


def test_a_formula_in_a_name_is_defused_in_the_export(browser_client, cast, campaign):
    Member.objects.create(external_id="F1", name="=HYPERLINK(1)", source_campaign=campaign, consent=True)
    rows = csv_rows(browser_client(cast.admin).get("/members/export.csv?pii=1"))
    assert rows[1][1] == "'=HYPERLINK(1)"
