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
    # Unique through the constraint below, not ``unique=True``: that would add a second, pattern-matching index on
    # PostgreSQL that nothing uses and every import and tier change writes to.
    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    age_band = models.CharField(_("age band"), max_length=5, choices=AgeBand.choices, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    joined_at = models.DateField(_("joined on"), null=True, blank=True, validators=[validate_date_in_bounds])
    annual_fee = models.DecimalField(_("annual fee (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    # In no index: a new rule set changes the tier of tens of thousands of members at once, and each then is
    # rewritten in place (a heap-only update, with room kept by the table's fillfactor, migration 0015) instead of
    # adding an entry to every index of the member table.
    tier = models.CharField(_("tier"), max_length=10, choices=TierCode.choices, default=TierCode.BASIC)
    consent = models.BooleanField(_("consent given (PIPL)"), default=False)
    consent_at = models.DateField(_("consent date"), null=True, blank=True, validators=[validate_date_in_bounds])
    # Indexed by member_source_campaign below (a name of its own, as the other indexes have).
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
    # SPEC 10.6 "erase": when the person's name, phone and tags were erased at their request (members.rights).
    # Set, the member is left out of every import of its external id until an admin restores consent.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # When the person withdrew their consent (members.rights; erasure withdraws it too). Set, no import gives the
    # consent back — a partner's file may still say "yes" — until an admin records that the person consented again.
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [("view_pii", _("Can see members' names and phone numbers unmasked and export them"))]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="member_external_id_unique"),
            models.CheckConstraint(condition=Q(annual_fee__gte=0), name="member_fee_non_negative"),
        ]
        indexes = [
            models.Index(fields=["source_campaign"], name="member_source_campaign"),
            models.Index(fields=["annual_fee"]),
            # The member list's order (newest first): its first page without sorting every visible member.
            models.Index(fields=["-created_at", "-id"], name="member_newest"),
            # The phone lookup (SPEC 10.6, members.lookup): exact numbers only; members without one stay out of it.
            models.Index(fields=["phone"], name="member_phone", condition=~Q(phone="")),
            # Each import batch asks which of its external ids were erased (members.rights): a tiny index, as
            # few members are erased, that imports never write to (they insert members that are not erased).
            models.Index(fields=["external_id"], name="member_erased", condition=Q(erased_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def points(self) -> int:
        """The points balance (SPEC 10.6): 0 for a member who never had points. Select ``points_balance`` with
        the member (``select_related``) wherever members are listed, or each member costs a query."""
        try:
            return self.points_balance.balance
        except MemberPoints.DoesNotExist:
            return 0


class MemberPoints(models.Model):
    """A member's points balance: always the sum of the member's ledger (``PointsEntry``), written only by
    members.points under this row's lock, never below 0 (a CHECK constraint). A row of its own, created with the
    member's first entry: the daily expiry rewrites up to every member's balance at once, and on the member
    table (wide rows, 11 indexes) that cost ~27 s for 1,000,000 members, here ~1.6 s (bench/bench_points.py)."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), primary_key=True, on_delete=models.CASCADE, related_name="points_balance"
    )
    balance = models.BigIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_non_negative")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"


class TierChangeCause(models.TextChoices):
    IMPORT = "import", _("Import")
    FEE_CHANGE = "fee_change", _("Fee change")
    RULE_CHANGE = "rule_change", _("Rule change")


class TierChange(models.Model):
    """Every change of a member's tier, with its cause (for upgrade analytics).

    No database foreign keys: a new rule set or an import writes tens of thousands of changes at once, and the
    three checks of each — queued even for an empty rule set or import — took 0.7 s of a 1.6 s recompute of
    1,000,000 members at commit (bench/bench_members.py). Changes are written only by members.tiers and the
    import, for members, rule sets and imports they have just read or written; Django's delete still removes a
    member's changes with the member and empties the rule set or import of theirs when one is deleted."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes", db_constraint=False)
    from_tier = models.CharField(max_length=10, choices=TierCode.choices, blank=True)
    to_tier = models.CharField(max_length=10, choices=TierCode.choices)
    cause = models.CharField(max_length=12, choices=TierChangeCause.choices)
    changed_at = models.DateTimeField(db_index=True)
    rule_set = models.ForeignKey(
        TierRuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    import_job = models.ForeignKey(
        "ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

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
    # SPEC 10.6: a dry run validates and counts as the import would, writing no member.
    dry_run = models.BooleanField(default=False)
    # The upload's header row as it was (the fixable error report repeats it), and every bad field counted.
    header = models.JSONField(default=list, blank=True)
    bad_fields = models.BigIntegerField(default=0)
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
    """One bad field of a refused row (SPEC 10.6); ``field`` is empty for a row refused as a whole (empty, or a
    quote never closed). ``row`` 1 is the first data row, line 2 of the sheet."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.BigIntegerField()
    field = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["job", "row", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "row", "field"], name="one_error_per_row_field")]

    def __str__(self) -> str:
        return f"{self.job_id} row {self.row} {self.field}".rstrip()

    @property
    def line(self) -> int:
        """The row's line in the sheet as Excel numbers it (the header is line 1)."""
        return self.row + 1


class ImportBadRow(models.Model):
    """A refused row's cells exactly as uploaded (kept for the first MEMBER_IMPORT_MAX_ERROR_ROWS refused rows),
    so the error report can repeat them to be fixed and uploaded again."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="bad_rows")
    row = models.BigIntegerField()
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["job", "row"]
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="one_bad_row_per_row")]

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
    # SPEC 10.6: a member of one of ``tiers`` may redeem it for this many points (members.points); empty: not for points.
    points_price = models.PositiveIntegerField(
        _("price in points"), null=True, blank=True,
        help_text=_("Members of its tiers may redeem it for this many points. Leave empty if it is not for points."),
    )  # fmt: skip

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


class PointsReason(models.TextChoices):
    """Why a member's points changed (SPEC 10.6): earned, spent (redeemed), corrected, or lapsed."""

    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    ADJUST = "adjust", _("Adjusted")
    EXPIRE = "expire", _("Expired")


class PointsEntry(models.Model):
    """One line of a member's points ledger (積分). Append-only: entries are never edited (a database trigger
    refuses UPDATE); a correction is a new ``adjust`` entry. Positive entries carry the day after which their
    points lapse (``expires_at``); members.points explains the order in which points are used and expire."""

    # Indexes: the ledger takes a row per member on the day points lapse (1,000,000 at once), and each index costs
    # that many insertions. points_entry_member_newest serves every lookup by member; a user or benefit removed
    # (rare; users never are) scans the ledger instead. No database foreign keys: checking ``member`` cost 3.6 s
    # per 1,000,000 rows on the day points lapse, and the empty ``benefit`` and ``created_by`` of those rows 0.7 s
    # more at commit (each row's check is queued, even for an empty value; bench/bench_points.py). Entries are
    # written only by members.points, for a member whose balance row (a real foreign key) it holds locked, with
    # a benefit and a user it has just read; Django's delete still removes a member's entries with the member
    # and empties ``benefit`` when a benefit is deleted.
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="points_entries",
        db_index=False,
        db_constraint=False,
    )
    delta = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=8, choices=PointsReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    benefit = models.ForeignKey(
        "Benefit", verbose_name=_("benefit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded at"))
    expires_at = models.DateField(_("expires after"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, db_constraint=False,
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="points_entry_not_zero"),
            models.CheckConstraint(condition=Q(reason__in=PointsReason.values), name="points_entry_reason_valid"),
            # Earning adds, redeeming and expiry take away; an adjustment goes either way.
            models.CheckConstraint(
                condition=Q(reason="adjust")
                | Q(reason="earn", delta__gt=0)
                | Q(reason__in=["redeem", "expire"], delta__lt=0),
                name="points_entry_sign_matches_reason",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at", "-id"], name="points_entry_member_newest")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.delta:+d} ({self.reason})"
