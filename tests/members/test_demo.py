"""Demo members (SPEC 2.1): some thousands across the tiers and the Women's Day channels, realistic spreads,
deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, F

from campaigns.demo import seed_campaigns
from members.demo import ID_PREFIX, seed_members
from members.models import Benefit, Member, Redemption, TierChange
from members.tiers import rule_set_in_effect, thresholds_of, tier_for
from teams.demo import seed_organisation

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC)


@pytest.fixture
def seeded():
    with time_machine.travel(DAY, tick=False):
        users = seed_organisation()
        seed_campaigns(users)
        summary = seed_members(users)
    return users, summary


def test_the_demo_has_five_thousand_members_with_the_intended_tier_mix(seeded):
    _users, summary = seeded
    members = Member.objects.filter(external_id__startswith=ID_PREFIX)
    assert members.count() == 5000 == summary["members"]
    tiers = Counter(dict(members.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n")))
    assert 0.61 <= tiers["basic"] / 5000 <= 0.69
    assert 0.19 <= tiers["mid_high"] / 5000 <= 0.27
    assert 0.09 <= tiers["top"] / 5000 <= 0.15
    assert summary["tiers"] == {code: tiers[code] for code in ("basic", "mid_high", "top")}
    thresholds = thresholds_of(rule_set_in_effect())
    assert all(tier_for(fee, thresholds) == tier for fee, tier in members.values_list("annual_fee", "tier"))


def test_fees_are_realistic_many_free_a_cluster_below_the_threshold_and_plans_above(seeded):
    fees = list(Member.objects.filter(external_id__startswith=ID_PREFIX).values_list("annual_fee", flat=True))
    free = sum(1 for f in fees if f == 0)
    near = sum(1 for f in fees if Decimal("150.00") <= f <= Decimal("199.99"))
    just_above = sum(1 for f in fees if Decimal("100.00") <= f < Decimal("150.00"))
    assert 0.30 <= free / len(fees) <= 0.45
    assert 0.08 <= near / len(fees) <= 0.15 and near > 2 * just_above  # a cluster, not a smear
    assert seeded[1]["near_threshold"] == near
    assert max(fees) >= Decimal("3000") and all(f >= 0 for f in fees)


def test_members_spread_over_ages_consent_channels_and_the_last_year(seeded):
    members = Member.objects.filter(external_id__startswith=ID_PREFIX)
    bands = Counter(members.values_list("age_band", flat=True))
    assert set(bands) == {"18-24", "25-34", "35+"} and all(n > 1000 for n in bands.values())
    assert 0.76 <= members.filter(consent=True).count() / 5000 <= 0.84
    assert not members.filter(consent=True, consent_at__isnull=True).exists()
    by_campaign = Counter(members.values_list("source_campaign__code", flat=True))
    assert by_campaign["WD-2027"] > 2400 and by_campaign["WD-2026"] > 1700
    wd_2027_channels = set(
        members.filter(source_campaign__code="WD-2027").values_list("source_channel__type", flat=True)
    )
    assert {"app_push", "sms", "offline_store", "partner", "social", "content"} <= wd_2027_channels
    assert (
        not members.filter(source_channel__isnull=False).exclude(source_channel__campaign=F("source_campaign")).exists()
    )
    joined = list(members.values_list("joined_at", flat=True))
    assert min(joined) >= dt.date(2025, 11, 23) and max(joined) <= dt.date(2026, 11, 23)
    months = {(d.year, d.month) for d in joined}
    assert len(months) >= 10
    names = list(members.values_list("name", flat=True)[:200])
    phones = list(members.values_list("phone", flat=True)[:200])
    assert all(2 <= len(n) <= 4 for n in names) and len(set(names)) > 150
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)


def test_upgrades_happen_over_time_after_joining(seeded):
    changes = TierChange.objects.filter(member__external_id__startswith=ID_PREFIX).select_related("member")
    upgrades = [c for c in changes if c.to_tier != "basic"]
    assert len(upgrades) > 300 and all(c.cause == "fee_change" for c in changes)
    assert all(c.changed_at.date() >= c.member.joined_at for c in changes)
    months = Counter((c.changed_at.year, c.changed_at.month) for c in upgrades)
    assert len(months) >= 8


def test_benefits_of_wd_2027_are_redeemed_around_the_target(seeded):
    benefits = Benefit.objects.filter(campaign__code="WD-2027")
    assert benefits.count() >= 4
    assert sum(1 for b in benefits if b.partner_brand) == 3
    for benefit in benefits:
        redeemed = Redemption.objects.filter(benefit=benefit).count()
        assert 0.24 <= redeemed / benefit.issued <= 0.36, benefit.name
        tiers = set(Redemption.objects.filter(benefit=benefit).values_list("member__tier", flat=True))
        assert tiers <= set(benefit.tiers)
    assert 0.25 <= seeded[1]["redemption_rate"] <= 0.35


def test_seeding_again_changes_nothing(seeded):
    users, _summary = seeded
    counts = (Member.objects.count(), TierChange.objects.count(), Benefit.objects.count(), Redemption.objects.count())
    with time_machine.travel(DAY + dt.timedelta(days=3), tick=False):
        summary = seed_members(users)
    assert summary["created"] == 0 and summary["benefits_created"] == 0
    assert counts == (Member.objects.count(), TierChange.objects.count(), Benefit.objects.count(),
                      Redemption.objects.count())  # fmt: skip


def test_the_same_seed_draws_the_same_members(seeded):
    first = list(Member.objects.filter(external_id__startswith=ID_PREFIX).order_by("external_id")
                 .values_list("external_id", "name", "phone", "annual_fee", "joined_at")[:50])  # fmt: skip
    Member.objects.all().delete()
    Benefit.objects.all().delete()
    with time_machine.travel(DAY, tick=False):
        seed_members(seeded[0])
    again = list(Member.objects.filter(external_id__startswith=ID_PREFIX).order_by("external_id")
                 .values_list("external_id", "name", "phone", "annual_fee", "joined_at")[:50])  # fmt: skip
    assert first == again


def test_seed_demo_reports_the_members(capsys):
    with time_machine.travel(DAY, tick=False):
        call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Members: 5000 (5000 created)" in out and "near threshold" in out
