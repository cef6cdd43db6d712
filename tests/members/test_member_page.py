"""The member page (SPEC 10.6): masked as everywhere, with points, ledger, tier history, source, consent and
redemptions; the points form for the team's lead, deputy or an admin; constant queries as the record grows.
And the member list's consent filter, sort, page numbers and counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import Benefit, Member, PointsEntry, Redemption, TierChange
from members.points import points_record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def zhang(campaign):
    return Member.objects.create(
        external_id="Z1", name="張三", phone="13812345678", annual_fee=Decimal("250.00"), tier="mid_high",
        source_campaign=campaign, source_channel=campaign.channels.get(), joined_at=dt.date(2027, 2, 12),
        consent=True, consent_at=dt.date(2027, 2, 13),
    )  # fmt: skip


@pytest.fixture
def spa(campaign):
    return Benefit.objects.create(name="SPA voucher", tiers=["mid_high"], campaign=campaign, points_price=80)


def page(member):
    return f"/members/{member.pk}/"


def grow(member, lead, n):
    """``n`` ledger entries and ``n`` tier changes."""
    for _ in range(n):
        points_record(actor=lead, member=member, reason="earn", delta=5, today=TODAY)
    now = timezone.now()
    TierChange.objects.bulk_create(
        TierChange(member=member, from_tier="basic", to_tier="mid_high", cause="fee_change",
                   changed_at=now - dt.timedelta(hours=i))
        for i in range(n)
    )  # fmt: skip


# --- Access and masking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "deputy", "member", "viewer", "executive", "finance"])
def test_the_page_is_masked_for_everyone_without_view_pii(browser_client, cast, zhang, person):
    response = browser_client(getattr(cast, person)).get(page(zhang))
    html = response.content.decode()
    assert response.status_code == 200
    assert "張*" in html and "138****5678" in html
    assert "張三" not in html and "13812345678" not in html


def test_the_admin_sees_the_member_unmasked(browser_client, cast, zhang):
    html = browser_client(cast.admin).get(page(zhang)).content.decode()
    assert "張三" in html and "13812345678" in html


def test_an_outsider_gets_404_and_a_visitor_the_login(browser_client, client, cast, zhang):
    assert client.get(page(zhang)).status_code == 302
    assert browser_client(cast.outsider).get(page(zhang)).status_code == 404
    assert (
        browser_client(cast.outsider).post(f"{page(zhang)}points/", {"reason": "earn", "points": 5}).status_code == 404
    )


def test_the_page_shows_points_ledger_tier_history_source_consent_and_redemptions(browser_client, cast, zhang, spa):
    points_record(actor=cast.lead, member=zhang, reason="earn", delta=200, today=TODAY, note="開卡禮")
    points_record(actor=cast.lead, member=zhang, reason="redeem", benefit=spa.pk, today=TODAY)
    TierChange.objects.create(member=zhang, from_tier="basic", to_tier="mid_high", cause="fee_change",
                              changed_at=timezone.now())  # fmt: skip
    html = browser_client(cast.viewer).get(page(zhang)).content.decode()
    assert 'data-figure="points">120<' in html
    assert 'data-delta="200"' in html and 'data-delta="-80"' in html and "開卡禮" in html
    assert html.index('data-delta="-80"') < html.index('data-delta="200"')  # newest first
    assert 'data-cause="fee_change"' in html and "Fee change" in html
    assert "WD-2027" in html and "APP推送 App push" in html
    assert 'data-consent="yes"' in html and "since 13 Feb 2027" in html
    assert f'data-benefit="{spa.pk}"' in html and "SPA voucher" in html
    assert "2028-12-31" in html  # when the earned points lapse


@pytest.mark.parametrize(("person", "form"), [("lead", True), ("deputy", True), ("admin", True), ("member", False),
                                              ("viewer", False), ("executive", False)])  # fmt: skip
def test_only_the_lead_deputy_and_admin_get_the_points_form(browser_client, cast, zhang, person, form):
    html = browser_client(getattr(cast, person)).get(page(zhang)).content.decode()
    assert ('class="points-form"' in html) is form


# --- The points form -------------------------------------------------------------------------------------------


def test_the_lead_adds_points_and_comes_back_to_the_page(browser_client, cast, zhang):
    client = browser_client(cast.lead)
    response = client.post(f"{page(zhang)}points/", {"reason": "earn", "points": "30", "note": "生日"})
    assert response.status_code == 302 and response["Location"] == page(zhang)
    zhang.refresh_from_db()
    assert zhang.points == 30
    assert "+30 points recorded" in client.get(page(zhang)).content.decode()


def test_redeeming_gives_a_positive_number_and_takes_it_away(browser_client, cast, zhang):
    points_record(actor=cast.lead, member=zhang, reason="earn", delta=50, today=TODAY)
    browser_client(cast.deputy).post(f"{page(zhang)}points/", {"reason": "redeem", "points": "20"})
    zhang.refresh_from_db()
    assert zhang.points == 30
    assert PointsEntry.objects.filter(reason="redeem").get().delta == -20


def test_a_spend_beyond_the_balance_comes_back_with_an_error_on_the_points_field(browser_client, cast, zhang):
    points_record(actor=cast.lead, member=zhang, reason="earn", delta=10, today=TODAY)
    response = browser_client(cast.lead).post(f"{page(zhang)}points/", {"reason": "redeem", "points": "11"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_points-error"' in html and "only 10 points" in html
    zhang.refresh_from_db()
    assert zhang.points == 10


def test_a_benefit_is_redeemed_from_the_form(browser_client, cast, zhang, spa):
    points_record(actor=cast.lead, member=zhang, reason="earn", delta=100, today=TODAY)
    client = browser_client(cast.lead)
    assert "SPA voucher (80 points)" in client.get(page(zhang)).content.decode()
    response = client.post(f"{page(zhang)}points/", {"reason": "redeem", "benefit": str(spa.pk)})
    assert response.status_code == 302
    assert Redemption.objects.filter(member=zhang, benefit=spa).exists()
    zhang.refresh_from_db()
    assert zhang.points == 20


@pytest.mark.parametrize("person", ["member", "viewer", "executive"])
def test_a_lesser_teammate_or_reader_may_not_post_points(browser_client, cast, zhang, person):
    response = browser_client(getattr(cast, person)).post(f"{page(zhang)}points/", {"reason": "earn", "points": 5})
    assert response.status_code == 403
    assert not PointsEntry.objects.exists()


def test_the_page_needs_post_for_points(browser_client, cast, zhang):
    assert browser_client(cast.lead).get(f"{page(zhang)}points/").status_code == 405


# --- Queries ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [1, 10])
def test_the_page_runs_a_constant_number_of_queries(browser_client, cast, zhang, spa, django_assert_max_num_queries,
                                                    factor):  # fmt: skip
    grow(zhang, cast.lead, 6 * factor)
    Redemption.objects.create(member=zhang, benefit=spa, redeemed_at=timezone.now())
    client = browser_client(cast.lead)
    with django_assert_max_num_queries(22):
        response = client.get(page(zhang))
    html = response.content.decode()
    assert html.count('data-entry="') == min(6 * factor, 20)
    assert html.count('data-cause="') == min(6 * factor, 50)


# --- The member list: consent, sort, page numbers, counts ------------------------------------------------------


def add_members(campaign, n):
    Member.objects.bulk_create(
        Member(external_id=f"L{i:04d}", name=f"會員{i}", annual_fee=Decimal(i * 10), consent=i % 2 == 0,
               source_campaign=campaign, source_channel=campaign.channels.get())
        for i in range(n)
    )  # fmt: skip


def ids(html):
    return re.findall(r'data-member="([^"]+)"', html)


def test_the_list_filters_by_consent(browser_client, cast, campaign):
    add_members(campaign, 6)
    client = browser_client(cast.viewer)
    assert ids(client.get("/members/?consent=yes&sort=external_id").content.decode()) == ["L0000", "L0002", "L0004"]
    assert ids(client.get("/members/?consent=no&sort=external_id").content.decode()) == ["L0001", "L0003", "L0005"]


def test_the_list_sorts_by_fee_both_ways(browser_client, cast, campaign):
    add_members(campaign, 4)
    client = browser_client(cast.viewer)
    assert ids(client.get("/members/?sort=fee_desc").content.decode()) == ["L0003", "L0002", "L0001", "L0000"]
    assert ids(client.get("/members/?sort=fee_asc").content.decode()) == ["L0000", "L0001", "L0002", "L0003"]


def test_an_unknown_sort_or_consent_changes_nothing(browser_client, cast, campaign):
    add_members(campaign, 3)
    response = browser_client(cast.viewer).get("/members/?sort=points;DROP&consent=maybe")
    assert response.status_code == 200 and len(ids(response.content.decode())) == 3


def test_the_list_links_each_member_to_its_page(browser_client, cast, zhang):
    html = browser_client(cast.viewer).get("/members/").content.decode()
    assert f'href="/members/{zhang.pk}/"' in html


def test_the_list_has_page_numbers_and_counts(browser_client, cast, campaign):
    add_members(campaign, 120)
    html = browser_client(cast.viewer).get("/members/?page=2&consent=").content.decode()
    assert 'aria-current="page"><span class="page-link">2<' in html
    assert 'href="?page=3&amp;consent="' in html or 'href="?page=3&consent="' in html
    assert "51–100 of 120" in html


def test_the_api_filters_members_by_consent(api, cast, campaign):
    add_members(campaign, 6)
    body = api(cast.viewer).get("/api/v1/members/?consent=false").json()
    assert body["count"] == 3 and not any(m["consent"] for m in body["results"])
    assert api(cast.viewer).get("/api/v1/members/?consent=maybe").status_code == 400


@pytest.mark.parametrize("factor", [1, 10])
def test_the_sorted_and_filtered_list_runs_a_constant_number_of_queries(
    browser_client, cast, campaign, django_assert_max_num_queries, factor
):
    add_members(campaign, 12 * factor)
    client = browser_client(cast.viewer)
    with django_assert_max_num_queries(12):
        response = client.get("/members/?consent=yes&sort=fee_desc&page=1")
    assert len(ids(response.content.decode())) == min(6 * factor, 50)
