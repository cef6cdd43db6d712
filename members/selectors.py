"""Read-side selectors of the member pages and API: which campaigns, channels, benefits and import jobs a user
may pick or see, and the membership analytics (SPEC 6) per campaign and channel.

Every figure is a set-based aggregate over the members the user may see (``privacy.member_list_for``): a
handful of ``GROUP BY`` queries whatever the number of members, never one query per member. Nothing here
counts rows the user could not list, so no total leaks another team's members.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from campaigns.models import Campaign, Channel
from campaigns.permissions import campaign_policy
from core.permissions import principal_for

from .models import (
    CONVERSION_TARGET,
    REDEMPTION_TARGET,
    TARGET_MIX,
    Benefit,
    ImportJob,
    Member,
    PointsEntry,
    PointsReason,
    Redemption,
    TierChange,
    TierCode,
)
from .permissions import member_list_for
from .tiers import current_tiers

# The near-threshold segment: members paying up to this much less than the mid-high threshold (150.00–199.99
# under the default 200.00), the candidates for an upgrade offer.
NEAR_THRESHOLD_WINDOW = Decimal("50.00")
CENT = Decimal("0.01")
PAID_TIERS = (TierCode.MID_HIGH, TierCode.TOP)
MONTHS_SHOWN = 12
WEEKS_SHOWN = 26


def _rank_of(field_name: str) -> Case:
    return Case(
        *(When(**{field_name: code}, then=Value(rank)) for rank, code in enumerate(TierCode.values, start=1)),
        default=Value(0),
        output_field=IntegerField(),
    )


# --- What a user may pick and see ------------------------------------------------------------------------------


def member_campaigns(*, user: Any) -> QuerySet[Campaign]:
    """Campaigns offered as filters: those the user can see, and those that brought in members the user can see."""
    visible = campaign_policy.visible(user, Campaign.objects.all()).values("pk")
    with_members = Exists(member_list_for(user).filter(source_campaign_id=OuterRef("pk")).order_by())
    return Campaign.objects.filter(Q(pk__in=visible) | with_members).order_by("-start_date", "code")


def member_channels(*, campaign_ids: list[int]) -> QuerySet[Channel]:
    """The channels of the given campaigns (ids the caller already read: the campaign filter is not worked out
    again), for the filter forms: each with its campaign's code only."""
    return (
        Channel.objects.filter(campaign_id__in=campaign_ids)
        .select_related("campaign")
        .only("id", "name", "campaign_id", "campaign__id", "campaign__code")
        .order_by("-campaign__start_date", "campaign__code", "name")
    )


def benefit_list_for(*, user: Any) -> QuerySet[Benefit]:
    """Benefits of the campaigns the user may pick, plus programme-wide ones (no campaign) for anyone with a role."""
    principal = principal_for(user)
    condition = Q(campaign__in=member_campaigns(user=user).values("pk"))
    if principal.user_id is not None and (principal.roles or principal.team_roles):
        condition |= Q(campaign__isnull=True)
    return Benefit.objects.filter(condition)


def import_job_list_for(*, user: Any) -> QuerySet[ImportJob]:
    """The user's own imports; an admin sees everybody's. Anyone else's job is simply not found."""
    principal = principal_for(user)
    if principal.user_id is None:
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("uploaded_by")
    return jobs if principal.is_admin else jobs.filter(uploaded_by_id=principal.user_id)


def member_scope(*, user: Any, campaign: int | None = None, channel: int | None = None) -> QuerySet[Member]:
    """Members the user may see, narrowed to a campaign and/or channel that brought them in."""
    members = member_list_for(user)
    if campaign is not None:
        members = members.filter(source_campaign_id=campaign)
    if channel is not None:
        members = members.filter(source_channel_id=channel)
    return members


# --- Analytics -------------------------------------------------------------------------------------------------


