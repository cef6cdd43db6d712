"""Risk API shapes (SPEC 9). Serializers check the shape of input; risks.services enforces the rules (owner from
the team, linked task and budget line of the same campaign) and sets the alert level on every write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from budgets.models import BudgetLine
from campaigns.models import Campaign, Task
from campaigns.permissions import campaign_part_policy, campaign_policy
from core.api.fields import MAX_ID, related_field
from core.validators import ApiDateField
from teams.models import User

from ..models import AlertEvent, AlertLevel, Band, Risk, RiskCategory, RiskReview, RiskStatus

RATING_HELP = _("1 (lowest) to 5 (highest).")


def _request_user(serializer: serializers.Serializer) -> Any:
    return getattr(serializer.context.get("request"), "user", None)


# --- Filters (query parameters) --------------------------------------------------------


class RiskFilterSerializer(serializers.Serializer):
    """The register's filters; a malformed value is a 400 naming the parameter."""

    campaign = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only this campaign's risks.")
    )
    alert_level = serializers.ChoiceField(choices=AlertLevel.choices, required=False, help_text=_("Only this level."))
    band = serializers.ChoiceField(choices=Band.choices, required=False, help_text=_("Only this severity band."))
    status = serializers.ChoiceField(choices=RiskStatus.choices, required=False, help_text=_("Only this status."))
    owner = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only risks owned by this user id.")
    )
    category = serializers.ChoiceField(choices=RiskCategory.choices, required=False, help_text=_("Only this category."))
    probability = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text=_("Only this probability rating (a heat-map row).")
    )
    impact = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text=_("Only this impact rating (a heat-map column).")
    )


class MatrixFilterSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("Only this campaign (default: every campaign you can see)."),
    )


# --- Risks -------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    """A risk. ``score`` (probability × impact), ``band`` and ``alert_level`` follow from the other fields and
    are read-only: the alert level is set on every write. ``campaign`` cannot change after creation."""

    campaign = related_field("campaign", queryset=Campaign.objects.none())
    campaign_code = serializers.CharField(source="campaign.code", read_only=True)
    owner = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("A lead, deputy or member of the campaign's team; hears of every alert."),
    )
    owner_name = serializers.SerializerMethodField()
    probability = serializers.IntegerField(min_value=1, max_value=5, help_text=RATING_HELP)
    impact = serializers.IntegerField(min_value=1, max_value=5, help_text=RATING_HELP)
    score = serializers.IntegerField(read_only=True, help_text=_("probability × impact, 1–25."))
    band = serializers.ChoiceField(
        choices=Band.choices,
        read_only=True,
        help_text=_("Severity from the 5×5 matrix: score 1–4 low, 5–9 medium, 10–16 high, 20–25 critical."),
    )
    alert_level = serializers.ChoiceField(
        choices=AlertLevel.choices,
        read_only=True,
        help_text=_(
            "Early warning from the expected date in the campaign's time zone: blue 4–7 days before, yellow 1–3 "
            "days before, red on or after the day or once occurred; none when mitigated, closed or far off."
        ),
    )
    cost_impact = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    task = related_field("task", queryset=Task.objects.none(), required=False, allow_null=True)
    budget_line = serializers.PrimaryKeyRelatedField(
        queryset=BudgetLine.objects.none(),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _("No budget line with id {pk_value} is available to you."),
            "incorrect_type": _("Give the budget line's id as an integer."),
        },
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "campaign",
            "campaign_code",
            "title",
            "category",
            "description",
            "owner",
            "owner_name",
            "probability",
            "impact",
            "score",
            "band",
            "expected_date",
            "status",
            "alert_level",
            "alert_changed_at",
            "acknowledged_at",
            "acknowledged_by",
            "contingency_plan",
            "cost_impact",
            "schedule_impact_days",
            "task",
            "budget_line",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["alert_changed_at", "acknowledged_at", "acknowledged_by", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            # Only rows the requester can see; any other id reads as "not found", revealing nothing.
            self.fields["campaign"].queryset = campaign_policy.visible(user, Campaign.objects.all())
            self.fields["task"].queryset = campaign_part_policy.visible(user, Task.objects.all())
            visible = campaign_policy.visible(user, Campaign.objects.all())
            self.fields["budget_line"].queryset = BudgetLine.objects.filter(
                budget__campaign__in=visible.values("pk")
            ).select_related("budget")

    def get_owner_name(self, risk: Risk) -> str | None:
        return str(risk.owner) if risk.owner_id else None

    def validate_campaign(self, campaign: Campaign) -> Campaign:
        if self.instance is not None and campaign.pk != self.instance.campaign_id:
            raise serializers.ValidationError(_("A risk cannot be moved to another campaign."))
        return campaign


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ["id", "level", "previous_level", "created_at"]
        read_only_fields = fields


class RiskReviewSerializer(serializers.ModelSerializer):
    """A review re-rates the risk; the previous ratings are kept, so the reviews are the score's history."""

    reviewed_on = ApiDateField(required=False, help_text=_("Defaults to today in the campaign's time zone."))
    probability = serializers.IntegerField(min_value=1, max_value=5, help_text=RATING_HELP)
    impact = serializers.IntegerField(min_value=1, max_value=5, help_text=RATING_HELP)
    score = serializers.IntegerField(read_only=True)
    previous_score = serializers.SerializerMethodField()
    reviewer_name = serializers.CharField(source="reviewer.__str__", read_only=True)

    class Meta:
        model = RiskReview
        fields = [
            "id",
            "reviewed_on",
            "reviewer",
            "reviewer_name",
            "notes",
            "previous_probability",
            "previous_impact",
            "previous_score",
            "probability",
            "impact",
            "score",
            "created_at",
        ]
        read_only_fields = ["reviewer", "previous_probability", "previous_impact", "created_at"]

    def get_previous_score(self, review: RiskReview) -> int:
        return review.previous_probability * review.previous_impact


class MatrixCellSerializer(serializers.Serializer):
    probability = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    count = serializers.IntegerField(min_value=0)


class MatrixSerializer(serializers.Serializer):
    cells = MatrixCellSerializer(many=True, help_text=_("All 25 cells, probability 1–5 × impact 1–5."))
