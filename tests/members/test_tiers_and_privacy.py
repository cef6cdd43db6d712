from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from core.errors import ApplicationError
from core.models import AuditEntry
from members.models import Member, TierChange
from members.permissions import can_view_pii, member_list_for
from members.privacy import mask_name, mask_phone
from members.services import tier_rule_set_create
from members.tiers import recompute_member_tiers, rule_set_in_effect, thresholds_of, tier_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fee", "tier"),
    [
        ("0", "basic"),
        ("199.99", "basic"),
        ("200.00", "mid_high"),
        ("999.99", "mid_high"),
        ("1000.00", "top"),
        ("5000", "top"),
    ],
)
def test_tier_boundaries(fee, tier):
    assert tier_for(Decimal(fee), thresholds_of(rule_set_in_effect())) == tier


def test_recompute_uses_the_same_rule_in_sql(db):
    for i, fee in enumerate(["0", "199.99", "200.00", "999.99", "1000.00"]):
        Member.objects.create(external_id=f"m{i}", name="x", annual_fee=Decimal(fee), tier="top")
    changed = recompute_member_tiers()
    assert changed == 4
    assert list(Member.objects.order_by("external_id").values_list("tier", flat=True)) == [
        "basic",
        "basic",
        "mid_high",
        "mid_high",
        "top",
    ]
    assert recompute_member_tiers() == 0


def test_a_new_rule_set_recomputes_and_records_the_cause(cast):
    a = Member.objects.create(external_id="a", name="x", annual_fee=Decimal("250.00"), tier="mid_high")
    b = Member.objects.create(external_id="b", name="y", annual_fee=Decimal("900.00"), tier="mid_high")
    old = rule_set_in_effect()
    rules = tier_rule_set_create(
        actor=cast.admin, effective_from=dt.date(2026, 1, 1), thresholds={"basic": "0", "mid_high": "300", "top": "800"}
    )
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.tier, b.tier) == ("basic", "top")
    changes = {c.member.external_id: (c.from_tier, c.to_tier, c.cause, c.rule_set_id) for c in TierChange.objects.all()}
    assert changes == {
        "a": ("mid_high", "basic", "rule_change", rules.pk),
        "b": ("mid_high", "top", "rule_change", rules.pk),
    }
    assert rule_set_in_effect() == rules and old.pk != rules.pk  # history kept
    assert AuditEntry.objects.filter(action="members.tier_rules_changed").exists()


def test_a_future_rule_set_waits_for_its_date(cast):
    Member.objects.create(external_id="a", name="x", annual_fee=Decimal("250.00"), tier="mid_high")
    tier_rule_set_create(
        actor=cast.admin, effective_from=dt.date(2099, 1, 1), thresholds={"basic": 0, "mid_high": 300, "top": 800}
    )
    assert Member.objects.get().tier == "mid_high"


@pytest.mark.parametrize(
    "thresholds",
    [
        {"basic": 10, "mid_high": 300, "top": 800},
        {"basic": 0, "mid_high": 900, "top": 800},
        {"basic": 0, "mid_high": "x", "top": 1},
    ],
)
def test_rule_sets_must_make_sense(cast, thresholds):
    with pytest.raises(ApplicationError):
        tier_rule_set_create(actor=cast.admin, effective_from=dt.date(2026, 1, 1), thresholds=thresholds)


@pytest.mark.parametrize(("name", "masked"), [("張三", "張*"), ("歐陽娜娜", "歐***"), ("A", "A"), ("", "")])
def test_name_masking(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("8613812345678", "861******5678"), ("1234567", "1******"), ("", "")],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked


def test_only_holders_of_view_pii_see_unmasked_data(cast):
    assert can_view_pii(cast.admin)
    for person in (cast.lead, cast.viewer, cast.executive, cast.finance):
        assert not can_view_pii(person)
    cast.executive.user_permissions.add(Permission.objects.get(codename="view_pii"))
    exec_again = type(cast.executive).objects.get(pk=cast.executive.pk)
    assert can_view_pii(exec_again)


def test_who_sees_which_members(cast, campaign):
    ours = Member.objects.create(external_id="ours", name="x", source_campaign=campaign)
    Member.objects.create(external_id="unattributed", name="y")
    assert list(member_list_for(cast.viewer)) == [ours]
    assert list(member_list_for(cast.outsider)) == []
    assert member_list_for(cast.executive).count() == 2
    assert member_list_for(cast.finance).count() == 2
