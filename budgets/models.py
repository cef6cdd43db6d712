"""Budgets (versioned, locked once submitted), their lines, sign-offs and expenses (SPEC 4, Contract names)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Channel
from core.validators import TEXT_MAX_LENGTH, validate_date_in_bounds


class BudgetStatus(models.TextChoices):
    """Budget lifecycle (SPEC 4, Contract)."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class LineCategory(models.TextChoices):
    """Budget line categories (SPEC 4, Contract)."""

    TECH_DEVELOPMENT = "tech_development", _("Tech development")
    CHANNEL_PROMOTION = "channel_promotion", _("Channel promotion")
    BENEFITS_PROCUREMENT = "benefits_procurement", _("Benefits procurement")
    MATERIALS = "materials", _("Materials")
    PARTNER_RESERVE = "partner_reserve", _("Partner reserve")
    EMERGENCY = "emergency", _("Emergency reserve")
    LABOUR = "labour", _("Labour")
    ADVERTISING = "advertising", _("Advertising")
    OTHER = "other", _("Other")


# Lines of these categories make up the risk reserve (SPEC 4).
RESERVE_CATEGORIES = (LineCategory.EMERGENCY, LineCategory.PARTNER_RESERVE)


class LineKind(models.TextChoices):
    RIGID = "rigid", _("Rigid cost")
    FLEXIBLE = "flexible", _("Flexible cost")


class SignoffRole(models.TextChoices):
    """The three sign-off roles (SPEC 4, Contract): compliance, reasonableness, feasibility."""

    FINANCE = "finance", _("Finance (compliance)")
    MARKETING = "marketing", _("Marketing (reasonableness)")
    TECH = "tech", _("Tech (feasibility)")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class Budget(models.Model):
    """One version of a campaign's budget. Only drafts can change; an approved version is locked."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="budgets")
    version = models.PositiveIntegerField(_("version"), default=1)
    total = models.DecimalField(_("total cap (CNY)"), max_digits=14, decimal_places=2)
    reserve_pct = models.DecimalField(_("reserve %"), max_digits=5, decimal_places=2, default=Decimal("10.00"))
    status = models.CharField(_("status"), max_length=12, choices=BudgetStatus.choices, default=BudgetStatus.DRAFT)
    note = models.TextField(_("note"), blank=True, max_length=TEXT_MAX_LENGTH)
    revised_from = models.ForeignKey(
        "self",
        verbose_name=_("revised from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "-version"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="one_budget_per_campaign_version"),
            # A campaign has at most one version being worked on, and at most one approved version.
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status__in=["draft", "in_review"]),
                name="one_open_budget_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(status="approved"), name="one_approved_budget_per_campaign"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="budget_total_positive"),
            models.CheckConstraint(
                condition=Q(reserve_pct__gte=0, reserve_pct__lte=100), name="budget_reserve_pct_0_100"
            ),
            models.CheckConstraint(condition=Q(status__in=BudgetStatus.values), name="budget_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.code} v{self.version}"

    @property
    def is_locked(self) -> bool:
        return self.status != BudgetStatus.DRAFT

    @property
    def required_reserve(self) -> Decimal:
        return (self.total * self.reserve_pct / Decimal(100)).quantize(Decimal("0.01"))


class BudgetLine(models.Model):
    budget = models.ForeignKey(Budget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(_("category"), max_length=24, choices=LineCategory.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices, default=LineKind.RIGID)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budget_lines",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # When the line's burn crossed 90 % / 100 % (each notified once).
    warned_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["budget", "position", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_amount_positive"),
            models.CheckConstraint(condition=Q(category__in=LineCategory.values), name="budget_line_category_valid"),
            models.CheckConstraint(condition=Q(kind__in=LineKind.values), name="budget_line_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount}"


class Signoff(models.Model):
    budget = models.ForeignKey(Budget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="signoffs")
    role = models.CharField(_("role"), max_length=10, choices=SignoffRole.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signer"), on_delete=models.PROTECT, related_name="budget_signoffs"
    )
    comment = models.TextField(_("comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    class Meta:
        ordering = ["budget", "signed_at", "id"]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        constraints = [
            # Rule 3: one sign-off per role per version; rule 4: one person, one role per version.
            models.UniqueConstraint(fields=["budget", "role"], name="one_signoff_per_role_per_budget"),
            models.UniqueConstraint(fields=["budget", "signer"], name="one_role_per_signer_per_budget"),
            models.CheckConstraint(condition=Q(role__in=SignoffRole.values), name="signoff_role_valid"),
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="signoff_decision_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.role} {self.decision}"


class Expense(models.Model):
    """Actual spend against a line of an approved budget."""

    line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="expenses"
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    date = models.DateField(_("date"), validators=[validate_date_in_bounds])
    description = models.CharField(_("description"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.amount}"


class SignoffReminder(models.Model):
    """One reminder sent to one pending signer for one budget on one working day (exactly once, by constraint)."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["budget", "user", "day"], name="one_signoff_reminder_per_day")]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.user_id} {self.day}"
