"""Forms of the member pages, and the member list's filter rules (shared by the list page, the exports, the
analytics page and the API, so that one filter means the same rows everywhere).

Searching by name or phone is only for holders of ``members.view_pii``: for everyone else a search matches
external ids only, so a masked user cannot find out a member's name by guessing it (SPEC 6).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.permissions import principal_for
from core.validators import BoundedDateField

from .models import Member, Tier, TierCode
from .permissions import importable_campaigns

# Spaces, thousands separators and a currency mark are what people paste from a spreadsheet: accept them.
_MONEY_NOISE = re.compile(r"[\s,_'’]|CNY|RMB|¥|￥", re.IGNORECASE)
_PHONE_NOISE = re.compile(r"[\s\-()]")


def filter_members(members: QuerySet[Member], filters: dict[str, Any], *, pii: bool) -> QuerySet[Member]:
    """Narrow ``members`` (already limited to what the user may see) by tier, campaign, channel, exact
    external id and a search; the search looks at names and phones only when ``pii`` is true."""
    if filters.get("tier"):
        members = members.filter(tier=filters["tier"])
    if filters.get("campaign") is not None:
        members = members.filter(source_campaign_id=filters["campaign"])
    if filters.get("channel") is not None:
        members = members.filter(source_channel_id=filters["channel"])
    if filters.get("external_id"):
        members = members.filter(external_id=filters["external_id"])
    if filters.get("consent") in ("yes", "no", True, False):
        members = members.filter(consent=filters["consent"] in ("yes", True))
    query = (filters.get("q") or "").strip()
    if query:
        condition = Q(external_id__icontains=query)
        if pii:
            condition |= Q(name__icontains=query)
            digits = _PHONE_NOISE.sub("", query)
            if digits:
                condition |= Q(phone__icontains=digits)
        members = members.filter(condition)
    return members


# The member list's orders (SPEC 10.6), each backed by an index (newest: member_newest; fee: annual_fee;
# external id: unique), so the first page of a million members is read without sorting them all.
SORT_ORDERS = {
    "": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "fee_desc": ("-annual_fee", "-id"),
    "fee_asc": ("annual_fee", "id"),
    "external_id": ("external_id",),
}
SORT_CHOICES = [
    ("oldest", _("Oldest first")),
    ("fee_desc", _("Highest fee first")),
    ("fee_asc", _("Lowest fee first")),
    ("external_id", _("External id")),
]


def sort_members(members: QuerySet[Member], sort: str | None) -> QuerySet[Member]:
    """The member list in the chosen order (newest first unless another is chosen)."""
    return members.order_by(*SORT_ORDERS.get(sort or "", SORT_ORDERS[""]))


class DateInput(forms.DateInput):
    """An HTML date picker; the value is always ISO, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MoneyField(forms.DecimalField):
    """An amount in CNY with two decimals; ``1,000`` and ``¥1 000.00`` are read as 1000.00."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = _MONEY_NOISE.sub("", value)
        return super().to_python(value)


class _ScopeFilterForm(forms.Form):
    """Campaign and channel filters. The choices are the campaigns and channels the user may pick, loaded once
    per request; a value that is not one of them is reported next to its field and ignored."""

    campaign = forms.TypedChoiceField(label=_("Campaign"), required=False, coerce=int, empty_value=None)
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, campaigns: list[Any] = (), channels: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [
            (c.pk, f"{c.code} · {c.name}") for c in campaigns
        ]
        groups: dict[str, list[tuple[int, str]]] = {}
        for channel in channels:
            groups.setdefault(channel.campaign.code, []).append((channel.pk, channel.name))
        self.fields["channel"].choices = [("", _("All channels")), *groups.items()]

    def filters(self) -> dict[str, Any]:
        """The filters that parsed; the rest are left out (their errors show next to the fields)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}


