"""The membership part of the demo data (SPEC 2.1): some thousands of synthetic customers of the Women's Day
campaigns, so that the member list, analytics, tiers and benefits show something real on first login.

Everything is drawn from ``random.Random(seed)``: the same seed gives the same members (dates are counted back
from the day the seed runs). Names and phone numbers are generated, never real. Idempotent: members are only
created when no demo member exists yet; benefits are looked up by campaign and name, and a benefit gets its
redemptions only when it is created.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from campaigns.models import Campaign, Channel

from .models import AgeBand, Benefit, Member, Redemption, Tier, TierChange, TierChangeCause, TierCode
from .tiers import rule_set_in_effect, thresholds_of, tier_for

SEED = 20270308
TOTAL = 5000
ID_PREFIX = "WDM-"
DAYS_BACK = 365

# Attribution: share of members per campaign code (the rest have no campaign).
CAMPAIGN_SHARES = [("WD-2027", 0.55), ("WD-2026", 0.40), ("CE-2027Q1", 0.03)]
# Channel weight by channel type, and how much more (or less) often members from it pay for a higher tier.
CHANNEL_WEIGHTS = {
    "app_push": 30,
    "sms": 20,
    "offline_store": 18,
    "social": 12,
    "partner": 7,
    "content": 6,
    "ecommerce": 8,
    "live": 8,
    "search": 5,
}
PAID_PROPENSITY = {
    "app_push": 1.0,
    "sms": 0.65,
    "offline_store": 1.35,
    "social": 0.85,
    "partner": 1.5,
    "content": 0.8,
    "ecommerce": 1.1,
    "live": 1.0,
    "search": 0.9,
}
# The overall mix the demo aims at (the programme's target is 60/25/15; the demo sits a little short of it).
MIX = {TierCode.BASIC: 0.65, TierCode.MID_HIGH: 0.23, TierCode.TOP: 0.12}
AGE_BANDS = [(AgeBand.AGE_18_24, 30), (AgeBand.AGE_25_34, 42), (AgeBand.AGE_35_PLUS, 28)]
CONSENT_RATE = 0.8

SMALL_PLANS = ["9.90", "19.90", "29.00", "39.00", "49.00", "59.00", "69.00", "99.00", "129.00"]
NEAR_PLANS = ["158.00", "168.00", "168.80", "178.00", "188.00", "188.80", "198.00", "199.00"]
MID_PLANS = [("200.00", 9), ("228.00", 6), ("258.00", 7), ("268.00", 6), ("298.00", 8), ("328.00", 4), ("368.00", 4),
             ("398.00", 5), ("458.00", 3), ("498.00", 4), ("588.00", 3), ("688.00", 2), ("798.00", 2), ("888.00", 2),
             ("998.00", 2)]  # fmt: skip
TOP_PLANS = [("1000.00", 6), ("1088.00", 5), ("1288.00", 5), ("1588.00", 3), ("1888.00", 3), ("2588.00", 2),
             ("2888.00", 2), ("3888.00", 1), ("5888.00", 1)]  # fmt: skip

SURNAMES = list(
    "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何林高羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董袁潘蔣蔡余杜葉程蘇魏呂丁任沈姚盧姜崔鍾譚陸汪范金石廖賈夏韋方白鄒孟熊秦邱江尹薛段雷侯龍史陶黎賀顧毛郝龔邵萬錢嚴武戴莫孔向湯"
)
COMPOUND_SURNAMES = ["歐陽", "司馬", "上官", "諸葛", "慕容"]
GIVEN = list("娜婷靜敏麗芳燕雪琳欣怡佳雅萱悅晨曉夢嘉穎璐潔瑤倩蕾瑩雯慧蓉菲薇丹玲紅霞艷秀蘭英華梅月桂詩涵思彤")
PHONE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152",
                  "153", "155", "156", "157", "158", "159", "166", "173", "177", "178", "180", "181", "182", "183",
                  "185", "186", "187", "188", "189", "198", "199"]  # fmt: skip
TAGS = ["5G", "family_plan", "app_active", "broadband", "student"]

# What each tier's members get all year (shown on the tiers page); filled in only where nothing is written yet.
TIER_BENEFITS = {
    TierCode.BASIC: "每月 1GB 會員流量、生日祝福短信、積分兌換。1 GB of member data a month, a birthday message, points.",
    TierCode.MID_HIGH: "每月 10GB 流量、視頻會員月卡、專屬客服通道。10 GB a month, a video-streaming pass, a priority "
    "service line.",
    TierCode.TOP: "每月 30GB 流量、機場貴賓廳 4 次/年、美妝聯名禮盒、一對一客戶經理。30 GB a month, 4 airport lounge "
    "visits a year, co-branded beauty gifts, a personal account manager.",
}

# name, partner brand, tiers, cost per redemption, campaign code, target redemption rate
BENEFITS = [
    ("花漾美妝聯名禮盒 Huayang Beauty co-branded gift box", "花漾美妝 Huayang Beauty", [TierCode.MID_HIGH, TierCode.TOP],
     "36.00", "WD-2027", 0.31),
    ("玉顏護膚體驗裝 Yuyan Skincare trial kit", "玉顏 Yuyan Skincare", [TierCode.BASIC, TierCode.MID_HIGH, TierCode.TOP],
     "18.50", "WD-2027", 0.27),
    ("蘭芝雅香氛禮券 Lanzhiya fragrance voucher", "蘭芝雅 Lanzhiya", [TierCode.TOP], "58.00", "WD-2027", 0.34),
    ("女神節專屬流量包 10GB Women's Day data pack", "", [TierCode.BASIC, TierCode.MID_HIGH, TierCode.TOP], "5.00",
     "WD-2027", 0.29),
    ("頭部會員 5G 加速包 5G speed boost for top members", "", [TierCode.TOP], "8.00", "WD-2027", 0.33),
    ("2026 女神節流量包 Women's Day 2026 data pack", "", [TierCode.BASIC, TierCode.MID_HIGH, TierCode.TOP], "5.00",
     "WD-2026", 0.26),
]  # fmt: skip


def _weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(2 if rng.random() < 0.72 else 1))
    return surname + given


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _tier_drawn(rng: random.Random, propensity: float) -> str:
    """A tier drawn from MIX with the paid tiers made more (or less) likely by the channel's propensity."""
    mid, top = MIX[TierCode.MID_HIGH] * propensity, MIX[TierCode.TOP] * propensity
    return _weighted(rng, [(TierCode.BASIC, max(0.0, 1 - mid - top)), (TierCode.MID_HIGH, mid), (TierCode.TOP, top)])


