"""A person's PIPL rights (SPEC 10.6): erasure that keeps aggregates and survives re-imports until an admin restores
consent, consent withdrawal that leaves the member out of targeting exports, an admin's export of everything held —
each for owner / lesser teammate / outsider (404) / admin, each audited, in the API and on the pages."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from core.models import AuditEntry
from members.imports import import_run
from members.models import ImportRowError, Member, Redemption, TierChange
from members.rights import ERASED_NAME
from tests.members.conftest import HEADER, create_job, upload

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
EVERYONE = ("lead", "deputy", "member", "viewer", "executive", "finance", "outsider", "admin")


@pytest.fixture
def zhang(campaign):
    member = Member.objects.create(
        external_id="Z1", name="張三", phone=PHONE, tags=["vip", "上海"], annual_fee=Decimal("250.00"), tier="mid_high",
        consent=True, consent_at=dt.date(2026, 3, 8), joined_at=dt.date(2026, 3, 1), source_campaign=campaign,
        source_channel=campaign.channels.get(),
    )  # fmt: skip
    TierChange.objects.create(member=member, from_tier="basic", to_tier="mid_high", cause="import",
                              changed_at=timezone.now())  # fmt: skip
    return member


def url(member, what):
    return f"/api/v1/members/{member.pk}/{what}/"


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def holds(entry, *texts):
    blob = json.dumps([entry.object_id, entry.before, entry.after], ensure_ascii=False)
    return [text for text in texts if text in blob]


def reimport(actor, text):
    return import_run(create_job(actor=actor, upload=upload(HEADER + text)).pk)


# --- Erase ------------------------------------------------------------------------------------------------------


def test_an_admin_erases_the_personal_data_and_keeps_the_aggregates(api, cast, zhang):
    response = api(cast.admin).post(url(zhang, "erase"))
    assert response.status_code == 200, response.content
    assert response.json()["consent"] is False and response.json()["erased_at"]
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone, zhang.tags, zhang.consent, zhang.consent_at) == (ERASED_NAME, "", [], False, None)
    assert zhang.erased_at is not None
    # Kept for analytics: the external id, tier, fee, dates, source and tier history.
    assert (zhang.external_id, zhang.tier, zhang.annual_fee, zhang.joined_at) == ("Z1", "mid_high",
                                                                                  Decimal("250.00"), dt.date(2026, 3, 1))  # fmt: skip
    assert zhang.source_channel_id is not None and TierChange.objects.filter(member=zhang).count() == 1
    (entry,) = entries("members.erased")
    assert (entry.actor_id, entry.object_id) == (cast.admin.pk, str(zhang.pk))
    assert holds(entry, "張三", PHONE, "vip", "上海") == []  # the ledger does not keep what was erased


@pytest.mark.parametrize(("person", "status"), [("lead", 403), ("deputy", 403), ("member", 403), ("viewer", 403),
                                                ("executive", 403), ("finance", 403), ("outsider", 404)])  # fmt: skip
def test_only_an_admin_erases(api, cast, zhang, person, status):
    assert api(getattr(cast, person)).post(url(zhang, "erase")).status_code == status
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone, zhang.erased_at) == ("張三", PHONE, None)
    assert not entries("members.erased")


def test_anonymous_visitors_cannot_erase(api, zhang):
    assert api().post(url(zhang, "erase")).status_code == 401


def test_erasing_twice_is_a_conflict(api, cast, zhang):
    client = api(cast.admin)
    client.post(url(zhang, "erase"))
    assert client.post(url(zhang, "erase")).status_code == 409
    assert len(entries("members.erased")) == 1


def test_an_erased_member_stays_erased_when_imported_again(api, cast, campaign, zhang):
    api(cast.admin).post(url(zhang, "erase"))
    job = reimport(cast.lead, f"Z1,張三,{PHONE},1200.00,25-34,yes,,\nN1,李四,13900000000,10,,yes,,\n")
    assert (job.status, job.created, job.updated, job.error_count) == ("done", 1, 0, 1)
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone, zhang.consent, zhang.tier) == (ERASED_NAME, "", False, "mid_high")
    error = ImportRowError.objects.get(job=job)
    assert (error.row, error.field, error.message) == (1, "external_id", "erased at the person's request")
    kept = json.dumps(list(job.bad_rows.values_list("values", flat=True)), ensure_ascii=False)
    assert "Z1" in kept and "張三" not in kept and PHONE not in kept  # the report keeps no erased data either
    assert Member.objects.get(external_id="N1").name == "李四"  # the rest of the file is imported as usual
    # An admin's import, unbounded by campaigns, leaves the erased member out all the same.
    again = reimport(cast.admin, f"Z1,張三,{PHONE},1200.00,25-34,yes,WD-2027,\n")
    assert (again.updated, again.error_count) == (0, 1)


def test_a_refused_row_of_an_erased_member_keeps_none_of_its_data_in_the_report(api, cast, zhang):
    api(cast.admin).post(url(zhang, "erase"))
    # Bad fee and bad consent as well: the row is still reported as erased, with only its external id.
    job = reimport(cast.lead, f"Z1,張三,{PHONE},lots,25-34,maybe,,\nN1,李四,13900000000,x,,yes,,\n")
    assert (job.status, job.error_count) == ("done", 2)
    errors = list(
        ImportRowError.objects.filter(job=job).order_by("row", "field").values_list("row", "field", "message")
    )
    assert errors[0] == (1, "external_id", "erased at the person's request")
    assert [e[0] for e in errors].count(1) == 1 and any(e[0] == 2 and e[1] == "annual_fee" for e in errors)
    kept = dict(job.bad_rows.values_list("row", "values"))
    assert "Z1" in json.dumps(kept[1]) and "張三" not in json.dumps(kept[1], ensure_ascii=False)
    assert PHONE not in json.dumps(kept[1]) and "lots" not in json.dumps(kept[1])
    assert "李四" in json.dumps(kept[2], ensure_ascii=False)  # other members' refused rows are kept as uploaded


def test_the_upsert_never_updates_a_member_erased_after_the_batchs_check(cast, campaign, zhang):
    """The batch asks which ids are erased, then upserts; an erasure committed in between must still hold."""
    from members.imports import _upsert

    api_erase = Member.objects.filter(pk=zhang.pk)
    api_erase.update(name=ERASED_NAME, phone="", consent=False, consent_at=None, erased_at=timezone.now())
    record = ("Z1", "張三", PHONE, "25-34", Decimal("1200.00"), "top", True, dt.date(2026, 12, 1), campaign.pk, None,
              dt.date(2026, 12, 1))  # fmt: skip
    job = create_job(actor=cast.lead, upload=upload(HEADER))
    for boundary in (None, [campaign.pk]):
        assert _upsert(job, [record], timezone.now(), boundary=boundary) == (0, 0)
        zhang.refresh_from_db()
        assert (zhang.name, zhang.phone, zhang.tier, zhang.consent) == (ERASED_NAME, "", "mid_high", False)
        assert TierChange.objects.filter(member=zhang).count() == 1  # no tier change recorded either


def test_withdrawn_consent_stays_withdrawn_when_a_file_says_yes(api, cast, zhang):
    assert api(cast.lead).post(url(zhang, "withdraw-consent")).status_code == 200
    zhang.refresh_from_db()
    assert zhang.consent_withdrawn_at is not None
    job = reimport(cast.lead, f"Z1,張三,{PHONE},1200.00,25-34,yes,,\n")
    assert (job.updated, job.error_count) == (1, 0)
    zhang.refresh_from_db()
    assert (zhang.consent, zhang.consent_at, zhang.annual_fee) == (False, None, Decimal("1200.00"))  # the rest moved
    # The person consents again: an admin restores it, and imports set it as the file says from then on.
    assert api(cast.admin).post(url(zhang, "restore-consent")).status_code == 200
    zhang.refresh_from_db()
    assert zhang.consent and zhang.consent_withdrawn_at is None
    reimport(cast.lead, f"Z1,張三,{PHONE},1200.00,25-34,no,,\n")
    zhang.refresh_from_db()
    assert not zhang.consent
    reimport(cast.lead, f"Z1,張三,{PHONE},1200.00,25-34,yes,,\n")
    zhang.refresh_from_db()
    assert zhang.consent and zhang.consent_at is not None


def test_the_member_page_says_the_consent_was_withdrawn(api, browser_client, cast, zhang):
    api(cast.lead).post(url(zhang, "withdraw-consent"))
    html = browser_client(cast.lead).get(f"/members/{zhang.pk}/").content.decode()
    assert "data-consent-withdrawn" in html and "Imports cannot give it back" in html


def test_a_dry_run_reports_the_erased_row_as_the_import_would(api, cast, zhang):
    api(cast.admin).post(url(zhang, "erase"))
    job = import_run(
        create_job(actor=cast.lead, upload=upload(HEADER + f"Z1,張三,{PHONE},10,,yes,,\n"), dry_run=True).pk
    )
    assert (job.status, job.updated, job.error_count) == ("done", 0, 1)
    assert ImportRowError.objects.get(job=job).message == "erased at the person's request"


def test_after_consent_is_restored_an_import_fills_the_record_in_again(api, cast, zhang):
    admin = api(cast.admin)
    admin.post(url(zhang, "erase"))
    response = admin.post(url(zhang, "restore-consent"))
    assert response.status_code == 200 and response.json()["erased_at"] is None and response.json()["consent"]
    job = reimport(cast.lead, f"Z1,張三,{PHONE},250.00,25-34,yes,,\n")
    assert (job.updated, job.error_count) == (1, 0)
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone, zhang.consent, zhang.erased_at) == ("張三", PHONE, True, None)
    (entry,) = entries("members.consent_restored")
    assert entry.actor_id == cast.admin.pk and entry.object_id == str(zhang.pk)


@pytest.mark.parametrize(("person", "status"), [("lead", 403), ("deputy", 403), ("member", 403), ("viewer", 403),
                                                ("executive", 403), ("finance", 403), ("outsider", 404)])  # fmt: skip
def test_only_an_admin_restores_consent(api, cast, zhang, person, status):
    Member.objects.filter(pk=zhang.pk).update(consent=False, consent_at=None)
    assert api(getattr(cast, person)).post(url(zhang, "restore-consent")).status_code == status
    zhang.refresh_from_db()
    assert zhang.consent is False and not entries("members.consent_restored")


def test_restoring_consent_that_is_given_is_a_conflict(api, cast, zhang):
    assert api(cast.admin).post(url(zhang, "restore-consent")).status_code == 409


# --- Consent withdrawal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("person", "status"), [("lead", 200), ("deputy", 200), ("admin", 200), ("member", 403),
                                                ("viewer", 403), ("executive", 403), ("finance", 403),
                                                ("outsider", 404)])  # fmt: skip
def test_the_teams_lead_deputy_or_an_admin_records_a_withdrawal(api, cast, zhang, person, status):
    response = api(getattr(cast, person)).post(url(zhang, "withdraw-consent"))
    assert response.status_code == status
    zhang.refresh_from_db()
    assert zhang.consent is (status != 200)
    assert len(entries("members.consent_withdrawn")) == (1 if status == 200 else 0)
    if status == 200:
        assert zhang.consent_at is None and zhang.name == "張三"  # the record itself stays


def test_withdrawing_consent_that_was_never_given_is_a_conflict(api, cast, zhang):
    Member.objects.filter(pk=zhang.pk).update(consent=False, consent_at=None)
    assert api(cast.lead).post(url(zhang, "withdraw-consent")).status_code == 409


def csv_rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_withdrawn_member_leaves_the_targeting_exports(api, browser_client, cast, campaign, zhang):
    Member.objects.create(external_id="B1", name="李四", phone="13900000000", annual_fee=Decimal("180.00"),
                          consent=True, source_campaign=campaign)  # fmt: skip
    Member.objects.create(external_id="B2", name="王五", phone="13700000000", annual_fee=Decimal("190.00"),
                          consent=True, source_campaign=campaign)  # fmt: skip
    api(cast.lead).post(url(Member.objects.get(external_id="B2"), "withdraw-consent"))
    api(cast.admin).post(url(zhang, "withdraw-consent"))
    admin = browser_client(cast.admin)
    # The export with names and phones: only members who consent (and its ledger entry counts those).
    assert [r[0] for r in csv_rows(admin.get("/members/export.csv?pii=1"))[1:]] == ["B1"]
    assert entries("members.pii_exported")[0].after["rows"] == 1
    # The near-threshold segment (an upgrade offer): B1 and B2 are near 200; only B1 consents.
    segment = csv_rows(admin.get(f"/members/analytics/near-threshold.csv?campaign={campaign.pk}"))
    assert segment == [["external_id"], ["B1"]]
    # The masked list export (no contact data) still counts everyone.
    assert sorted(r[0] for r in csv_rows(admin.get("/members/export.csv"))[1:]) == ["B1", "B2", "Z1"]


# --- Export of everything held --------------------------------------------------------------------------------


def test_an_admin_exports_everything_held_about_a_member(api, cast, zhang):
    gift = zhang.source_campaign.benefits.create(name="Gift box", tiers=["mid_high"], issued=1)
    Redemption.objects.create(benefit=gift, member=zhang, redeemed_at=timezone.now())
    points = None
    with contextlib.suppress(LookupError):  # the points ledger (SPEC 10.6) is part of the export where it exists
        points = apps.get_model("members", "PointsEntry")
    if points is not None:
        points.objects.create(member=zhang, delta=120, reason="earn", created_at=timezone.now(),
                              expires_at=dt.date(2027, 12, 31))  # fmt: skip
    api(cast.lead).post(url(zhang, "withdraw-consent"))
    response = api(cast.admin).get(url(zhang, "export"))
    assert response.status_code == 200
    data = response.json()
    member = data["member"]
    assert (member["external_id"], member["name"], member["phone"], member["tags"]) == ("Z1", "張三", PHONE,
                                                                                       ["vip", "上海"])  # fmt: skip
    assert member["source_campaign"]["code"] == "WD-2027" and member["consent"] is False
    assert [(c["from"], c["to"], c["cause"]) for c in data["tier_history"]] == [("basic", "mid_high", "import")]
    assert [r["benefit"] for r in data["redemptions"]] == ["Gift box"]
    assert [(c["action"], c["by"], c["consent"]) for c in data["consent_history"]] == [
        ("members.consent_withdrawn", cast.lead.username, False)
    ]
    assert [e["action"] for e in data["audit"]] == ["members.consent_withdrawn", "members.data_exported"]
    if points is not None:
        assert [(p["delta"], p["reason"]) for p in data["points"]] == [(120, "earn")]
    (entry,) = entries("members.data_exported")
    assert (entry.actor_id, entry.object_id) == (cast.admin.pk, str(zhang.pk))
    assert holds(entry, "張三", PHONE) == []


@pytest.mark.parametrize(("person", "status"), [("lead", 403), ("deputy", 403), ("member", 403), ("viewer", 403),
                                                ("executive", 403), ("finance", 403), ("outsider", 404)])  # fmt: skip
def test_only_an_admin_exports_a_members_data(api, browser_client, cast, zhang, person, status):
    assert api(getattr(cast, person)).get(url(zhang, "export")).status_code == status
    assert browser_client(getattr(cast, person)).get(f"/members/{zhang.pk}/export/").status_code == status
    assert not entries("members.data_exported")


def test_the_page_export_is_a_json_download_safe_to_open(browser_client, cast, zhang):
    Member.objects.filter(pk=zhang.pk).update(name="<script>alert(1)</script>")
    response = browser_client(cast.admin).get(f"/members/{zhang.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="member-{zhang.pk}.json"'
    body = response.content.decode()
    assert "<script>" not in body
    assert json.loads(body)["member"]["name"] == "<script>alert(1)</script>"
    assert len(entries("members.data_exported")) == 1


def test_unknown_members_are_404(api, cast):
    for what in ("erase", "withdraw-consent", "restore-consent"):
        assert api(cast.admin).post(f"/api/v1/members/999999/{what}/").status_code == 404
    assert api(cast.admin).get("/api/v1/members/999999/export/").status_code == 404


# --- The pages: a confirmation step for each -------------------------------------------------------------------


def test_erasing_on_the_page_needs_the_box_ticked(browser_client, cast, zhang):
    client = browser_client(cast.admin)
    page = client.get(f"/members/{zhang.pk}/erase/")
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    refused = client.post(f"/members/{zhang.pk}/erase/", {})
    assert refused.status_code == 400
    zhang.refresh_from_db()
    assert zhang.erased_at is None
    done = client.post(f"/members/{zhang.pk}/erase/", {"confirm": "on", "next": "/members/"})
    assert done.status_code == 302 and done["Location"] == "/members/"
    zhang.refresh_from_db()
    assert zhang.erased_at is not None and zhang.name == ERASED_NAME


def test_a_second_erasure_on_the_page_says_so(browser_client, cast, zhang):
    client = browser_client(cast.admin)
    client.post(f"/members/{zhang.pk}/erase/", {"confirm": "on"})
    again = client.post(f"/members/{zhang.pk}/erase/", {"confirm": "on"})
    assert again.status_code == 400 and "already erased" in again.content.decode()


@pytest.mark.parametrize("page", ["erase", "restore-consent"])
@pytest.mark.parametrize(("person", "status"), [("lead", 403), ("member", 403), ("executive", 403), ("outsider", 404)])
def test_the_admin_pages_refuse_everyone_else(browser_client, cast, zhang, page, person, status):
    client = browser_client(getattr(cast, person))
    assert client.get(f"/members/{zhang.pk}/{page}/").status_code == status
    assert client.post(f"/members/{zhang.pk}/{page}/", {"confirm": "on"}).status_code == status
    zhang.refresh_from_db()
    assert (zhang.erased_at, zhang.consent) == (None, True)


@pytest.mark.parametrize(("person", "status"), [("lead", 302), ("deputy", 302), ("admin", 302), ("member", 403),
                                                ("viewer", 403), ("outsider", 404)])  # fmt: skip
def test_the_withdrawal_page(browser_client, cast, zhang, person, status):
    client = browser_client(getattr(cast, person))
    response = client.post(f"/members/{zhang.pk}/withdraw-consent/", {"confirm": "on"})
    assert response.status_code == status
    zhang.refresh_from_db()
    assert zhang.consent is (status != 302)


def test_restoring_consent_on_the_page(browser_client, cast, zhang):
    client = browser_client(cast.admin)
    client.post(f"/members/{zhang.pk}/erase/", {"confirm": "on"})
    assert client.post(f"/members/{zhang.pk}/restore-consent/", {"confirm": "on"}).status_code == 302
    zhang.refresh_from_db()
    assert (zhang.consent, zhang.erased_at) == (True, None)


def _actions(user, member):
    request = RequestFactory().get(f"/members/{member.pk}/")
    request.user = user
    return render_to_string("members/_privacy_actions.html", {"member": member}, request=request)


def test_the_member_page_partial_offers_what_each_person_may_do(cast, zhang):
    admin = _actions(cast.admin, zhang)
    assert all(f'data-privacy="{a}"' in admin for a in ("export", "withdraw", "erase"))
    assert 'data-privacy="restore"' not in admin  # consent is given
    lead = _actions(cast.lead, zhang)
    assert 'data-privacy="withdraw"' in lead and 'data-privacy="erase"' not in lead
    assert 'data-privacy="export"' not in lead
    assert _actions(cast.member, zhang).strip() == "" and _actions(cast.viewer, zhang).strip() == ""
    Member.objects.filter(pk=zhang.pk).update(erased_at=timezone.now(), consent=False)
    zhang.refresh_from_db()
    erased = _actions(cast.admin, zhang)
    assert 'data-privacy="restore"' in erased and 'data-privacy="erase"' not in erased
    assert 'data-privacy="erased"' in erased


def test_the_member_page_carries_the_actions(browser_client, cast, zhang):
    html = browser_client(cast.admin).get(f"/members/{zhang.pk}/").content.decode()
    assert f'href="/members/{zhang.pk}/erase/?next=' in html and 'data-privacy="export"' in html
