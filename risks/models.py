"""The risk register (SPEC 5): risks on the 5×5 matrix, their reviews and alert events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetLine
from campaigns.models import Campaign, Task
from core.validators import TEXT_MAX_LENGTH, validate_date_in_bounds


class RiskCategory(models.TextChoices):
    """Risk categories (SPEC 5)."""

    MARKET = "market", _("Market")
    TECHNICAL = "technical", _("Technical")
    EXECUTION = "execution", _("Execution")
    PARTNER = "partner", _("Partner")
    PUBLIC_OPINION = "public_opinion", _("Public opinion")
    COMPLIANCE = "compliance", _("Compliance")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain")
    RESOURCE = "resource", _("Resource")


class RiskStatus(models.TextChoices):
    """Risk status (SPEC 5, Contract)."""

    OPEN = "open", _("Open")
    MONITORING = "monitoring", _("Monitoring")
    OCCURRED = "occurred", _("Occurred")
    MITIGATED = "mitigated", _("Mitigated")
    CLOSED = "closed", _("Closed")


# Risks that still carry exposure (the heat map, the exposure simulation, alerts on the portfolio).
LIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.MONITORING, RiskStatus.OCCURRED)


class Band(models.TextChoices):
    """Severity band from the 5×5 matrix (SPEC 5, Contract)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class AlertLevel(models.TextChoices):
    """Early-warning level (SPEC 5, Contract; the seed's 紅黃藍 warnings)."""

    NONE = "none", _("No alert")
    BLUE = "blue", _("Blue: start the contingency plan")
    YELLOW = "yellow", _("Yellow: start the emergency response")
    RED = "red", _("Red: urgent intervention")


ALERT_RANK = {AlertLevel.NONE: 0, AlertLevel.BLUE: 1, AlertLevel.YELLOW: 2, AlertLevel.RED: 3}

# score 1–4 low, 5–9 medium, 10–16 high, 20–25 critical (the products of two 1–5 ratings never fall between).
BAND_SCORES = {Band.LOW: (1, 4), Band.MEDIUM: (5, 9), Band.HIGH: (10, 16), Band.CRITICAL: (20, 25)}


def band_q(band: str) -> Q:
    low, high = BAND_SCORES[Band(band)]
    return Q(score__gte=low, score__lte=high)


def band_for(score: int) -> str:
    if score <= 4:
        return Band.LOW
    if score <= 9:
        return Band.MEDIUM
    if score <= 16:
        return Band.HIGH
    return Band.CRITICAL


class Risk(models.Model):
    # Indexed by risk_campaign below.
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="risks", db_index=False
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=RiskCategory.choices)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_risks",
    )  # fmt: skip
    probability = models.PositiveSmallIntegerField(_("probability (1–5)"))
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"))
    score = models.GeneratedField(
        expression=F("probability") * F("impact"), output_field=models.PositiveSmallIntegerField(), db_persist=True
    )
    expected_date = models.DateField(
        _("expected date"),
        null=True,
        blank=True,
        help_text=_("When it may materialise."),
        validators=[validate_date_in_bounds],
    )
    status = models.CharField(_("status"), max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    contingency_plan = models.TextField(_("contingency plan"), blank=True, max_length=TEXT_MAX_LENGTH)
    cost_impact = models.DecimalField(_("cost impact (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    schedule_impact_days = models.PositiveIntegerField(_("schedule impact (days)"), null=True, blank=True)
    task = models.ForeignKey(
        Task, verbose_name=_("linked task"), null=True, blank=True, on_delete=models.SET_NULL, related_name="risks"
    )
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("linked budget line"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="risks",
    )  # fmt: skip
    alert_level = models.CharField(_("alert level"), max_length=8, choices=AlertLevel.choices, default=AlertLevel.NONE)
    alert_changed_at = models.DateTimeField(_("alert changed at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    escalated_at = models.DateTimeField(_("escalated to the lead at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["campaign", "-probability", "-impact", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        constraints = [
            models.CheckConstraint(condition=Q(probability__gte=1, probability__lte=5), name="risk_probability_1_5"),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"),
            models.CheckConstraint(condition=Q(status__in=RiskStatus.values), name="risk_status_valid"),
            models.CheckConstraint(condition=Q(alert_level__in=AlertLevel.values), name="risk_alert_level_valid"),
            models.CheckConstraint(condition=Q(category__in=RiskCategory.values), name="risk_category_valid"),
            models.CheckConstraint(
                condition=Q(cost_impact__isnull=True) | Q(cost_impact__gte=0), name="risk_cost_non_negative"
            ),
        ]
        # The alert level and the acknowledgement are in no index: the daily alert refresh then rewrites a risk in
        # place (a heap-only update, with room kept by the table's fillfactor, migration 0007) instead of adding an
        # entry to every index for each of the thousands of risks whose level changes at once. A campaign's risks
        # are few enough to filter by level after risk_campaign; the portfolio counts every campaign's red and
        # yellow alerts in one grouped pass (dashboards.portfolio).
        indexes = [
            models.Index(fields=["campaign"], name="risk_campaign"),
            models.Index(fields=["status", "expected_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def band(self) -> str:
        return band_for(self.probability * self.impact)

    def get_band_display(self) -> str:
        return str(Band(self.band).label)


class AlertEvent(models.Model):
    """One escalation of a risk's alert level (a rise, or a risk written straight into a level)."""

    # No database foreign key: the daily refresh writes tens of thousands of events at once, and checking each at
    # commit cost ~0.1 s of its second (bench/bench_risk_alerts.py). Events are written only by risks.alerts, for
    # risks it holds locked (SELECT … FOR UPDATE); Django's delete still removes a risk's events with the risk.
    risk = models.ForeignKey(
        Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="alert_events", db_constraint=False
    )
    level = models.CharField(_("level"), max_length=8, choices=AlertLevel.choices)
    previous_level = models.CharField(_("previous level"), max_length=8, choices=AlertLevel.choices)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")

    def __str__(self) -> str:
        return f"{self.risk_id}: {self.previous_level} → {self.level}"


class RiskReview(models.Model):
    """A periodic review: new probability and impact with notes; the scores over time are the history."""

    risk = models.ForeignKey(Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("date"), validators=[validate_date_in_bounds])
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    previous_probability = models.PositiveSmallIntegerField()
    previous_impact = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField(_("probability (1–5)"))
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["risk", "-reviewed_on", "-id"]
        verbose_name = _("risk review")
        verbose_name_plural = _("risk reviews")
        constraints = [
            models.CheckConstraint(condition=Q(probability__gte=1, probability__lte=5, impact__gte=1, impact__lte=5),
                                   name="review_ratings_1_5"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.risk_id} {self.reviewed_on}"

    @property
    def score(self) -> int:
        return self.probability * self.impact