def _share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def near_threshold_range() -> tuple[Decimal, Decimal]:
    """(lowest, highest) fee of the near-threshold segment under the rule set in effect: 150.00–199.99 by default."""
    mid_high = next(t.min_annual_fee for t in current_tiers() if t.code == TierCode.MID_HIGH)
    return max(mid_high - NEAR_THRESHOLD_WINDOW, Decimal("0.00")), mid_high - CENT


def near_threshold_members(
    members: QuerySet[Member], fee_range: tuple[Decimal, Decimal] | None = None
) -> QuerySet[Member]:
    """Members whose fee is just below the mid-high threshold: candidates for an upgrade offer."""
    low, high = fee_range or near_threshold_range()
    return members.filter(annual_fee__gte=low, annual_fee__lte=high)


@dataclass
class TierShare:
    code: str
    name: str
    count: int
    share: Decimal | None
    target: Decimal

    @property
    def gap(self) -> Decimal | None:
        return None if self.share is None else self.share - self.target


@dataclass
class FeeBand:
    key: str
    low: Decimal
    high: Decimal | None
    count: int
    near: bool = False


@dataclass
class ChannelRow:
    campaign_code: str
    channel_id: int | None
    channel_name: str
    members: int
    paid: int
    near: int
    arpu: Decimal | None

    @property
    def conversion(self) -> Decimal | None:
        return _share(self.paid, self.members)


@dataclass
class Period:
    start: dt.date
    joined: int = 0
    to_mid_high: int = 0
    to_top: int = 0

    @property
    def upgrades(self) -> int:
        return self.to_mid_high + self.to_top


@dataclass
class BenefitSummary:
    benefits: int
    issued: int
    redeemed: int
    target: Decimal = REDEMPTION_TARGET

    @property
    def rate(self) -> Decimal | None:
        return _share(self.redeemed, self.issued)


@dataclass
class PointsTotals:
    """Points in a set of members (SPEC 10.6): earned, redeemed and expired (as positive numbers), the net of
    adjustments, and the outstanding liability (the sum of the balances). issued − redeemed − expired +
    adjusted = outstanding."""

    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    adjusted: int = 0
    outstanding: int = 0

    @property
    def redemption_rate(self) -> Decimal | None:
        return _share(self.redeemed, self.issued)


@dataclass
class MemberAnalytics:
    members: int
    new_30_days: int
    paid: int
    arpu: Decimal | None
    paying_arpu: Decimal | None
    near_threshold: int
    near_range: tuple[Decimal, Decimal]
    mix: list[TierShare]
    fee_bands: list[FeeBand]
    channels: list[ChannelRow]
    periods: list[Period]
    by: str
    benefits: BenefitSummary
    conversion_target: Decimal = CONVERSION_TARGET
    upgrades_total: int = field(default=0)
    points: PointsTotals = field(default_factory=PointsTotals)

    @property
    def conversion(self) -> Decimal | None:
        return _share(self.paid, self.members)


