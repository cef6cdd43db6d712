"""Administration of the membership programme.

Members, rule sets and imports are read-only here: members change through imports, thresholds through the
tiers page (members.tiers.tier_rule_set_create, which recomputes tiers and writes the audit ledger). Names and
phones are masked for staff without ``members.view_pii``, as everywhere else. Benefits are set up here. The points
ledger is append-only: read-only here (points are recorded on the member page or through the API).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Benefit, ImportJob, Member, PointsEntry, Redemption, Tier, TierCode, TierRuleSet
from .permissions import can_view_pii
from .privacy import mask_name, mask_phone

PII_FIELDS = ("name", "phone")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["external_id", "shown_name", "shown_phone", "tier", "annual_fee", "source_campaign", "joined_at"]
    list_filter = ["tier", "age_band", "consent", "source_campaign"]
    list_select_related = ["source_campaign"]
    search_fields = ["external_id"]
    show_full_result_count = False

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # Searching by name or phone would reveal them to staff who may not see them.
        return ["external_id", "name", "phone"] if can_view_pii(request.user) else ["external_id"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if can_view_pii(request.user) else PII_FIELDS

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        self._pii = can_view_pii(request.user)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("name"))
    def shown_name(self, member: Member) -> str:
        return member.name if getattr(self, "_pii", False) else mask_name(member.name)

    @admin.display(description=_("phone"))
    def shown_phone(self, member: Member) -> str:
        return member.phone if getattr(self, "_pii", False) else mask_phone(member.phone)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TierRuleSet)
class TierRuleSetAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "note", "created_by", "created_at"]
    inlines = [TierInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "uploaded_by", "status", "dry_run", "processed", "created", "updated", "error_count",
                    "created_at"]  # fmt: skip
    list_filter = ["status", "dry_run"]
    list_select_related = ["uploaded_by"]
    exclude = ["lease_until"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BenefitForm(forms.ModelForm):
    tiers = forms.MultipleChoiceField(
        label=_("Tiers"), choices=TierCode.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Benefit
        fields = ["name", "partner_brand", "campaign", "tiers", "cost_per_redemption", "points_price", "issued"]


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    form = BenefitForm
    list_display = ["name", "partner_brand", "campaign", "cost_per_redemption", "points_price", "issued"]
    list_filter = ["campaign"]
    search_fields = ["name", "partner_brand"]
    list_select_related = ["campaign"]


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["benefit", "member", "redeemed_at"]
    list_select_related = ["benefit", "member"]
    raw_id_fields = ["benefit", "member"]
    list_filter = ["benefit"]


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The points ledger, read-only: entries are never edited or removed (members.points)."""

    list_display = ["member", "delta", "reason", "note", "created_at", "expires_at", "created_by"]
    list_filter = ["reason"]
    list_select_related = ["member", "created_by"]
    raw_id_fields = ["member", "benefit", "created_by"]
    search_fields = ["member__external_id"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
