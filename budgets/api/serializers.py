"""API shapes for budgets, their lines, sign-offs, expenses and the diff between versions (SPEC 4)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaigns.models import Campaign

from ..models import Budget, BudgetLine, BudgetStatus, Decision, Expense, LineCategory, LineKind, Signoff, SignoffRole


class BudgetLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=LineCategory.choices)
    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.RIGID)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
        error_messages={"min_value": _("The amount must be greater than zero.")},
    )  # fmt: skip
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, default=Decimal(0))

    class Meta:
        model = BudgetLine
        fields = ["id", "category", "kind", "amount", "channel", "note", "spent"]
        read_only_fields = ["id", "spent"]
        extra_kwargs = {"channel": {"required": False, "allow_null": True}, "note": {"required": False}}


class SignoffSerializer(serializers.ModelSerializer):
    signer_name = serializers.CharField(source="signer.__str__", read_only=True)

    class Meta:
        model = Signoff
        fields = ["id", "role", "decision", "signer", "signer_name", "comment", "checklist", "signed_at"]
        read_only_fields = fields


class BudgetSerializer(serializers.ModelSerializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    lines = BudgetLineSerializer(many=True)
    signoffs = SignoffSerializer(many=True, read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reserve_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal("10.00")
    )

    class Meta:
        model = Budget
        fields = [
            "id", "campaign", "version", "total", "reserve_pct", "status", "note", "lines", "signoffs",
            "submitted_by", "submitted_at", "approved_at", "revised_from", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "version",
            "status",
            "submitted_by",
            "submitted_at",
            "approved_at",
            "revised_from",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            from campaigns.permissions import campaign_policy

            # Only campaigns the requester can see are valid; others are "not found", not revealed.
            self.fields["campaign"].queryset = campaign_policy.visible(request.user, Campaign.objects.all())
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["campaign"].read_only = True

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        if not lines:
            raise serializers.ValidationError(_("Add at least one budget line."))
        return lines


class SignoffRequestSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=SignoffRole.choices)
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    checklist = serializers.DictField(child=serializers.BooleanField(), required=False, default=dict)


class SignoffResponseSerializer(SignoffSerializer):
    budget_status = serializers.ChoiceField(choices=BudgetStatus.choices, read_only=True)

    class Meta(SignoffSerializer.Meta):
        fields = [*SignoffSerializer.Meta.fields, "budget_status"]
        read_only_fields = fields


class ExpenseSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    budget = serializers.IntegerField(source="line.budget_id", read_only=True)

    class Meta:
        model = Expense
        fields = ["id", "line", "budget", "amount", "date", "description", "recorded_by", "created_at"]
        read_only_fields = ["id", "budget", "recorded_by", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            from ..permissions import budget_policy

            visible = budget_policy.visible(request.user, Budget.objects.all())
            self.fields["line"].queryset = BudgetLine.objects.filter(budget__in=visible.values("pk"))


class DiffRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    kind = serializers.CharField()
    channel = serializers.IntegerField(allow_null=True)
    old = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    new = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    delta = serializers.DecimalField(max_digits=14, decimal_places=2)
    change = serializers.CharField()