def _fee(rng: random.Random, tier: str) -> Decimal:
    """A realistic annual fee: many free basics, small plans, a cluster just under 200, plan prices above."""
    if tier == TierCode.BASIC:
        kind = _weighted(rng, [("free", 58), ("small", 25), ("near", 17)])
        if kind == "free":
            return Decimal("0.00")
        if kind == "small":
            return Decimal(rng.choice(SMALL_PLANS))
        if rng.random() < 0.7:
            return Decimal(rng.choice(NEAR_PLANS))
        return Decimal(rng.randrange(15000, 20000)) / 100
    plans = MID_PLANS if tier == TierCode.MID_HIGH else TOP_PLANS
    if rng.random() < 0.75:
        return Decimal(_weighted(rng, plans))
    low, high = (20000, 99999) if tier == TierCode.MID_HIGH else (100000, 600000)
    return Decimal(rng.randrange(low, high + 1)) / 100


def _joined(rng: random.Random, campaign: Campaign | None, today: dt.date) -> dt.date:
    """Members of a past campaign mostly joined during it, then a trickle; of a coming campaign, in its
    pre-registration over the last four months (more of them lately); anyone else over the whole year."""
    earliest = today - dt.timedelta(days=DAYS_BACK)
    if campaign is not None and campaign.start_date > today:
        return today - dt.timedelta(days=int(120 * rng.random() ** 1.6))
    if campaign is not None:
        start, end = max(campaign.start_date, earliest), min(campaign.end_date, today)
        if start <= end:
            if rng.random() < 0.7:
                return start + dt.timedelta(days=rng.randrange((end - start).days + 1))
            return end + dt.timedelta(days=int((today - end).days * rng.random() ** 2))
    return earliest + dt.timedelta(days=rng.randrange(DAYS_BACK + 1))


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randrange(8, 23), rng.randrange(60))))


