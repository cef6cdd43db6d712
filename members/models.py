"""The customer membership programme (會員體系, SPEC 6). Customers are members, not users."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Channel
from core.validators import TEXT_MAX_LENGTH, validate_date_in_bounds, validate_phone


class TierCode(models.TextChoices):
    """Tier codes (SPEC 6, Contract)."""

    BASIC = "basic", _("Basic member")
    MID_HIGH = "mid_high", _("Mid-high member")
    TOP = "top", _("Top member")


DEFAULT_THRESHOLDS = {
    TierCode.BASIC: Decimal("0.00"),
    TierCode.MID_HIGH: Decimal("200.00"),
    TierCode.TOP: Decimal("1000.00"),
}
# The programme's target mix (seed: basic 60 % / core 25 % / top 15 %) and member conversion target.
TARGET_MIX = {TierCode.BASIC: Decimal("0.60"), TierCode.MID_HIGH: Decimal("0.25"), TierCode.TOP: Decimal("0.15")}
CONVERSION_TARGET = Decimal("0.25")
REDEMPTION_TARGET = Decimal("0.30")


class AgeBand(models.TextChoices):
    AGE_18_24 = "18-24", _("18–24")
    AGE_25_34 = "25-34", _("25–34")
    AGE_35_PLUS = "35+", _("35 and over")


class TierRuleSet(models.Model):
    """A version of the tier thresholds, effective from a date; earlier versions stay as history."""

    effective_from = models.DateField(_("effective from"), validators=[validate_date_in_bounds])
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("tier rule set")
        verbose_name_plural = _("tier rule sets")

    def __str__(self) -> str:
        return f"{self.effective_from} ({self.pk})"


class Tier(models.Model):
    rule_set = models.ForeignKey(
        TierRuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="tiers"
    )
    code = models.CharField(_("code"), max_length=10, choices=TierCode.choices)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"))
    min_annual_fee = models.DecimalField(_("minimum annual fee (CNY)"), max_digits=10, decimal_places=2)
    benefits = models.TextField(_("benefits"), blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["rule_set", "rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="one_tier_code_per_rule_set"),
            models.UniqueConstraint(fields=["rule_set", "min_annual_fee"], name="distinct_thresholds_per_rule_set"),
            models.CheckConstraint(condition=Q(min_annual_fee__gte=0), name="tier_min_fee_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    age_band = models.CharField(_("age band"), max_length=5, choices=AgeBand.choices, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    joined_at = models.DateField(_("joined on"), null=True, blank=True, validators=[validate_date_in_bounds])
    annual_fee = models.DecimalField(_("annual fee (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    tier = models.CharField(_("tier"), max_length=10, choices=TierCode.choices, default=TierCode.BASIC, db_index=True)
    consent = models.BooleanField(_("consent given (PIPL)"), default=False)
    consent_at = models.DateField(_("consent date"), null=True, blank=True, validators=[validate_date_in_bounds])
    # Indexed by the (source_campaign, tier) index below; its own index would only slow imports down.
    source_campaign = models.ForeignKey(
        Campaign, verbose_name=_("source campaign"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="members", db_index=False,
    )  # fmt: skip
    source_channel = models.ForeignKey(
        Channel, verbose_name=_("source channel"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="members",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [("view_pii", _("Can see members' names and phone numbers unmasked and export them"))]
        constraints = [models.CheckConstraint(condition=Q(annual_fee__gte=0), name="member_fee_non_negative")]
        indexes = [
            models.Index(fields=["source_campaign", "tier"]),
            models.Index(fields=["annual_fee"]),
            # The member list's order (newest first): its first page without sorting every visible member.
            models.Index(fields=["-created_at", "-id"], name="member_newest"),
        ]

    def __str__(self) -> str:
        return self.external_id


class TierChangeCause(models.TextChoices):
    IMPORT = "import", _("Import")
    FEE_CHANGE = "fee_change", _("Fee change")
    RULE_CHANGE = "rule_change", _("Rule change")


class TierChange(models.Model):
    """Every change of a member's tier, with its cause (for upgrade analytics)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(max_length=10, choices=TierCode.choices, blank=True)
    to_tier = models.CharField(max_length=10, choices=TierCode.choices)
    cause = models.CharField(max_length=12, choices=TierChangeCause.choices)
    changed_at = models.DateTimeField(db_index=True)
    rule_set = models.ForeignKey(TierRuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier} → {self.to_tier}"


class ImportStatus(models.TextChoices):
    """Import job status (SPEC 9, Contract)."""

    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of members. The file lives in the database (ImportChunk), so any worker can read it.

    ``checkpoint`` is the number of data rows whose effects are committed; it advances in the same
    transaction as each batch's writes, so a worker that dies loses only its uncommitted batch and the
    next run resumes exactly there.
    """

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # SPEC 10.1: the campaign the upload is for; rows without source_campaign get it. Empty only for an admin.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)  # csv | xlsx
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.BigIntegerField(null=True, blank=True)
    checkpoint = models.BigIntegerField(default=0)
    processed = models.BigIntegerField(default=0)
    created = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    encoding = models.CharField(max_length=12, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        constraints = [models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_valid")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed * 100 / self.total_rows))


class ImportChunk(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="one_chunk_per_seq")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq}"


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.BigIntegerField()
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["job", "row", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="one_error_per_row")]

    def __str__(self) -> str:
        return f"{self.job_id} row {self.row}"


class Benefit(models.Model):
    """A membership benefit (權益), e.g. a partner brand's co-branded gift."""

    name = models.CharField(_("name"), max_length=150)
    tiers = models.JSONField(_("tiers"), default=list, help_text=_("Tier codes that receive this benefit."))
    partner_brand = models.CharField(_("partner brand"), max_length=100, blank=True)
    cost_per_redemption = models.DecimalField(
        _("cost per redemption (CNY)"), max_digits=10, decimal_places=2, default=0
    )
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="benefits")  # fmt: skip
    issued = models.PositiveIntegerField(_("issued"), default=0, help_text=_("How many were offered to members."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    benefit = models.ForeignKey(Benefit, on_delete=models.CASCADE, related_name="redemptions")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="redemptions")
    redeemed_at = models.DateTimeField()

    class Meta:
        ordering = ["-redeemed_at"]
        constraints = [models.UniqueConstraint(fields=["benefit", "member"], name="one_redemption_per_member")]

    def __str__(self) -> str:
        return f"{self.benefit_id} {self.member_id}"
