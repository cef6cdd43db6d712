"""Membership analytics on a small hand-made data set: conversion into paid tiers, tier mix, near-threshold
segment, ARPU, upgrades over time, per channel, redemption rate — the selector, the page and its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Channel
from members.models import Benefit, Member, Redemption, TierChange
from members.selectors import benefit_list_for, member_analytics, member_scope

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def data(campaign):
    """Eight members of WD-2027 over two channels and none, and one member of no campaign."""
    push = campaign.channels.get()
    sms = Channel.objects.create(campaign=campaign, type="sms", name="短信 SMS")
    rows = [
        ("A", "0.00", "basic", push, TODAY - dt.timedelta(days=10)),
        ("B", "150.00", "basic", push, TODAY - dt.timedelta(days=40)),
        ("C", "199.99", "basic", sms, TODAY - dt.timedelta(days=40)),
        ("D", "149.99", "basic", sms, dt.date(2026, 6, 1)),
        ("E", "200.00", "mid_high", push, dt.date(2026, 6, 1)),
        ("F", "999.99", "mid_high", sms, dt.date(2026, 3, 8)),
        ("G", "1000.00", "top", push, dt.date(2026, 3, 8)),
        ("H", "2500.00", "top", None, dt.date(2025, 6, 1)),
    ]
    members = {
        ext: Member.objects.create(external_id=ext, name=f"會員{ext}", phone="13800000000", annual_fee=Decimal(fee),
                                   tier=tier, source_campaign=campaign, source_channel=channel, joined_at=joined,
                                   consent=True)  # the near-threshold export holds only members who consent
        for ext, fee, tier, channel, joined in rows
    }  # fmt: skip
    Member.objects.create(external_id="ANON", name="無名", annual_fee=Decimal("5000"), tier="top", joined_at=TODAY)
    changes = [
        ("E", "basic", "mid_high", dt.date(2026, 9, 15)),  # upgrade in September
        ("G", "basic", "mid_high", dt.date(2026, 9, 20)),  # upgrade in September
        ("G", "mid_high", "top", dt.date(2026, 11, 18)),  # upgrade this month (and this week)
        ("F", "top", "mid_high", dt.date(2026, 10, 1)),  # a downgrade: not an upgrade
        ("C", "", "basic", dt.date(2026, 10, 1)),  # no earlier tier: not an upgrade
        ("H", "basic", "top", dt.date(2025, 6, 1)),  # before the twelve months shown
    ]
    TierChange.objects.bulk_create(
        TierChange(member=members[ext], from_tier=old, to_tier=new, cause="fee_change", changed_at=at(day))
        for ext, old, new, day in changes
    )
    gift = Benefit.objects.create(name="Gift box", partner_brand="Huayang", tiers=["mid_high", "top"], campaign=campaign,
                                  issued=10, cost_per_redemption=Decimal("36.00"))  # fmt: skip
    for ext in ("E", "F", "G"):
        Redemption.objects.create(benefit=gift, member=members[ext], redeemed_at=at(TODAY))
    return {"campaign": campaign, "push": push, "sms": sms, "members": members, "gift": gift}


def stats_for(user, **scope):
    return member_analytics(members=member_scope(user=user, **scope), benefits=benefit_list_for(user=user), today=TODAY)


def test_conversion_mix_near_threshold_and_arpu_of_a_campaign(cast, data):
    stats = stats_for(cast.viewer, campaign=data["campaign"].pk)
    assert (stats.members, stats.paid) == (8, 4)
    assert stats.conversion == Decimal("0.5000")
    assert [(t.code, t.count, t.share, t.target) for t in stats.mix] == [
        ("basic", 4, Decimal("0.5000"), Decimal("0.60")),
        ("mid_high", 2, Decimal("0.2500"), Decimal("0.25")),
        ("top", 2, Decimal("0.2500"), Decimal("0.15")),
    ]
    assert stats.near_threshold == 2 and stats.near_range == (Decimal("150.00"), Decimal("199.99"))
    assert stats.arpu == Decimal("650.00")  # 5199.97 / 8 = 649.996…
    assert stats.paying_arpu == Decimal("742.85")  # 5199.97 / 7
    assert stats.new_30_days == 1
    assert [(b.key, b.count) for b in stats.fee_bands] == [("free", 1), ("low", 1), ("near", 2), ("mid", 2), ("top", 2)]


def test_upgrades_over_time_count_only_moves_to_a_higher_tier(cast, data):
    stats = stats_for(cast.viewer)
    assert stats.upgrades_total == 3
    by_month = {p.start: (p.to_mid_high, p.to_top) for p in stats.periods}
    assert len(by_month) == 12 and min(by_month) == dt.date(2025, 12, 1) and max(by_month) == dt.date(2026, 11, 1)
    assert by_month[dt.date(2026, 9, 1)] == (2, 0)
    assert by_month[dt.date(2026, 11, 1)] == (0, 1)
    assert by_month[dt.date(2026, 10, 1)] == (0, 0)
    joined = {p.start: p.joined for p in stats.periods}
    assert joined[dt.date(2026, 6, 1)] == 2 and joined[dt.date(2026, 3, 1)] == 2 and joined[dt.date(2026, 10, 1)] == 2


def test_upgrades_by_week(cast, data):
    stats = member_analytics(members=member_scope(user=cast.viewer), benefits=Benefit.objects.none(), by="week",
                             today=TODAY)  # fmt: skip
    assert len(stats.periods) == 26 and stats.periods[-1].start == dt.date(2026, 11, 16)  # a Monday
    assert (stats.periods[-1].to_top, stats.upgrades_total) == (1, 3)


def test_per_channel_rows(cast, data):
    rows = {(r.campaign_code, r.channel_name): r for r in stats_for(cast.viewer).channels}
    push = rows[("WD-2027", "APP推送 App push")]
    sms = rows[("WD-2027", "短信 SMS")]
    none = rows[("WD-2027", "")]
    assert (push.members, push.paid, push.near, push.conversion) == (4, 2, 1, Decimal("0.5000"))
    assert (sms.members, sms.paid, sms.near, sms.conversion) == (3, 1, 1, Decimal("0.3333"))
    assert (none.members, none.paid) == (1, 1)
    assert sms.arpu == Decimal("449.99")  # (199.99 + 149.99 + 999.99) / 3


def test_a_channel_narrows_everything(cast, data):
    stats = stats_for(cast.viewer, campaign=data["campaign"].pk, channel=data["sms"].pk)
    assert (stats.members, stats.paid, stats.near_threshold) == (3, 1, 1)


def test_figures_count_only_members_the_user_may_see(cast, data):
    assert stats_for(cast.viewer).members == 8
    assert stats_for(cast.executive).members == 9
    outsider = stats_for(cast.outsider)
    assert (outsider.members, outsider.upgrades_total, outsider.benefits.issued) == (0, 0, 0)
    assert stats_for(cast.outsider, campaign=data["campaign"].pk).members == 0


def test_redemption_rate_against_the_target(cast, data):
    Benefit.objects.create(name="Programme data pack", tiers=["basic"], issued=10)
    campaign_stats = stats_for(cast.viewer, campaign=data["campaign"].pk)
    benefits = benefit_list_for(user=cast.viewer).filter(campaign=data["campaign"])
    scoped = member_analytics(members=member_scope(user=cast.viewer), benefits=benefits, today=TODAY)
    assert (scoped.benefits.issued, scoped.benefits.redeemed, scoped.benefits.rate) == (10, 3, Decimal("0.3000"))
    assert campaign_stats.benefits.issued == 20  # the selector is given every visible benefit here
    assert benefit_list_for(user=cast.outsider).count() == 1  # only the programme-wide one


# --- The page ---------------------------------------------------------------------------------------------------


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def test_the_page_shows_the_figures_against_their_targets(browser_client, cast, data):
    response = browser_client(cast.viewer).get(f"/members/analytics/?campaign={data['campaign'].pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert figure(html, "members") == "8"
    assert figure(html, "conversion") == "50.0 %"
    assert figure(html, "near") == "2"
    assert figure(html, "arpu").startswith("650.00")
    assert figure(html, "redemption") == "30.0 %"
    assert "Target 25 % (+25.0 points)" in html
    assert f'href="/members/analytics/near-threshold.csv?campaign={data["campaign"].pk}"' in html
    chart = json.loads(re.search(r'<script id="analytics-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert chart["mix"]["actual"] == [50.0, 25.0, 25.0] and chart["mix"]["target"] == [60.0, 25.0, 15.0]
    assert chart["fees"]["counts"] == [1, 1, 2, 2, 2] and chart["fees"]["near"] == [False, False, True, False, False]
    assert sum(chart["periods"]["to_mid_high"]) == 2 and sum(chart["periods"]["to_top"]) == 1
    assert chart["channels"]["target"] == 25.0
    assert 'src="/static/members/analytics.js"' in html
    assert "<script>" not in html  # no inline script code


@pytest.mark.parametrize("person", ["lead", "member", "viewer", "executive", "finance", "admin"])
def test_everyone_with_a_role_may_open_the_page(browser_client, cast, data, person):
    html = browser_client(getattr(cast, person)).get("/members/analytics/").content.decode()
    assert 'data-figure="members"' in html


def test_an_outsider_sees_an_empty_page_and_no_other_teams_numbers(browser_client, cast, data):
    client = browser_client(cast.outsider)
    html = client.get("/members/analytics/").content.decode()
    assert "There are no members to analyse yet." in html and 'data-figure="members"' not in html
    html = client.get(f"/members/analytics/?campaign={data['campaign'].pk}").content.decode()
    assert 'data-figure="members"' not in html and 'id="id_campaign-error"' in html


def test_the_page_needs_a_login(client):
    assert client.get("/members/analytics/").status_code == 302


def test_the_near_threshold_export_lists_external_ids_only(browser_client, cast, data):
    response = browser_client(cast.lead).get(f"/members/analytics/near-threshold.csv?campaign={data['campaign'].pk}")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [["external_id"], ["B"], ["C"]]
    assert "會員" not in body and "1380" not in body
    outsider = browser_client(cast.outsider).get("/members/analytics/near-threshold.csv")
    assert b"".join(outsider.streaming_content).decode("utf-8-sig").split() == ["external_id"]


@pytest.mark.parametrize("factor", [1, 10])
def test_the_page_runs_a_constant_number_of_queries(browser_client, cast, data, django_assert_max_num_queries,
                                                    factor):  # fmt: skip
    campaign, push = data["campaign"], data["push"]
    Member.objects.bulk_create(
        Member(external_id=f"X{i}", name="x", annual_fee=Decimal(i * 37 % 1500), source_campaign=campaign,
               source_channel=push, joined_at=TODAY - dt.timedelta(days=i))
        for i in range(20 * factor)
    )  # fmt: skip
    client = browser_client(cast.viewer)
    with django_assert_max_num_queries(18):
        html = client.get(f"/members/analytics/?campaign={campaign.pk}&by=week").content.decode()
    assert figure(html, "members") == str(8 + 20 * factor)