def _channel_pairs(channels: list[Channel]) -> list[tuple[Channel, float]]:
    counts = Counter(c.type for c in channels)
    return [(c, CHANNEL_WEIGHTS.get(c.type, 5) / counts[c.type]) for c in channels]


@transaction.atomic
def seed_members(users: dict[str, Any] | None = None, *, total: int = TOTAL, seed: int = SEED,
                 today: dt.date | None = None) -> dict[str, Any]:  # fmt: skip
    """Create the demo members, their upgrades and the campaigns' benefits with redemptions (see the module
    docstring); returns figures for the seed command to print."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = today or timezone.localdate()
    campaigns = {c.code: c for c in Campaign.objects.filter(code__in=[code for code, _share in CAMPAIGN_SHARES])}
    created = 0
    if not Member.objects.filter(external_id__startswith=ID_PREFIX).exists():
        created = _seed_people(rng, campaigns, total=total, today=today)
    _describe_tiers(today)
    benefits_created = _seed_benefits(random.Random(seed + 1), campaigns, today=today)  # noqa: S311
    return _summary(created=created, benefits_created=benefits_created)


def _describe_tiers(today: dt.date) -> None:
    tiers = list(rule_set_in_effect(today).tiers.filter(benefits=""))
    for tier in tiers:
        tier.benefits = TIER_BENEFITS.get(tier.code, "")
    Tier.objects.bulk_update(tiers, ["benefits"])


def _seed_people(rng: random.Random, campaigns: dict[str, Campaign], *, total: int, today: dt.date) -> int:
    thresholds = thresholds_of(rule_set_in_effect(today))
    channels: dict[int, list[Channel]] = {}
    for channel in Channel.objects.filter(campaign__in=list(campaigns.values())).order_by("campaign_id", "pk"):
        channels.setdefault(channel.campaign_id, []).append(channel)
    channel_pairs = {cid: _channel_pairs(chs) for cid, chs in channels.items()}
    shares = [(campaigns.get(code), share) for code, share in CAMPAIGN_SHARES if code in campaigns]
    shares.append((None, max(0.0, 1 - sum(share for _c, share in shares))))

    members = []
    for number in range(1, total + 1):
        campaign = _weighted(rng, shares)
        channel = _weighted(rng, channel_pairs[campaign.pk]) if campaign and channel_pairs.get(campaign.pk) else None
        propensity = PAID_PROPENSITY.get(channel.type, 1.0) if channel else 1.0
        fee = _fee(rng, _tier_drawn(rng, propensity))
        band = _weighted(rng, AGE_BANDS)
        joined = _joined(rng, campaign, today)
        consent = rng.random() < CONSENT_RATE
        tags = [tag for tag in TAGS if rng.random() < (0.5 if tag == "student" and band == AgeBand.AGE_18_24 else 0.12)]
        members.append(
            Member(
                external_id=f"{ID_PREFIX}{number:06d}",
                name=_name(rng),
                phone=_phone(rng),
                age_band=band,
                tags=tags,
                joined_at=joined,
                annual_fee=fee,
                tier=tier_for(fee, thresholds),
                consent=consent,
                consent_at=joined if consent else None,
                source_campaign=campaign,
                source_channel=channel,
            )
        )
    Member.objects.bulk_create(members, batch_size=1000)
    ids = dict(Member.objects.filter(external_id__startswith=ID_PREFIX).values_list("external_id", "pk"))
    _seed_tier_changes(rng, members, ids, today=today)
    return len(members)


def _seed_tier_changes(rng: random.Random, members: list[Member], ids: dict[str, int], *, today: dt.date) -> None:
    """Upgrades over time (fee changes after joining) for a share of the paying members, and a few downgrades
    of members whose paid plan lapsed, so "upgrades over time" has a curve and only counts upward moves."""
    rule_set = rule_set_in_effect(today)
    changes = []
    for member in members:
        room = (today - member.joined_at).days
        if room < 14:
            continue
        if member.tier == TierCode.MID_HIGH and rng.random() < 0.35:
            path = [(TierCode.BASIC, TierCode.MID_HIGH)]
        elif member.tier == TierCode.TOP and rng.random() < 0.45:
            path = [(TierCode.MID_HIGH, TierCode.TOP)] if rng.random() < 0.7 else [(TierCode.BASIC, TierCode.TOP)]
            if path[0][0] == TierCode.MID_HIGH and rng.random() < 0.3:
                path.insert(0, (TierCode.BASIC, TierCode.MID_HIGH))
        elif member.tier == TierCode.BASIC and rng.random() < 0.02:
            path = [(TierCode.MID_HIGH, TierCode.BASIC)]
        else:
            continue
        day = member.joined_at
        for from_tier, to_tier in path:
            day = day + dt.timedelta(days=rng.randrange(7, max(8, (today - day).days // 2 + 8)))
            day = min(day, today)
            changes.append(
                TierChange(member_id=ids[member.external_id], from_tier=from_tier, to_tier=to_tier,
                           cause=TierChangeCause.FEE_CHANGE, changed_at=_moment(rng, day), rule_set=rule_set)
            )  # fmt: skip
    TierChange.objects.bulk_create(changes, batch_size=1000)


def _seed_benefits(rng: random.Random, campaigns: dict[str, Campaign], *, today: dt.date) -> int:
    created = 0
    for name, brand, tiers, cost, code, rate in BENEFITS:
        campaign = campaigns.get(code)
        if campaign is None or Benefit.objects.filter(campaign=campaign, name=name).exists():
            continue
        eligible = list(
            Member.objects.filter(source_campaign=campaign, tier__in=tiers)
            .order_by("pk")
            .values_list("pk", "joined_at")
        )
        benefit = Benefit.objects.create(name=name, partner_brand=brand, tiers=list(tiers), cost_per_redemption=Decimal(cost),
                                         campaign=campaign, issued=len(eligible))  # fmt: skip
        created += 1
        redeemers = rng.sample(eligible, k=round(len(eligible) * rng.uniform(rate - 0.01, rate + 0.01)))
        Redemption.objects.bulk_create(
            (
                Redemption(benefit=benefit, member_id=pk,
                           redeemed_at=_moment(rng, joined + dt.timedelta(days=rng.randrange(max(1, (today - joined).days + 1)))))
                for pk, joined in redeemers
            ),
            batch_size=1000,
        )  # fmt: skip
    return created


def _summary(*, created: int, benefits_created: int) -> dict[str, Any]:
    demo = Member.objects.filter(external_id__startswith=ID_PREFIX)
    tiers = Counter(dict(demo.order_by().values_list("tier").annotate(n=Count("pk")).values_list("tier", "n")))
    total = sum(tiers.values())
    near = demo.filter(annual_fee__gte=Decimal("150.00"), annual_fee__lte=Decimal("199.99")).count()
    paid = tiers[TierCode.MID_HIGH] + tiers[TierCode.TOP]
    benefits = Benefit.objects.filter(campaign__code__in=[code for *_rest, code, _rate in BENEFITS])
    issued = sum(benefits.values_list("issued", flat=True))
    redeemed = Redemption.objects.filter(benefit__in=benefits).count()
    return {
        "created": created,
        "members": total,
        "tiers": {code: tiers[code] for code in TierCode.values},
        "near_threshold": near,
        "conversion": round(paid / total, 4) if total else None,
        "upgrades": TierChange.objects.filter(member__in=demo, cause=TierChangeCause.FEE_CHANGE)
        .exclude(to_tier=TierCode.BASIC)
        .count(),
        "benefits_created": benefits_created,
        "benefits": benefits.count(),
        "redemption_rate": round(redeemed / issued, 4) if issued else None,
    }