def _period_starts(by: str, today: dt.date) -> list[dt.date]:
    if by == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return [monday - dt.timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    starts, year, month = [], today.year, today.month
    for _n in range(MONTHS_SHOWN):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def member_analytics(
    *, members: QuerySet[Member], benefits: QuerySet[Benefit], by: str = "month", today: dt.date | None = None
) -> MemberAnalytics:
    """Conversion into paid tiers, tier mix against the target, near-threshold segment, ARPU, new members and
    upgrades over time, per channel, and the benefits' redemption rate — for the given (visible) members."""
    today = today or timezone.localdate()
    tiers = current_tiers()
    thresholds = {t.code: t.min_annual_fee for t in tiers}
    names = {t.code: t.name for t in tiers}
    mid_high, top = thresholds[TierCode.MID_HIGH], thresholds[TierCode.TOP]
    near_low, near_high = max(mid_high - NEAR_THRESHOLD_WINDOW, Decimal("0.00")), mid_high - CENT
    members = members.order_by()
    paid_q = Q(tier__in=PAID_TIERS)
    near_q = Q(annual_fee__gte=near_low, annual_fee__lte=near_high)
    band_defs = [
        ("free", Decimal("0.00"), Decimal("0.00"), Q(annual_fee=0), False),
        ("low", CENT, near_low - CENT, Q(annual_fee__gt=0, annual_fee__lt=near_low), False),
        ("near", near_low, near_high, near_q, True),
        ("mid", mid_high, top - CENT, Q(annual_fee__gte=mid_high, annual_fee__lt=top), False),
        ("top", top, None, Q(annual_fee__gte=top), False),
    ]
    totals = members.aggregate(
        total=Count("pk"),
        paid=Count("pk", filter=paid_q),
        near=Count("pk", filter=near_q),
        arpu=Avg("annual_fee"),
        paying_arpu=Avg("annual_fee", filter=Q(annual_fee__gt=0)),
        new_30=Count("pk", filter=Q(joined_at__gt=today - dt.timedelta(days=30))),
        **{f"tier_{code}": Count("pk", filter=Q(tier=code)) for code in TierCode.values},
        **{f"band_{key}": Count("pk", filter=q) for key, _low, _high, q, _near in band_defs},
    )
    total = totals["total"]
    mix = [
        TierShare(code, names.get(code, str(TierCode(code).label)), totals[f"tier_{code}"],
                  _share(totals[f"tier_{code}"], total), TARGET_MIX[code])
        for code in TierCode.values
    ]  # fmt: skip
    # Without room below the segment (a mid-high threshold of 50 or less) the "low" band has no fees at all.
    fee_bands = [
        FeeBand(key, low, high, totals[f"band_{key}"], near)
        for key, low, high, _q, near in band_defs
        if high is None or low <= high
    ]

    channel_rows = (
        members.values("source_campaign__code", "source_channel_id", "source_channel__name")
        .annotate(n=Count("pk"), paid=Count("pk", filter=paid_q), near=Count("pk", filter=near_q),
                  arpu=Avg("annual_fee"))
        .order_by("-n", "source_campaign__code", "source_channel__name")
    )  # fmt: skip
    channels = [
        ChannelRow(row["source_campaign__code"] or "", row["source_channel_id"], row["source_channel__name"] or "",
                   row["n"], row["paid"], row["near"], _money(row["arpu"]))
        for row in channel_rows
    ]  # fmt: skip

    starts = _period_starts(by, today)
    periods = {start: Period(start) for start in starts}
    trunc_date = TruncWeek if by == "week" else TruncMonth
    joined = (
        members.filter(joined_at__gte=starts[0], joined_at__lte=today)
        .annotate(period=trunc_date("joined_at"))
        .values("period")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in joined:
        period = periods.get(_as_date(row["period"]))
        if period is not None:
            period.joined = row["n"]
    first_moment = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min))
    upgrades = (
        TierChange.objects.filter(member__in=members.values("pk"), changed_at__gte=first_moment)
        .annotate(from_rank=_rank_of("from_tier"), to_rank=_rank_of("to_tier"))
        .filter(from_rank__gte=1, to_rank__gt=F("from_rank"))
        .annotate(period=trunc_date("changed_at"))
        .values("period", "to_tier")
        .annotate(n=Count("pk"))
        .order_by()
    )
    upgrades_total = 0
    for row in upgrades:
        period = periods.get(_as_date(row["period"]))
        if period is None:
            continue
        if row["to_tier"] == TierCode.TOP:
            period.to_top += row["n"]
        else:
            period.to_mid_high += row["n"]
        upgrades_total += row["n"]

    benefit_totals = benefits.order_by().aggregate(n=Count("pk", distinct=True), issued=Sum("issued", distinct=False))
    redeemed = benefits.order_by().aggregate(r=Count("redemptions"))["r"]
    return MemberAnalytics(
        members=total,
        new_30_days=totals["new_30"],
        paid=totals["paid"],
        arpu=_money(totals["arpu"]),
        paying_arpu=_money(totals["paying_arpu"]),
        near_threshold=totals["near"],
        near_range=(near_low, near_high),
        mix=mix,
        fee_bands=fee_bands,
        channels=channels,
        periods=list(periods.values()),
        by=by,
        benefits=BenefitSummary(benefit_totals["n"] or 0, benefit_totals["issued"] or 0, redeemed or 0),
        upgrades_total=upgrades_total,
        points=_points_totals(members),
    )


