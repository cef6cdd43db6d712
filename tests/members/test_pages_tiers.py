"""The tiers page (thresholds, names, benefits, rule-set history; admins add a rule set) and the benefits page
(redemption rate against the 30 % target)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditEntry
from members.models import Benefit, Member, Redemption, TierChange, TierRuleSet
from members.tiers import rule_set_in_effect

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "effective_from": timezone.localdate().isoformat(),
        "mid_high": "300",
        "top": "1,200.00",
        "name_basic": "",
        "name_mid_high": "",
        "name_top": "",
        "note": "Higher thresholds for 2027",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("person", ["lead", "viewer", "outsider", "executive", "finance", "admin"])
def test_everyone_sees_the_thresholds_and_the_history(browser_client, cast, person):
    html = browser_client(getattr(cast, person)).get("/members/tiers/").content.decode()
    for threshold in ("0.00", "200.00", "1000.00"):
        assert f'data-threshold="{threshold}"' in html
    assert f'data-rule-set="{rule_set_in_effect().pk}"' in html and "in effect" in html


def test_only_an_admin_gets_the_rule_set_form(browser_client, cast):
    assert 'action="/members/tiers/new/"' in browser_client(cast.admin).get("/members/tiers/").content.decode()
    assert 'action="/members/tiers/new/"' not in browser_client(cast.lead).get("/members/tiers/").content.decode()


@pytest.mark.parametrize("person", ["lead", "executive", "finance", "viewer"])
def test_others_are_refused_a_new_rule_set(browser_client, cast, person):
    before = TierRuleSet.objects.count()
    assert browser_client(getattr(cast, person)).post("/members/tiers/new/", form_data()).status_code == 403
    assert TierRuleSet.objects.count() == before


def test_an_admin_creates_a_rule_set_that_takes_effect_and_recomputes_tiers(browser_client, cast, campaign):
    member = Member.objects.create(external_id="T1", name="x", annual_fee=Decimal("250.00"), tier="mid_high",
                                   source_campaign=campaign)  # fmt: skip
    old = rule_set_in_effect()
    response = browser_client(cast.admin).post("/members/tiers/new/", form_data(name_top="鑽石會員 Diamond"))
    assert response.status_code == 302 and response["Location"] == "/members/tiers/"
    new = rule_set_in_effect()
    assert new.pk != old.pk and new.note == "Higher thresholds for 2027" and new.created_by == cast.admin
    assert {t.code: (t.min_annual_fee, t.name) for t in new.tiers.all()}["top"] == (
        Decimal("1200.00"),
        "鑽石會員 Diamond",
    )
    member.refresh_from_db()
    assert member.tier == "basic"
    assert TierChange.objects.get(member=member).cause == "rule_change"
    assert AuditEntry.objects.filter(action="members.tier_rules_changed", actor_id=cast.admin.pk).exists()
    html = browser_client(cast.admin).get("/members/tiers/").content.decode()
    assert 'data-threshold="300.00"' in html and f'data-rule-set="{old.pk}"' in html  # history kept


def test_a_future_rule_set_is_scheduled_and_changes_nothing_yet(browser_client, cast, campaign):
    member = Member.objects.create(external_id="T1", name="x", annual_fee=Decimal("250.00"), tier="mid_high")
    later = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    browser_client(cast.admin).post("/members/tiers/new/", form_data(effective_from=later))
    member.refresh_from_db()
    assert member.tier == "mid_high"
    assert "scheduled" in browser_client(cast.admin).get("/members/tiers/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mid_high": "1500", "top": "1000"}, "top", "Thresholds must rise"),
        ({"mid_high": "lots"}, "mid_high", "Enter a number."),
        ({"top": "-5"}, "top", "greater than or equal to 0"),
        ({"effective_from": ""}, "effective_from", "This field is required."),
        # The default rule set starts on 2000-01-01, the first day SPEC 10.1 accepts: earlier is out of bounds.
        ({"effective_from": "1999-01-01"}, "effective_from", "Enter a date between 2000-01-01 and 2100-12-31"),
    ],
)
def test_a_bad_rule_set_is_reported_next_to_its_field_and_nothing_is_saved(browser_client, cast, overrides, field,
                                                                           message):  # fmt: skip
    before = TierRuleSet.objects.count()
    response = browser_client(cast.admin).post("/members/tiers/new/", form_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in html and message in html
    assert TierRuleSet.objects.count() == before


def test_the_rule_set_form_needs_a_post(browser_client, cast):
    assert browser_client(cast.admin).get("/members/tiers/new/").status_code == 405


# --- Benefits ---------------------------------------------------------------------------------------------------


@pytest.fixture
def benefit(campaign):
    gift = Benefit.objects.create(name="花漾禮盒 Gift box", partner_brand="花漾美妝 Huayang", tiers=["mid_high", "top"],
                                  campaign=campaign, issued=10, cost_per_redemption=Decimal("36.00"))  # fmt: skip
    for n in range(2):
        member = Member.objects.create(external_id=f"R{n}", name="x", tier="top", source_campaign=campaign)
        Redemption.objects.create(benefit=gift, member=member, redeemed_at=timezone.now())
    return gift


def test_the_benefits_page_shows_the_redemption_rate_against_the_target(browser_client, cast, benefit):
    html = browser_client(cast.viewer).get("/members/benefits/").content.decode()
    assert f'data-benefit="{benefit.pk}"' in html and "花漾美妝 Huayang" in html
    assert "2 / 10" in html and "20.0 %" in html and "target 30 %" in html
    assert "72.00 so far" in html  # 2 × 36.00


def test_an_outsider_does_not_see_another_teams_benefits(browser_client, cast, benefit):
    html = browser_client(cast.outsider).get("/members/benefits/").content.decode()
    assert f'data-benefit="{benefit.pk}"' not in html and "There are no benefits yet." in html


def test_the_benefits_page_narrows_to_a_campaign(browser_client, cast, campaign, benefit):
    Benefit.objects.create(name="Programme-wide pack", tiers=["basic"], issued=5)
    client = browser_client(cast.executive)
    assert client.get("/members/benefits/").content.decode().count("data-benefit=") == 2
    assert client.get(f"/members/benefits/?campaign={campaign.pk}").content.decode().count("data-benefit=") == 1


@pytest.mark.parametrize("factor", [1, 10])
def test_the_benefits_page_runs_a_constant_number_of_queries(browser_client, cast, campaign,
                                                             django_assert_max_num_queries, factor):  # fmt: skip
    Benefit.objects.bulk_create(Benefit(name=f"B{n}", campaign=campaign, issued=10) for n in range(2 * factor))
    client = browser_client(cast.viewer)
    with django_assert_max_num_queries(13):
        html = client.get("/members/benefits/").content.decode()
    assert html.count("data-benefit=") == 2 * factor