class MemberFilterForm(_ScopeFilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers")), *TierCode.choices])
    consent = forms.ChoiceField(
        label=_("Consent"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Consent given")), ("no", _("No consent"))],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[("", _("Newest first")), *SORT_CHOICES])

    field_order = ["q", "tier", "campaign", "channel", "consent", "sort"]

    def __init__(self, *args: Any, pii: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("External id, name or phone") if pii else _("External id")
        self.fields["q"].help_text = "" if pii else _("Names and phone numbers are masked, so search by external id.")


class AnalyticsFilterForm(_ScopeFilterForm):
    MONTH, WEEK = "month", "week"

    by = forms.ChoiceField(
        label=_("Upgrades by"),
        required=False,
        choices=[(MONTH, _("Month")), (WEEK, _("Week"))],
    )


class ImportForm(forms.Form):
    """An upload names the campaign it is for (SPEC 10.1); rows without source_campaign are attributed to it."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        help_text=_("The campaign these members are for. Rows without a source_campaign are attributed to it."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK, as Excel saves it) or XLSX, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run)"),
        required=False,
        help_text=_(
            "Reads and checks every row and shows what would be created, updated and refused; changes no member."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = importable_campaigns(user).order_by("-start_date", "code").only("pk", "code", "name")
        self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].label_from_instance = lambda c: f"{c.code} · {c.name}"
        if not principal_for(user).is_admin:
            self.fields["campaign"].required = True
            self.fields["campaign"].empty_label = None if campaigns.count() == 1 else "---------"


class TierRuleSetForm(forms.Form):
    """A new version of the thresholds. The basic tier always starts at 0; the service checks that the tiers rise."""

    effective_from = BoundedDateField(
        label=_("Effective from"),
        widget=DateInput(),
        help_text=_("From this day on members are placed by the new thresholds. Today or earlier applies them now."),
    )
    mid_high = MoneyField(label=_("Mid-high tier from (CNY per year)"))
    top = MoneyField(label=_("Top tier from (CNY per year)"))
    name_basic = forms.CharField(label=_("Name of the basic tier"), max_length=60, required=False)
    name_mid_high = forms.CharField(label=_("Name of the mid-high tier"), max_length=60, required=False)
    name_top = forms.CharField(label=_("Name of the top tier"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False, help_text=_("Why the thresholds change."))

    def __init__(self, *args: Any, current: list[Tier] = (), latest_from: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latest_from = latest_from
        by_code = {tier.code: tier for tier in current}
        if not self.is_bound:
            self.initial.setdefault("effective_from", timezone.localdate())
            for code in TierCode.values:
                if code in by_code:
                    self.initial.setdefault(f"name_{code}", by_code[code].name)
                    if code != TierCode.BASIC:
                        self.initial.setdefault(code, by_code[code].min_annual_fee)

    def clean_effective_from(self) -> dt.date:
        day = self.cleaned_data["effective_from"]
        if self.latest_from is not None and day < self.latest_from:
            raise forms.ValidationError(
                _("The newest rule set starts on %(date)s; a new one must start on that day or later."),
                params={"date": self.latest_from.isoformat()},
            )
        return day

    def thresholds(self) -> dict[str, Decimal]:
        data = self.cleaned_data
        return {TierCode.BASIC: Decimal("0.00"), TierCode.MID_HIGH: data["mid_high"], TierCode.TOP: data["top"]}

    def names(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"name_{code}"].strip()
            for code in TierCode.values
            if self.cleaned_data.get(f"name_{code}", "").strip()
        }


class PointsForm(forms.Form):
    """Points added or taken on the member page (SPEC 10.6). Earned and redeemed points are given as a positive
    number (the reason gives the sign); an adjustment may be negative. A benefit is redeemed for its price."""

    reason = forms.ChoiceField(
        label=_("What happened"),
        choices=[("earn", _("Earned")), ("redeem", _("Redeemed")), ("adjust", _("Adjustment"))],
    )
    points = forms.IntegerField(
        label=_("Points"),
        required=False,
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Earned or redeemed: a positive number. An adjustment may be negative."),
    )
    benefit = forms.TypedChoiceField(
        label=_("Benefit redeemed"), required=False, coerce=int, empty_value=None,
        help_text=_("Redeeming a benefit takes its price in points; leave the points empty."),
    )  # fmt: skip
    expires_at = BoundedDateField(
        label=_("Points expire after"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for points added; by default 31 December of next year."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, benefits: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["benefit"].choices = [("", _("None"))] + [
            (b.pk, _("%(name)s (%(price)s points)") % {"name": b.name, "price": b.points_price}) for b in benefits
        ]
        if not benefits:
            del self.fields["benefit"]

    def delta(self) -> int | None:
        """The signed number of points the service expects (None: a benefit's price)."""
        points = self.cleaned_data.get("points")
        if points is None:
            return None
        reason = self.cleaned_data.get("reason")
        if reason == "earn":
            return abs(points)
        if reason == "redeem":
            return -abs(points)
        return points