def _points_totals(members: QuerySet[Member]) -> PointsTotals:
    """The ledger's totals by reason for ``members`` (one aggregate). The outstanding liability is the ledger's
    total, which every balance equals (members.points keeps them together)."""
    by_reason = PointsEntry.objects.filter(member__in=members.values("pk")).aggregate(
        outstanding=Sum("delta"), **{reason: Sum("delta", filter=Q(reason=reason)) for reason in PointsReason.values}
    )
    outstanding = by_reason["outstanding"] or 0
    return PointsTotals(
        issued=by_reason[PointsReason.EARN] or 0,
        redeemed=-(by_reason[PointsReason.REDEEM] or 0),
        expired=-(by_reason[PointsReason.EXPIRE] or 0),
        adjusted=by_reason[PointsReason.ADJUST] or 0,
        outstanding=outstanding,
    )


@dataclass
class BenefitRow:
    benefit: Benefit
    redeemed: int
    tier_names: list[str]

    @property
    def rate(self) -> Decimal | None:
        return _share(self.redeemed, self.benefit.issued)

    @property
    def cost(self) -> Decimal:
        return (self.benefit.cost_per_redemption * self.redeemed).quantize(CENT)


def benefit_rows(*, benefits: QuerySet[Benefit]) -> list[BenefitRow]:
    """Each benefit with its redemption count (one query) and its tiers' names."""
    names = {t.code: t.name for t in current_tiers()}
    rows = (
        benefits.select_related("campaign")
        .annotate(redeemed=Count("redemptions"))
        .order_by(F("campaign__start_date").desc(nulls_last=True), "name")
    )
    return [BenefitRow(b, b.redeemed, [names.get(code, code) for code in (b.tiers or [])]) for b in rows]


# --- One member (SPEC 10.6) ------------------------------------------------------------------------------------

LEDGER_PAGE_SIZE = 20


def member_detail_for(*, user: Any, pk: int) -> Member | None:
    """One member the user may see, with its source campaign, channel and points (one query); None if not visible."""
    members = member_list_for(user).select_related("source_campaign", "source_channel", "points_balance")
    return members.filter(pk=pk).first()


def member_tier_history(*, member: Member, limit: int = 50) -> list[TierChange]:
    """The member's last ``limit`` tier changes with their causes, newest first (one query)."""
    return list(member.tier_changes.order_by("-changed_at", "-id")[:limit])


def member_points_ledger(*, member: Member) -> QuerySet[PointsEntry]:
    """The member's points entries, newest first, with who recorded them and the benefit redeemed."""
    return member.points_entries.select_related("created_by", "benefit").order_by("-created_at", "-id")


def member_redemptions(*, member: Member) -> list[Redemption]:
    """The benefits the member has redeemed, newest first (one query)."""
    return list(member.redemptions.select_related("benefit").order_by("-redeemed_at", "-id"))


def redeemable_benefits(*, member: Member) -> list[Benefit]:
    """Benefits the member's tier may redeem for points: priced in points, programme-wide or of the member's
    campaign (one query; the tier test runs here, as JSON containment is not portable to SQLite)."""
    candidates = Benefit.objects.filter(
        Q(campaign__isnull=True) | Q(campaign_id=member.source_campaign_id), points_price__isnull=False
    ).order_by("points_price", "name")
    return [benefit for benefit in candidates if member.tier in (benefit.tiers or [])]
